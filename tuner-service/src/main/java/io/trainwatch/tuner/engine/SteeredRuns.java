package io.trainwatch.tuner.engine;

import io.trainwatch.tuner.steer.SteeredRun;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The steered runs held, in start order, bounded by {@link SteerSettings#maxRuns()}: when full, the oldest
 * finished run is evicted first, else the active run silent the longest (it is no longer steered); a finished
 * run is evicted after {@link SteerSettings#finishedRetention()}. Evicted runs are reported in the
 * {@link Effects} so that their documents are deleted. Also the runs whose progress waits for the next periodic
 * write.
 */
final class SteeredRuns {

    private final SteerSettings settings;
    private final Duration persistInterval;
    /** runId -> run, in start order. */
    private final Map<String, SteeredRun> runs = new LinkedHashMap<>();
    private final Set<String> softDirty = new LinkedHashSet<>();
    private Instant lastFlush;

    SteeredRuns(SteerSettings settings, Duration persistInterval, Clock clock) {
        this.settings = settings;
        this.persistInterval = persistInterval;
        this.lastFlush = clock.instant();
    }

    Collection<SteeredRun> all() {
        return runs.values();
    }

    SteeredRun get(String runId) {
        return runs.get(runId);
    }

    /** Adds a run that starts now, evicting others first when full. */
    void add(SteeredRun r, Effects fx) {
        while (runs.size() >= settings.maxRuns()) {
            evictOne(fx);
        }
        runs.put(r.runId, r);
    }

    /** Reloads stored runs (a restart); beyond the bound, the oldest finished ones are dropped (and deleted). */
    void restore(Collection<SteeredRun> stored, Effects fx) {
        stored.stream().sorted((a, b) -> compare(a.startedAt, b.startedAt)).forEach(r -> runs.put(r.runId, r));
        while (runs.size() > settings.maxRuns()) {
            evictOne(fx);
        }
    }

    /** Evicts the finished runs whose retention is over; returns the runs still active. */
    List<SteeredRun> evictExpiredAndListActive(Instant now, Effects fx) {
        for (SteeredRun r : List.copyOf(runs.values())) {
            if (!r.isActive() && r.state.finishedAt != null
                    && !now.isBefore(r.state.finishedAt.plus(settings.finishedRetention()))) {
                remove(r.runId, fx);
            }
        }
        return runs.values().stream().filter(SteeredRun::isActive).toList();
    }

    /** Progress (the step, the rate) that is persisted with the next periodic write, not at once. */
    void softDirty(SteeredRun r) {
        softDirty.add(r.runId);
    }

    /** Adds the runs whose progress waited to {@code fx}, at most once per persist interval. */
    void flushSoftDirty(Instant now, Effects fx) {
        if (!softDirty.isEmpty() && !now.isBefore(lastFlush.plus(persistInterval))) {
            for (String id : softDirty) {
                SteeredRun r = runs.get(id);
                if (r != null) {
                    fx.changed(r);
                }
            }
            softDirty.clear();
            lastFlush = now;
        }
    }

    /** Evicts the oldest finished run, else the active run silent the longest (it is no longer steered). */
    private void evictOne(Effects fx) {
        SteeredRun victim = runs.values().stream().filter(x -> !x.isActive()).findFirst()
                .orElseGet(() -> runs.values().stream().min((a, b) -> compare(a.state.lastEventAt, b.state.lastEventAt))
                        .orElseThrow());
        remove(victim.runId, fx);
    }

    private void remove(String runId, Effects fx) {
        runs.remove(runId);
        softDirty.remove(runId);
        fx.removed(runId);
    }

    private static int compare(Instant a, Instant b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return a.compareTo(b);
    }
}
