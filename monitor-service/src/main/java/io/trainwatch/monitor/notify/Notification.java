package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One chat message to send: a group's firing alerts, the alerts resolved since its last message, and the
 * critical alerts that fired and resolved before any message about them could go out (announced once, so that a
 * short critical episode is never silent).
 *
 * @param channel          the channel's name
 * @param groupKey         the group's key (e.g. run and detector)
 * @param repeat           true when nothing changed and the message only repeats still-firing alerts
 * @param firedAndResolved resolutions of critical alerts whose firing was never announced
 */
public record Notification(String channel, String groupKey, boolean repeat, List<Alert> firing, List<Alert> resolved,
                           List<Alert> firedAndResolved) {

    public Notification {
        firing = List.copyOf(firing);
        resolved = List.copyOf(resolved);
        firedAndResolved = List.copyOf(firedAndResolved);
        if (firing.isEmpty() && resolved.isEmpty() && firedAndResolved.isEmpty()) {
            throw new IllegalArgumentException("a notification needs at least one alert");
        }
    }

    public Notification(String channel, String groupKey, boolean repeat, List<Alert> firing, List<Alert> resolved) {
        this(channel, groupKey, repeat, firing, resolved, List.of());
    }

    /** {@code firing} while any alert of the group fires, else {@code resolved}. */
    public String status() {
        return firing.isEmpty() ? Alert.RESOLVED : Alert.FIRING;
    }

    /** Firing alerts first, most severe first, then those that fired and resolved, then the resolved ones. */
    public List<Alert> alerts() {
        Comparator<Alert> bySeverity = Comparator.comparing(Severity::of).reversed();
        Comparator<Alert> order = bySeverity.thenComparingLong(Alert::step);
        return Stream.of(firing.stream().sorted(order), firedAndResolved.stream().sorted(order),
                resolved.stream().sorted(order)).flatMap(s -> s).toList();
    }

    /** The highest severity among the firing alerts (or, if none fires, among the others). */
    public Severity severity() {
        Stream<Alert> of = firing.isEmpty() ? Stream.concat(firedAndResolved.stream(), resolved.stream()) : firing.stream();
        return of.map(Severity::of).max(Comparator.naturalOrder()).orElse(Severity.INFO);
    }

    /** The same message without some resolved alerts (those whose firing never reached the chat); empty if nothing is left. */
    public java.util.Optional<Notification> withoutResolved(java.util.function.Predicate<Alert> drop) {
        List<Alert> kept = resolved.stream().filter(drop.negate()).toList();
        if (kept.size() == resolved.size()) {
            return java.util.Optional.of(this);
        }
        if (firing.isEmpty() && kept.isEmpty() && firedAndResolved.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Notification(channel, groupKey, repeat, firing, kept, firedAndResolved));
    }

    public int size() {
        return firing.size() + resolved.size() + firedAndResolved.size();
    }
}
