package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.util.Comparator;
import java.util.List;

/**
 * One chat message to send: a group's firing alerts and the alerts resolved since its last message.
 *
 * @param channel  the channel's name
 * @param groupKey the group's key (e.g. run and detector)
 * @param repeat   true when nothing changed and the message only repeats still-firing alerts
 */
public record Notification(String channel, String groupKey, boolean repeat, List<Alert> firing, List<Alert> resolved) {

    public Notification {
        firing = List.copyOf(firing);
        resolved = List.copyOf(resolved);
        if (firing.isEmpty() && resolved.isEmpty()) {
            throw new IllegalArgumentException("a notification needs at least one alert");
        }
    }

    /** {@code firing} while any alert of the group fires, else {@code resolved}. */
    public String status() {
        return firing.isEmpty() ? Alert.RESOLVED : Alert.FIRING;
    }

    /** Firing alerts first, most severe first, then the resolved ones. */
    public List<Alert> alerts() {
        Comparator<Alert> bySeverity = Comparator.comparing(Severity::of).reversed();
        return java.util.stream.Stream.concat(
                firing.stream().sorted(bySeverity.thenComparingLong(Alert::step)),
                resolved.stream().sorted(bySeverity.thenComparingLong(Alert::step))).toList();
    }

    /** The highest severity among the firing alerts (or the resolved ones if none fires). */
    public Severity severity() {
        List<Alert> of = firing.isEmpty() ? resolved : firing;
        return of.stream().map(Severity::of).max(Comparator.naturalOrder()).orElse(Severity.INFO);
    }

    public int size() {
        return firing.size() + resolved.size();
    }
}
