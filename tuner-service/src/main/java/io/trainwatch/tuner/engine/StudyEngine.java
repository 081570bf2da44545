package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;

import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tuner's state machine, free of Kafka and Quarkus, and the one entry point of the Kafka runtime and the
 * REST API: every input returns the {@link Effects} to carry out. It only routes; each job has its class:
 * <ul>
 *   <li>{@link StudyRounds}: a study's creation, rounds (random, then narrowed), trials started, its end;</li>
 *   <li>{@link PreflightRunner}: the checks before the search;</li>
 *   <li>{@link TrialAlerts}: the {@link AlertPolicy}'s reactions carried out on trials;</li>
 *   <li>{@link TrialEvents}: a trial's events and time (progress, confirmations, end, silence);</li>
 *   <li>{@link CommandLedger}: commands pending confirmation and their retries;</li>
 *   <li>{@link StudyRegistry}: the studies held, their run index and eviction;</li>
 *   <li>{@link RunSteering}: runs outside studies that asked to be steered.</li>
 * </ul>
 * Deterministic for a given input sequence and clock: trial ids, run ids, command ids and sampled points are
 * derived from the study id, seed and trial index, so a restart from a stored state reproduces them exactly.
 * Not thread-safe: the caller serialises the calls.
 */
public final class StudyEngine {

    /** The policy name of preflight decisions. */
    public static final String PREFLIGHT = PreflightRunner.PREFLIGHT;

    private final AlertPolicy policy;
    private final EngineSettings settings;
    private final Clock clock;
    private final StudyRegistry registry;
    private final StudyRounds rounds;
    private final TrialAlerts alerts;
    private final TrialEvents events;
    private final RunSteering runs;

    public StudyEngine(AlertPolicy policy, EngineSettings settings, Clock clock) {
        this(policy, settings, SteerSettings.defaults(), clock);
    }

    public StudyEngine(AlertPolicy policy, EngineSettings settings, SteerSettings steer, Clock clock) {
        this.policy = policy;
        this.settings = settings;
        this.clock = clock;
        this.registry = new StudyRegistry(settings, clock);
        DecisionLog log = new DecisionLog(settings);
        CommandLedger commands = new CommandLedger(settings, clock, log);
        this.rounds = new StudyRounds(settings, policy.settings().favourShare(), clock, registry, log, commands);
        PreflightRunner preflight = new PreflightRunner(clock, registry, log, commands, rounds);
        rounds.preflight(preflight);
        this.alerts = new TrialAlerts(policy, clock, log, commands, rounds);
        this.events = new TrialEvents(settings, policy, clock, registry, log, commands, rounds, preflight, alerts);
        this.runs = new RunSteering(policy, settings, steer, clock);
    }

    /** The steering of runs outside the studies (those that declared control auto or suggest). */
    public RunSteering runs() {
        return runs;
    }

    public EngineSettings settings() {
        return settings;
    }

    public AlertPolicy policy() {
        return policy;
    }

    public Collection<StudyState> studies() {
        return registry.all();
    }

    public Optional<StudyState> study(String id) {
        return Optional.ofNullable(registry.get(id));
    }

    /** Starts a study: its first round and as many trials as may run at once. */
    public Effects create(String id, StudySpec spec) {
        return rounds.create(id, spec);
    }

    /** Stops a study: no new trials; running ones are told to stop. */
    public Effects stop(String id, String reason) {
        StudyState s = registry.get(id);
        if (s == null) {
            throw new IllegalArgumentException("no study '" + id + "'");
        }
        Effects fx = new Effects();
        if (s.isRunning()) {
            rounds.stop(s, reason, fx);
        }
        return fx;
    }

    /**
     * Rebuilds the engine from stored studies. {@code published} holds the {@code studyId/trialId} of every
     * trial found on the trials topic: trials the state knows but the topic lacks (the tuner stopped between
     * writing the state and the trial) are published again; none is published twice.
     */
    public Effects restore(Collection<StudyState> stored, Set<String> published) {
        Effects fx = new Effects();
        for (StudyState s : stored) {
            registry.put(s);
            for (TrialState t : s.trials) {
                registry.index(s, t);
                if (t.status == TrialStatus.QUEUED && !published.contains(s.id + "/" + t.trialId)) {
                    fx.trial(TrialMessage.of(s, t));
                }
            }
        }
        registry.trimToBound();
        for (StudyState s : registry.all()) {
            if (s.isRunning()) {
                int before = s.trials.size();
                rounds.fill(s, fx);
                if (s.trials.size() != before || !s.isRunning()) {
                    fx.changed(s);
                }
            }
        }
        return fx;
    }

    /**
     * Reacts to an alert from {@code training.alerts}. An alert of a run that is no trial of a study goes to the
     * {@linkplain #runs() run steering}; resolutions and replays change nothing (but drop a deferred decay).
     */
    public Effects onAlert(Alert alert) {
        StudyRegistry.Located at = registry.locate(alert.studyId(), alert.trialId(), alert.runId());
        return at == null ? runs.onAlert(alert) : alerts.onAlert(alert, at);
    }

    /**
     * Follows a trial's events from {@code training.events}: progress, best value, confirmations, its end. The
     * events of a run that is no trial of a study go to the {@linkplain #runs() run steering}.
     */
    public Effects onEvent(TrainingEvent event) {
        StudyRegistry.Located at = registry.locate(event.studyId(), event.trialId(), event.runId());
        return at == null ? runs.onEvent(event) : events.onEvent(event, at);
    }

    /** Retries unconfirmed commands, declares silent trials (and steered runs) lost, and persists progress now and then. */
    public Effects tick() {
        Effects fx = runs.tick();
        events.tick(clock.instant(), fx);
        return fx;
    }

    /**
     * The point the preflight trials train: the centre of each requested range, overridden by the request's
     * {@code preflight.hyperparameters} (see {@link PreflightRunner#referencePoint}).
     */
    public static Map<String, Object> referencePoint(StudySpec spec) {
        return PreflightRunner.referencePoint(spec);
    }

    /** The trial message for a trial of a study; the same for the same state (used again after a restart). */
    public static Trial toTrial(StudyState s, TrialState t) {
        return TrialMessage.of(s, t);
    }
}
