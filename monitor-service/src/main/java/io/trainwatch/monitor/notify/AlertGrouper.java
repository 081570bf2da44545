package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Groups one channel's alerts and decides when each group is announced, as Alertmanager's dispatcher does:
 * a new group waits {@code groupWait}; a changed group is sent again at most every {@code groupInterval}; a
 * group that still fires with no change is repeated every {@code repeatInterval}; a group whose alerts all
 * resolved is announced once (when it was announced firing) and forgotten.
 *
 * <p>Deduplication by {@code alertId} and status: an alert already announced with that status, or a firing
 * that arrives after its own resolution (a replay or a redelivery), is not announced again. A resolved alert
 * whose firing was never announced (it flapped within the wait) is dropped silently, unless it is critical: then
 * one "fired and resolved" message still goes out, so that a short critical episode (a run that diverged and
 * ended within the wait) is never silent. State is bounded: at
 * most {@code maxGroups} groups (the least recently active is evicted), {@code maxAlertsPerGroup} alerts per
 * group, and {@code remembered} announced ids. Time comes from the caller; not thread-safe (one channel
 * thread owns it).
 *
 * <p>Each alert comes with the {@link Completion} of the record it was read from. The grouper owns it from then
 * on: it releases it when the alert leads to no message (deduplicated, evicted, a resolution not announced) and
 * hands it on with the message that announces the alert ({@link #dueMessages}).
 */
public final class AlertGrouper {

    /** What became of an alert offered to the grouper. */
    public enum Outcome { QUEUED, DEDUPLICATED }

    /** The outcome of {@link #add}, with the number of pending alerts evicted to make room. */
    public record Admission(Outcome outcome, int evicted) {
    }

    /** A message due, with the completions of the records whose alerts it announces (released once it is done). */
    public record Message(Notification notification, List<Completion> completions) {
    }

    /** Alertmanager-style timing. */
    public record Timing(Duration groupWait, Duration groupInterval, Duration repeatInterval) {
        public Timing {
            if (groupWait.isNegative() || groupInterval.isNegative() || repeatInterval.isNegative()) {
                throw new IllegalArgumentException("negative timing " + groupWait + "/" + groupInterval + "/" + repeatInterval);
            }
        }
    }

    static final int MAX_ALERTS_PER_GROUP = 100;

    private final String channel;
    private final GroupBy groupBy;
    private final Timing timing;
    private final boolean sendResolved;
    private final int maxGroups;
    private final int maxAlertsPerGroup;
    private final LinkedHashMap<String, Group> groups = new LinkedHashMap<>(16, 0.75f, true);
    private final BoundedSet announced;

    public AlertGrouper(String channel, GroupBy groupBy, Timing timing, boolean sendResolved, int maxGroups,
                        int remembered) {
        this(channel, groupBy, timing, sendResolved, maxGroups, remembered, MAX_ALERTS_PER_GROUP);
    }

    AlertGrouper(String channel, GroupBy groupBy, Timing timing, boolean sendResolved, int maxGroups, int remembered,
                 int maxAlertsPerGroup) {
        this.channel = channel;
        this.groupBy = groupBy;
        this.timing = timing;
        this.sendResolved = sendResolved;
        this.maxGroups = Math.max(1, maxGroups);
        this.maxAlertsPerGroup = Math.max(1, maxAlertsPerGroup);
        this.announced = new BoundedSet(Math.max(1, remembered));
    }

    /** Takes an alert in at time {@code now}. */
    public Admission add(Alert alert, Instant now) {
        return add(alert, now, Completion.NONE);
    }

    /** Takes an alert in at time {@code now}, with the completion of its record (owned by the grouper from now). */
    public Admission add(Alert alert, Instant now, Completion done) {
        String id = alert.alertId();
        boolean firing = Alert.FIRING.equals(alert.status());
        if (announced.contains(id + '|' + alert.status()) || (firing && announced.contains(id + '|' + Alert.RESOLVED))) {
            done.release();
            return new Admission(Outcome.DEDUPLICATED, 0);
        }
        String key = groupBy.key(alert);
        Group group = groups.get(key);
        int evicted = 0;
        if (group == null) {
            while (groups.size() >= maxGroups) {
                Iterator<Group> eldest = groups.values().iterator();
                Group gone = eldest.next();
                evicted += gone.alerts.size();
                gone.completions.values().forEach(Completion::releaseAll);
                eldest.remove();
            }
            group = new Group(key, now);
            groups.put(key, group);
        }
        Alert pending = group.alerts.get(id);
        if (pending != null && (pending.status().equals(alert.status()) || (firing && !Alert.FIRING.equals(pending.status())))) {
            done.release();
            return new Admission(Outcome.DEDUPLICATED, evicted); // same status again, or a firing after its resolution
        }
        if (!firing && pending != null && !announced.contains(id + '|' + Alert.FIRING)
                && Severity.of(pending) == Severity.CRITICAL) {
            group.firedAndResolved.put(id, alert); // a critical episode shorter than the wait is still announced, once
        }
        group.alerts.remove(id);
        group.alerts.put(id, alert); // re-insert: the map's order is arrival order
        group.completions.computeIfAbsent(id, k -> new ArrayList<>()).add(done);
        group.dirty = true;
        while (group.alerts.size() > maxAlertsPerGroup) {
            Iterator<Alert> oldest = group.alerts.values().iterator();
            Alert gone = oldest.next();
            oldest.remove();
            Completion.releaseAll(group.completions.getOrDefault(gone.alertId(), List.of()));
            group.completions.remove(gone.alertId());
            evicted++;
        }
        return new Admission(Outcome.QUEUED, evicted);
    }

    /** The messages due at {@code now}; the groups they came from are marked as announced. */
    public List<Notification> due(Instant now) {
        List<Notification> out = new ArrayList<>();
        for (Message m : dueMessages(now)) {
            Completion.releaseAll(m.completions());
            out.add(m.notification());
        }
        return out;
    }

    /**
     * The messages due at {@code now}, each with the completions of the records it announces (the caller releases
     * them once the message is delivered or given up); the groups they came from are marked as announced.
     */
    public List<Message> dueMessages(Instant now) {
        List<Message> out = new ArrayList<>();
        Iterator<Group> it = groups.values().iterator();
        List<Group> toFlush = new ArrayList<>();
        while (it.hasNext()) {
            Group g = it.next();
            if (!now.isBefore(nextDue(g))) {
                toFlush.add(g);
            }
        }
        for (Group g : toFlush) {
            flush(g, now).ifPresent(out::add);
        }
        return out;
    }

    /** When the next message may be due (empty: no group waits), to sleep until then. */
    public Optional<Instant> nextDue() {
        Instant next = null;
        for (Group g : groups.values()) {
            Instant t = nextDue(g);
            if (t != Instant.MAX && (next == null || t.isBefore(next))) {
                next = t;
            }
        }
        return Optional.ofNullable(next);
    }

    /** Groups held now. */
    public int groups() {
        return groups.size();
    }

    /** Alerts held now, over all groups. */
    public int pendingAlerts() {
        return groups.values().stream().mapToInt(g -> g.alerts.size()).sum();
    }

    public String channel() {
        return channel;
    }

    private Instant nextDue(Group g) {
        if (g.lastFlush == null) {
            return g.created.plus(timing.groupWait());
        }
        if (g.dirty) {
            return g.lastFlush.plus(timing.groupInterval());
        }
        if (g.hasFiring()) {
            return g.lastFlush.plus(timing.repeatInterval());
        }
        return Instant.MAX;
    }

    private Optional<Message> flush(Group g, Instant now) {
        boolean repeat = !g.dirty;
        List<Alert> firing = new ArrayList<>();
        List<Alert> resolved = new ArrayList<>();
        for (Alert a : g.alerts.values()) {
            if (Alert.FIRING.equals(a.status())) {
                firing.add(a);
            } else if (sendResolved && announced.contains(a.alertId() + '|' + Alert.FIRING)) {
                resolved.add(a);
            }
        }
        List<Alert> firedAndResolved = new ArrayList<>(g.firedAndResolved.values());
        g.firedAndResolved.clear();
        List<Completion> carried = new ArrayList<>();
        for (Alert a : g.alerts.values()) {
            List<Completion> held = g.completions.remove(a.alertId());
            if (held == null) {
                continue;
            }
            boolean announcedNow = firing.contains(a) || resolved.contains(a) || firedAndResolved.contains(a);
            if (announcedNow) {
                carried.addAll(held);
            } else {
                Completion.releaseAll(held); // a resolution that is not announced: nothing to deliver
            }
        }
        for (Alert a : g.alerts.values()) {
            announced.add(a.alertId() + '|' + a.status());
        }
        g.alerts.values().removeIf(a -> !Alert.FIRING.equals(a.status()));
        g.dirty = false;
        g.lastFlush = now;
        if (g.alerts.isEmpty()) {
            groups.remove(g.key);
        }
        if (firing.isEmpty() && resolved.isEmpty() && firedAndResolved.isEmpty()) {
            Completion.releaseAll(carried);
            return Optional.empty();
        }
        return Optional.of(new Message(new Notification(channel, g.key, repeat, firing, resolved, firedAndResolved),
                carried));
    }

    private static final class Group {
        final String key;
        final Instant created;
        final LinkedHashMap<String, Alert> alerts = new LinkedHashMap<>();
        /** Critical alerts that resolved before their firing was announced. */
        final LinkedHashMap<String, Alert> firedAndResolved = new LinkedHashMap<>();
        /** alertId -> the completions of the records not yet announced of that alert. */
        final Map<String, List<Completion>> completions = new LinkedHashMap<>();
        Instant lastFlush;
        boolean dirty;

        Group(String key, Instant created) {
            this.key = key;
            this.created = created;
        }

        boolean hasFiring() {
            return alerts.values().stream().anyMatch(a -> Alert.FIRING.equals(a.status()));
        }
    }

    /** An insertion-ordered set that forgets its oldest entries beyond a capacity. */
    static final class BoundedSet {
        private final Map<String, Boolean> map;

        BoundedSet(int capacity) {
            this.map = new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > capacity;
                }
            };
        }

        boolean contains(String key) {
            return map.containsKey(key);
        }

        void add(String key) {
            map.put(key, Boolean.TRUE);
        }

        void remove(String key) {
            map.remove(key);
        }
    }
}
