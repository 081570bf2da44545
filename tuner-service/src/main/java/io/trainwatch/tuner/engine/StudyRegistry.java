package io.trainwatch.tuner.engine;

import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The studies the engine holds, bounded by {@link EngineSettings#maxStudies()} (finished studies are evicted
 * first, a running one never), the index of their runs (for events that carry no study id), and the studies
 * whose progress waits for the next periodic write.
 */
final class StudyRegistry {

    /** A trial and its study. */
    record Located(StudyState study, TrialState trial) {
    }

    private final EngineSettings settings;
    private final Map<String, StudyState> studies = new LinkedHashMap<>();
    /** runId -> studyId, for events that carry no study id. */
    private final Map<String, String> runIndex = new HashMap<>();
    private final Set<String> softDirty = new LinkedHashSet<>();
    private Instant lastFlush;

    StudyRegistry(EngineSettings settings, Clock clock) {
        this.settings = settings;
        this.lastFlush = clock.instant();
    }

    Collection<StudyState> all() {
        return studies.values();
    }

    StudyState get(String id) {
        return studies.get(id);
    }

    boolean contains(String id) {
        return studies.containsKey(id);
    }

    int size() {
        return studies.size();
    }

    void put(StudyState s) {
        studies.put(s.id, s);
    }

    /** Indexes a trial's run id, so that its events find the study. */
    void index(StudyState s, TrialState t) {
        runIndex.put(t.runId, s.id);
    }

    /** Progress (step counts) that is persisted with the next periodic write, not at once. */
    void softDirty(StudyState s) {
        softDirty.add(s.id);
    }

    /** The trial of a study that an event or alert names: by study id and run id, else by run id alone. */
    Located locate(String studyId, String trialId, String runId) {
        StudyState s = studyId == null ? null : studies.get(studyId);
        if (s == null && runId != null) {
            String id = runIndex.get(runId);
            s = id == null ? null : studies.get(id);
        }
        if (s == null) {
            return null;
        }
        TrialState t = null;
        for (TrialState x : s.trials) {
            if (x.runId.equals(runId) || trialId != null && x.trialId.equals(trialId) && runId == null) {
                t = x;
                break;
            }
        }
        return t == null ? null : new Located(s, t);
    }

    /** Makes room for a new study by evicting finished ones; refuses when every study kept is running. */
    void makeRoom() {
        while (studies.size() >= settings.maxStudies()) {
            if (!evictOneFinished()) {
                throw new IllegalStateException("too many running studies (" + studies.size() + "): stop one first");
            }
        }
    }

    /** After a restore: evicts finished studies beyond the bound. */
    void trimToBound() {
        while (studies.size() > settings.maxStudies()) {
            if (!evictOneFinished()) {
                break;
            }
        }
    }

    private boolean evictOneFinished() {
        for (StudyState s : studies.values()) {
            if (!s.isRunning()) {
                studies.remove(s.id);
                s.trials.forEach(t -> runIndex.remove(t.runId));
                return true;
            }
        }
        return false;
    }

    /** Adds the studies whose progress waited to {@code fx}, at most once per persist interval. */
    void flushSoftDirty(Instant now, Effects fx) {
        if (!softDirty.isEmpty() && !now.isBefore(lastFlush.plus(settings.persistInterval()))) {
            for (String id : softDirty) {
                StudyState s = studies.get(id);
                if (s != null) {
                    fx.changed(s);
                }
            }
            softDirty.clear();
            lastFlush = now;
        }
    }
}
