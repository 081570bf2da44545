package io.trainwatch.monitor.detector;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;

import java.util.ArrayList;
import java.util.List;

/** Feeds a whole run through the engine and keeps one detector's alerts. */
final class DetectorRuns {

    private DetectorRuns() {
    }

    static List<Alert> alerts(RunMonitor monitor, List<TrainingEvent> events, String detector) {
        RunState s = monitor.newState(events.get(0).runId());
        List<Alert> out = new ArrayList<>();
        for (TrainingEvent e : events) {
            monitor.process(s, e).stream().filter(a -> a.detector().equals(detector)).forEach(out::add);
        }
        return out;
    }

    static List<Alert> firing(RunMonitor monitor, List<TrainingEvent> events, String detector) {
        return alerts(monitor, events, detector).stream().filter(a -> Alert.FIRING.equals(a.status())).toList();
    }
}
