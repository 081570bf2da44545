package io.trainwatch.monitor.live;

import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The runs on the live page by id, at most {@code maxRuns}: a new run evicts the least recently updated
 * one. Records which runs changed or were evicted in {@link LiveChanges}. Guarded by the {@link LiveStore}'s lock.
 */
final class LiveRuns {

    private final int maxRuns;
    private final Clock clock;
    private final LiveChanges changes;
    private final Map<String, LiveRun> runs = new HashMap<>();

    LiveRuns(int maxRuns, Clock clock, LiveChanges changes) {
        this.maxRuns = maxRuns;
        this.clock = clock;
        this.changes = changes;
    }

    LiveRun get(String runId) {
        return runs.get(runId);
    }

    boolean contains(String runId) {
        return runs.containsKey(runId);
    }

    Collection<LiveRun> all() {
        return runs.values();
    }

    int size() {
        return runs.size();
    }

    /** The run, added (and the oldest evicted beyond the bound) when new. */
    LiveRun runFor(String runId) {
        LiveRun run = runs.get(runId);
        if (run == null) {
            run = new LiveRun(runId);
            run.updatedMillis = clock.millis();
            runs.put(runId, run);
            changes.runAdded(runId);
            while (runs.size() > maxRuns) {
                LiveRun oldest = null;
                for (LiveRun r : runs.values()) {
                    if (r != run && (oldest == null || r.updatedMillis < oldest.updatedMillis)) {
                        oldest = r;
                    }
                }
                runs.remove(oldest.runId);
                changes.runEvicted(oldest.runId);
            }
        }
        return run;
    }

    void changed(LiveRun run) {
        run.updatedMillis = clock.millis();
        changes.runChanged(run.runId);
    }
}
