package io.trainwatch.monitor.live;

import io.trainwatch.events.Alert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What changed on the live page since the last push, bounded: runs, evictions, new points by run and
 * series, alerts, tuner actions and studies. A run whose new points overflow {@code maxPendingPoints}, or a
 * push with more than {@link #MAX_PENDING_ALERTS} alerts, tells the pages to reload it (or everything)
 * instead. Guarded by the {@link LiveStore}'s lock.
 */
final class LiveChanges {

    /** Alerts held for one push; beyond it the push tells every page to reload. */
    static final int MAX_PENDING_ALERTS = 200;

    private final int maxPendingPoints;
    private long seq;
    private final Set<String> changedRuns = new LinkedHashSet<>();
    private final Set<String> evictedRuns = new LinkedHashSet<>();
    private final Map<String, Map<String, Pending>> pendingPoints = new HashMap<>();
    private final Set<String> resyncRuns = new LinkedHashSet<>();
    private final List<Alert> pendingAlerts = new ArrayList<>();
    private final Map<String, Set<String>> changedActions = new LinkedHashMap<>();
    private final Set<String> changedStudies = new LinkedHashSet<>();
    private final Set<String> removedStudies = new LinkedHashSet<>();
    private boolean resyncAll;

    LiveChanges(int maxPendingPoints) {
        this.maxPendingPoints = maxPendingPoints;
    }

    long seq() {
        return seq;
    }

    void runChanged(String runId) {
        changedRuns.add(runId);
    }

    void runAdded(String runId) {
        evictedRuns.remove(runId);
    }

    void runEvicted(String runId) {
        evictedRuns.add(runId);
        changedRuns.remove(runId);
        pendingPoints.remove(runId);
        resyncRuns.remove(runId);
        changedActions.remove(runId);
    }

    /** A point the run's series kept. */
    void point(String runId, String series, long step, double value) {
        if (resyncRuns.contains(runId)) {
            return; // the page reloads this run anyway
        }
        Pending p = pendingPoints.computeIfAbsent(runId, k -> new LinkedHashMap<>())
                .computeIfAbsent(series, k -> new Pending());
        if (p.n >= maxPendingPoints) {
            resyncRuns.add(runId);
            pendingPoints.remove(runId);
            return;
        }
        p.add(step, (float) value);
    }

    void alert(Alert alert) {
        if (pendingAlerts.size() < MAX_PENDING_ALERTS) {
            pendingAlerts.add(alert);
        } else {
            resyncAll = true;
        }
    }

    void actionChanged(String runId, String commandId) {
        changedActions.computeIfAbsent(runId, k -> new LinkedHashSet<>()).add(commandId);
    }

    void studyChanged(String studyId) {
        changedStudies.add(studyId);
        removedStudies.remove(studyId);
    }

    void studyRemoved(String studyId) {
        removedStudies.add(studyId);
        changedStudies.remove(studyId);
    }

    private boolean none() {
        return changedRuns.isEmpty() && evictedRuns.isEmpty() && pendingPoints.isEmpty() && pendingAlerts.isEmpty()
                && changedActions.isEmpty() && changedStudies.isEmpty() && removedStudies.isEmpty() && !resyncAll
                && resyncRuns.isEmpty();
    }

    /** What changed, as one push (null when nothing did), then forgets it. */
    LiveStore.Delta drain(Function<String, LiveRun> runs, Function<String, LiveStudy> studies) {
        if (none()) {
            return null;
        }
        seq++;
        List<LiveViews.RunSummary> summaries = new ArrayList<>();
        for (String id : changedRuns) {
            LiveRun r = runs.apply(id);
            if (r != null) {
                // The config is set once at run-started; GET /live/runs has it.
                summaries.add(r.configChanged ? r.summary() : r.summary().withoutConfig());
                r.configChanged = false;
            }
        }
        List<LiveViews.ActionView> actions = new ArrayList<>();
        changedActions.forEach((runId, ids) -> {
            LiveRun r = runs.apply(runId);
            if (r != null) {
                ids.forEach(id -> {
                    LiveAction a = r.actions.get(id);
                    if (a != null) {
                        actions.add(a.view(runId));
                    }
                });
            }
        });
        List<Map<String, Object>> st = new ArrayList<>();
        changedStudies.forEach(id -> {
            LiveStudy s = studies.apply(id);
            if (s != null) {
                st.add(s.json());
            }
        });
        Map<String, Map<String, LiveViews.PointsView>> points = new HashMap<>();
        pendingPoints.forEach((runId, byName) -> {
            Map<String, LiveViews.PointsView> m = new LinkedHashMap<>();
            byName.forEach((name, p) -> m.put(name, p.view()));
            points.put(runId, m);
        });
        LiveViews.DeltaMessage common = new LiveViews.DeltaMessage("delta", seq, summaries, List.copyOf(evictedRuns),
                List.copyOf(pendingAlerts), actions, st, List.copyOf(removedStudies), List.copyOf(resyncRuns),
                resyncAll, Map.of());
        changedRuns.clear();
        evictedRuns.clear();
        pendingPoints.clear();
        pendingAlerts.clear();
        changedActions.clear();
        changedStudies.clear();
        removedStudies.clear();
        resyncRuns.clear();
        resyncAll = false;
        return new LiveStore.Delta(seq, common, points);
    }

    /** New points of one series since the last push, raw (the page decimates nothing). */
    private static final class Pending {
        long[] steps = new long[8];
        float[] values = new float[8];
        int n;

        void add(long step, float value) {
            if (n == steps.length) {
                steps = Arrays.copyOf(steps, n * 2);
                values = Arrays.copyOf(values, n * 2);
            }
            steps[n] = step;
            values[n] = value;
            n++;
        }

        LiveViews.PointsView view() {
            return new LiveViews.PointsView(Arrays.copyOf(steps, n), Arrays.copyOf(values, n));
        }
    }
}
