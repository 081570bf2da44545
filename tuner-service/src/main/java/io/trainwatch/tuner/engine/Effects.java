package io.trainwatch.tuner.engine;

import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one input to the engine requires of the outside world, in this order: persist the changed
 * studies, then publish the trials and the commands. The decisions are those newly taken (for metrics).
 */
public final class Effects {

    private final Map<String, StudyState> changed = new LinkedHashMap<>();
    private final List<Trial> trials = new ArrayList<>();
    private final List<TunerCommand> commands = new ArrayList<>();
    private final List<Decision> decisions = new ArrayList<>();

    void changed(StudyState s) {
        changed.put(s.id, s);
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
        trials.addAll(other.trials);
        commands.addAll(other.commands);
        decisions.addAll(other.decisions);
        return this;
    }

    public List<StudyState> changedStudies() {
        return List.copyOf(changed.values());
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
        return changed.isEmpty() && trials.isEmpty() && commands.isEmpty();
    }
}
