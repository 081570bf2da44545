package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.trainwatch.events.Contract;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.preflight.PreflightState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole state of a study: its spec, rounds, the current search ranges (narrowed by rounds and
 * adjusted by remedies), favoured choices, every trial and the study-level decisions. This document is
 * what the compacted topic stores, keyed by study id; a tuner restart rebuilds everything from it.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class StudyState {

    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String STOPPED = "stopped";
    public static final List<String> STATUSES = List.of(RUNNING, COMPLETED, STOPPED);

    public int schemaVersion = Contract.SCHEMA_VERSION;
    public String id;
    public StudySpec spec;
    public String status = RUNNING;
    public String stopReason;
    public Instant createdAt;
    public Instant updatedAt;
    public Instant finishedAt;
    public List<Round> rounds = new ArrayList<>();
    public Map<String, ParamSpec> space = new LinkedHashMap<>();
    public Map<String, List<Object>> favoured = new LinkedHashMap<>();
    public List<TrialState> trials = new ArrayList<>();
    public List<Decision> decisions = new ArrayList<>();
    /**
     * What the study was told when it was created, e.g. that it asks for more trials at once than the workers run;
     * left out of the document when there is none.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public List<String> warnings = new ArrayList<>();
    /** Points waiting to run as remedy trials, with the trial each one remedies. */
    public List<RemedyPlan> remedyQueue = new ArrayList<>();
    /** The checks run before the search (CS231n's procedure: initial loss, overfit a tiny subset, learning-rate range), or null when the study runs none. */
    public PreflightState preflight;

    @JsonIgnore
    public boolean isRunning() {
        return RUNNING.equals(status);
    }

    @JsonIgnore
    public Round currentRound() {
        return rounds.isEmpty() ? null : rounds.get(rounds.size() - 1);
    }

    /** The trials of the search (random, refine, remedy), without the preflight ones. */
    @JsonIgnore
    public List<TrialState> searchTrials() {
        return trials.stream().filter(t -> !Trial.PREFLIGHT.equals(t.origin)).toList();
    }

    /** Whether the preflight is over (or there is none): the search may run. */
    @JsonIgnore
    public boolean preflightOver() {
        return preflight == null || preflight.current() == null;
    }

    /** Optimisation steps trained by all trials (the preflight's too), as far as their events told. */
    public long stepsTrained() {
        return trials.stream().mapToLong(TrialState::stepsTrained).sum();
    }

    /** Optimisation steps trained by the search trials: what the study spent of its planned budget. */
    public long searchStepsTrained() {
        return searchTrials().stream().mapToLong(TrialState::stepsTrained).sum();
    }

    public Optional<TrialState> trial(String trialId) {
        return trials.stream().filter(t -> t.trialId.equals(trialId)).findFirst();
    }

    /** The finished or running trial with the best value, if any. */
    @JsonIgnore
    public Optional<TrialState> bestTrial() {
        return trials.stream().filter(t -> t.best != null)
                .min((a, b) -> spec.objective().compareBestFirst(a.best, b.best));
    }

    public void addDecision(Decision d, int max) {
        decisions.add(d);
        while (decisions.size() > max) {
            decisions.remove(0);
        }
    }
}
