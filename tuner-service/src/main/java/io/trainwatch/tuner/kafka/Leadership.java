package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The role of one tuner instance among the instances of its consumer group, as a state machine without Kafka: the
 * {@link LeaderElector} tells it what the group membership says after each poll ({@link View}) and what happened
 * (the leader partition revoked or lost, this instance's writes fenced); it begins a {@link Term} (the active
 * tuner's work: a {@link TunerRuntime} that reloads the studies and resumes) when the instance becomes active and
 * ends it when it stops being active.
 *
 * <ul>
 *   <li>Active while the instance has joined, holds the leader partition, its heartbeat is fresh and it is not
 *       blocked (below). Standby otherwise, once joined; electing before.</li>
 *   <li>Revoked (a rebalance moves the partition): the term is closed cleanly (loop stopped, last commit,
 *       producer closed) before the rebalance callback returns, so the next owner is assigned it only after.</li>
 *   <li>Lost (the membership expired: the others may already have a new active), fenced (another instance opened
 *       the transactional id) or heartbeat silent for {@code silenceLimit} while other instances are known: the
 *       term is abandoned (producer closed at once, loop stopped). After fenced or silent the instance may only
 *       become active again in a later group generation (it asks to rejoin), so that a stale view of the group
 *       never makes it fence the real active one.</li>
 *   <li>A silent heartbeat with no other instance known keeps the term: nobody could take over, and a lone tuner
 *       rides out a broker outage with its state and outbox as it always did.</li>
 * </ul>
 * Thread-safe: the elector's thread drives it; {@link #fenced()} may come from any thread and only raises a flag.
 */
public final class Leadership<T extends Leadership.Term> {

    /** The role of this instance. */
    public enum Role {
        /** Not in the group yet. */
        ELECTING,
        /** In the group, without the leader partition: reads nothing, writes nothing, answers 503. */
        STANDBY,
        /** Holds the leader partition: runs the tuner. */
        ACTIVE,
        /** Shut down. */
        STOPPED;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What an active instance runs; ended by {@link #close()} (clean) or {@link #abandon()} (at once). */
    public interface Term {
        void close();

        /** Stops writing at once (the producer closed without waiting), then stops the rest. */
        default void abandon() {
            close();
        }
    }

    /**
     * What the elector sees after a poll: whether the consumer has joined the group, holds the leader partition,
     * in which generation, how long ago its last heartbeat was sent (seconds, -1 = none yet) and how many other
     * instances the group had when it was last described.
     */
    public record View(boolean joined, boolean holdsLeaderPartition, int generation, double heartbeatAgeSeconds,
                       int peers) {
    }

    /** The role with who holds it, why and since when; {@code active} is the active instance when known. */
    public record Status(Role role, String instance, String active, String reason, Instant since) {
    }

    private final String instance;
    private final Supplier<? extends T> terms;
    private final Duration silenceLimit;
    private final Consumer<Status> listener;
    private final Clock clock;
    private final AtomicBoolean fencedSignal = new AtomicBoolean();
    private volatile Status status;
    private volatile T term;
    private volatile String knownActive;
    private int blockedGeneration = -1;
    private boolean rejoin;

    /**
     * @param terms        begins a term (called when the instance becomes active; may throw: it stays standby)
     * @param silenceLimit heartbeat age at which an active instance with peers steps down (below the session timeout)
     * @param listener     told of every role change (on the elector's thread)
     */
    public Leadership(String instance, Supplier<? extends T> terms, Duration silenceLimit, Consumer<Status> listener,
                      Clock clock) {
        this.instance = instance;
        this.terms = terms;
        this.silenceLimit = silenceLimit;
        this.listener = listener;
        this.clock = clock;
        this.status = new Status(Role.ELECTING, instance, null, "joining the election", clock.instant());
    }

    public Status status() {
        Status s = status;
        String active = knownActive; // as last described: never this instance unless it is active now
        return s.role() == Role.ACTIVE ? s : new Status(s.role(), s.instance(),
                instance.equals(active) ? null : active, s.reason(), s.since());
    }

    public Role role() {
        return status.role();
    }

    /** The current term, while active. */
    public Optional<T> term() {
        return status.role() == Role.ACTIVE ? Optional.ofNullable(term) : Optional.empty();
    }

    /** The active instance as the elector last saw the group (null: unknown). */
    public void activeIs(String activeInstance) {
        knownActive = activeInstance;
    }

    /** Level-triggered: becomes active or stops being active as the view says. */
    public synchronized void observe(View v) {
        if (role() == Role.STOPPED) {
            return;
        }
        if (fencedSignal.getAndSet(false) && role() == Role.ACTIVE) {
            stepDown(true, "another instance took over the transactional id (this one's writes are fenced)");
            block(v.generation());
        }
        boolean silent = v.heartbeatAgeSeconds() >= silenceLimit.toMillis() / 1000.0 && v.peers() > 0;
        if (role() == Role.ACTIVE && silent) {
            stepDown(true, "no heartbeat for " + (long) v.heartbeatAgeSeconds() + " s while " + v.peers()
                    + " other instance(s) could take over");
            block(v.generation());
        }
        boolean lead = v.joined() && v.holdsLeaderPartition() && !silent && v.generation() > blockedGeneration;
        if (lead && role() != Role.ACTIVE) {
            promote(v.generation());
        } else if (!lead && role() == Role.ACTIVE) {
            stepDown(true, v.holdsLeaderPartition() ? "blocked until the group moves on" : "no longer holds the leader partition");
        } else if (!lead && role() == Role.ELECTING && v.joined()) {
            set(Role.STANDBY, v.holdsLeaderPartition() ? "waiting for a later group generation"
                    : "another instance holds the leader partition");
        }
    }

    /** A rebalance takes the leader partition away: the term ends cleanly before this returns. */
    public synchronized void revoked() {
        if (role() == Role.ACTIVE) {
            stepDown(false, "the leader partition was revoked (rebalance)");
        }
    }

    /** The membership expired (another instance may be active already): the term is abandoned at once. */
    public synchronized void lost(String why) {
        if (role() == Role.ACTIVE) {
            stepDown(true, "leadership lost: " + why);
        }
    }

    /** This instance's producer was fenced; acted on at the next {@link #observe}. Any thread, never blocks. */
    public void fenced() {
        fencedSignal.set(true);
    }

    /** Whether the elector should rejoin the group now (asked once per step-down that blocks a generation). */
    public synchronized boolean takeRejoinRequest() {
        boolean r = rejoin;
        rejoin = false;
        return r;
    }

    /** Shuts down: the term ends cleanly; nothing begins after. */
    public synchronized void stop() {
        if (role() == Role.ACTIVE) {
            endTerm(false);
        }
        set(Role.STOPPED, "shut down");
    }

    private void block(int generation) {
        blockedGeneration = Math.max(blockedGeneration, generation);
        rejoin = true;
    }

    private void promote(int generation) {
        T t;
        try {
            t = terms.get();
        } catch (RuntimeException e) {
            Log.errorf(e, "Tuner %s could not start as the active instance", instance);
            if (role() == Role.ELECTING) {
                set(Role.STANDBY, "could not start: " + e);
            }
            return;
        }
        term = t;
        set(Role.ACTIVE, "holds the leader partition (group generation " + generation + ")");
    }

    private void stepDown(boolean abandon, String reason) {
        endTerm(abandon);
        set(Role.STANDBY, reason);
    }

    private void endTerm(boolean abandon) {
        T t = term;
        term = null;
        if (t == null) {
            return;
        }
        try {
            if (abandon) {
                t.abandon();
            } else {
                t.close();
            }
        } catch (RuntimeException e) {
            Log.warnf("Tuner %s: ending its term: %s", instance, e.toString());
        }
    }

    private void set(Role role, String reason) {
        Status before = status;
        status = new Status(role, instance, role == Role.ACTIVE ? instance : null, reason, clock.instant());
        if (before.role() != role) {
            Log.infof("Tuner %s: %s -> %s (%s)", instance, before.role().id(), role.id(), reason);
            listener.accept(status());
        }
    }
}
