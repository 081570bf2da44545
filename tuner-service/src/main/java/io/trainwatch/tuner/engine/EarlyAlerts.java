package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Alerts that come before their run's {@code run-started} (the tuner reads two topics, whose relative order is
 * not guaranteed), kept up to a bound (oldest dropped) and handed over once the run starts; and the runs known
 * not to be steered (no control, or {@code off}), whose alerts are not kept at all.
 */
final class EarlyAlerts {

    private final int maxAlerts;
    private final int maxNotSteered;
    /** Alerts of runs not (yet) known, oldest first. */
    private final Map<String, List<Alert>> early = new LinkedHashMap<>();
    private int count;
    /** Runs seen with no control (or off), most recent last: their alerts are not held. */
    private final Set<String> notSteered = new LinkedHashSet<>();

    EarlyAlerts(int maxAlerts, int maxNotSteered) {
        this.maxAlerts = maxAlerts;
        this.maxNotSteered = maxNotSteered;
    }

    /** Keeps an alert of a run not known yet, unless the run is known not to be steered. */
    void keep(Alert alert) {
        if (maxAlerts == 0 || notSteered.contains(alert.runId())) {
            return;
        }
        early.computeIfAbsent(alert.runId(), k -> new ArrayList<>()).add(alert);
        count++;
        while (count > maxAlerts) {
            String oldest = early.keySet().iterator().next();
            List<Alert> list = early.get(oldest);
            list.remove(0);
            count--;
            if (list.isEmpty()) {
                early.remove(oldest);
            }
        }
    }

    /** The alerts kept for a run that just started, in arrival order (none: empty); they are no longer kept. */
    List<Alert> takeFor(String runId) {
        List<Alert> waiting = early.remove(runId);
        if (waiting == null) {
            return List.of();
        }
        count -= waiting.size();
        return waiting;
    }

    /** A run started without steering: its kept alerts are dropped and later ones are not kept. */
    void notSteered(String runId) {
        takeFor(runId);
        notSteered.remove(runId);
        notSteered.add(runId);
        while (notSteered.size() > maxNotSteered) {
            notSteered.remove(notSteered.iterator().next());
        }
    }

    /** Alerts kept now. */
    int count() {
        return count;
    }
}
