package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * One channel's messages waiting for delivery, oldest first. Messages are sent in order: a RESOLVED never
 * overtakes the FIRING of the same alert, and a message the chat server refused for now (5xx, 429, a network
 * error) stays at the head and is tried again later, also after the retry policy's attempts are used up, until
 * the server recovers (Alertmanager keeps notifications the same way). Bounded: when full, the oldest message
 * that is not critical is dropped first, then the oldest critical one. Not thread-safe: the channel's thread
 * owns it; time comes from the caller.
 */
final class Outbox {

    /** A message to deliver: a group's notification or a tuner's suggestion, with its delivery schedule. */
    static final class Entry {
        final Notification notification;
        final TunerCommand suggestion;
        final Instant queuedAt;
        /** The completions of the records this message announces, released once it is delivered or given up. */
        private final List<Completion> completions;
        int attempts;
        /** Failed attempts since the last time the retry policy's budget was used up. */
        int cycleAttempts;
        Instant notBefore;

        private Entry(Notification notification, TunerCommand suggestion, List<Completion> completions, Instant queuedAt) {
            this.notification = notification;
            this.suggestion = suggestion;
            this.completions = new ArrayList<>(completions);
            this.queuedAt = queuedAt;
            this.notBefore = queuedAt;
        }

        static Entry of(Notification n, Instant now) {
            return new Entry(n, null, List.of(), now);
        }

        static Entry of(AlertGrouper.Message m, Instant now) {
            return new Entry(m.notification(), null, m.completions(), now);
        }

        static Entry of(TunerCommand s, Instant now) {
            return of(s, Completion.NONE, now);
        }

        static Entry of(TunerCommand s, Completion done, Instant now) {
            return new Entry(null, s, List.of(done), now);
        }

        /** The message is delivered or given up for good: its records are finished as far as it is concerned. */
        void finish() {
            Completion.releaseAll(completions);
            completions.clear();
        }

        boolean critical() {
            return notification != null && notification.severity() == Severity.CRITICAL;
        }

        /** The alerts this message announces as firing (none for a suggestion). */
        List<Alert> firing() {
            return notification == null ? List.of() : notification.firing();
        }
    }

    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();

    Outbox(int capacity) {
        this.capacity = Math.max(1, capacity);
    }

    /**
     * Appends a message; when the box is full, first drops the oldest non-critical message (or, if all are
     * critical, the oldest) and returns it so that the caller can count it and forget its alerts.
     */
    Optional<Entry> add(Entry e) {
        Entry dropped = null;
        if (entries.size() >= capacity) {
            Iterator<Entry> it = entries.iterator();
            while (it.hasNext()) {
                Entry old = it.next();
                if (!old.critical()) {
                    dropped = old;
                    it.remove();
                    break;
                }
            }
            if (dropped == null) {
                dropped = entries.pollFirst();
            }
        }
        entries.addLast(e);
        return Optional.ofNullable(dropped);
    }

    /** The oldest message, if any. */
    Optional<Entry> head() {
        return Optional.ofNullable(entries.peekFirst());
    }

    /** Removes the oldest message (delivered or given up). */
    void removeHead() {
        entries.pollFirst();
    }

    /** When the head may be tried next, if there is one. */
    Optional<Instant> nextAttempt() {
        Entry h = entries.peekFirst();
        return h == null ? Optional.empty() : Optional.of(h.notBefore);
    }

    int size() {
        return entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }
}
