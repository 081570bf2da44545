package io.trainwatch.tuner.engine;

import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one input to the engine requires of the outside world, in this order: persist the changed
 * studies and steered runs (and delete the evicted runs), then publish the trials and the commands (and
 * suggestions). The decisions are those newly taken (for metrics).
 */
public final class Effects {

    private final Map<String, StudyState> changed = new LinkedHashMap<>();
    private final List<Trial> trials = new ArrayList<>();
    private final List<TunerCommand> commands = new ArrayList<>();
    private final List<Decision> decisions = new ArrayList<>();
    private final Map<String, SteeredRun> changedRuns = new LinkedHashMap<>();
    private final Set<String> removedRuns = new LinkedHashSet<>();

    void changed(StudyState s) {
        changed.put(s.id, s);
    }

    void changed(SteeredRun r) {
        removedRuns.remove(r.runId);
        changedRuns.put(r.runId, r);
    }

    void removed(String runId) {
        changedRuns.remove(runId);
        removedRuns.add(runId);
    }

    void trial(Trial t) {
        trials.add(t);
    }

    void command(TunerCommand c) {
        commands.add(c);
    }

    void decision(Decision d) {
        decisions.add(d);
    }

    /** Adds {@code other}'s effects after these (a study changed in both is written once, in its latest state). */
    public Effects addAll(Effects other) {
        other.changed.forEach(changed::put);
        other.changedRuns.values().forEach(this::changed);
        other.removedRuns.forEach(this::removed);
        trials.addAll(other.trials);
        commands.addAll(other.commands);
        decisions.addAll(other.decisions);
        return this;
    }

    public List<StudyState> changedStudies() {
        return List.copyOf(changed.values());
    }

    /** Steered runs to persist, in their latest state. */
    public List<SteeredRun> changedRuns() {
        return List.copyOf(changedRuns.values());
    }

    /** Steered runs evicted: their documents are deleted (tombstones). */
    public List<String> removedRuns() {
        return List.copyOf(removedRuns);
    }

    public List<Trial> trials() {
        return List.copyOf(trials);
    }

    public List<TunerCommand> commands() {
        return List.copyOf(commands);
    }

    public List<Decision> decisions() {
        return List.copyOf(decisions);
    }

    public boolean isEmpty() {
        return changed.isEmpty() && trials.isEmpty() && commands.isEmpty() && changedRuns.isEmpty()
                && removedRuns.isEmpty();
    }
}
