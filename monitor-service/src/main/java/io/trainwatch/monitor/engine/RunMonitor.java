package io.trainwatch.monitor.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.LossFunctions;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.detector.BadInitializationDetector;
import io.trainwatch.monitor.detector.Condition;
import io.trainwatch.monitor.detector.Detector;
import io.trainwatch.monitor.detector.DivergenceDetector;
import io.trainwatch.monitor.detector.ExplodingGradientsDetector;
import io.trainwatch.monitor.detector.LrDecayedTooEarlyDetector;
import io.trainwatch.monitor.detector.OverfittingDetector;
import io.trainwatch.monitor.detector.PlateauDetector;
import io.trainwatch.monitor.detector.Stats;
import io.trainwatch.monitor.detector.UnderfittingDetector;
import io.trainwatch.monitor.detector.VanishingGradientsDetector;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The per-run engine: {@link #process} folds one event into a run's {@link RunState}, runs every
 * detector and turns their conditions into {@code firing} / {@code resolved} alerts, one episode per
 * detector at a time, with {@code alertId = Alert.fingerprint(runId, detector, episodeStartStep)}.
 * Duplicated and out-of-order steps are ignored; NaN and Infinity are data. Testable without Kafka.
 */
public final class RunMonitor {

    private static final String[] SEVERITIES = {Alert.INFO, Alert.WARNING, Alert.CRITICAL};
    /** {@code config.schedule.type} of a learning-rate range test (the contract's geometric ramp). */
    static final String RANGE_SCHEDULE = "range";

    private final MonitorConfig config;
    private final Detector[] detectors = new Detector[RunState.DETECTORS];
    /** For each detector, the detectors whose condition (holding or active) keeps it from starting an episode. */
    private final int[] suppressedBy = new int[RunState.DETECTORS];

    public RunMonitor(MonitorConfig config) {
        this.config = config;
        PlateauDetector plateau = new PlateauDetector(config.plateau());
        put(new VanishingGradientsDetector(config.vanishingGradients(), config.badInitialization()));
        put(new ExplodingGradientsDetector(config.explodingGradients()));
        put(new DivergenceDetector(config.divergence()));
        put(plateau);
        put(new LrDecayedTooEarlyDetector(config.lrDecayedTooEarly(), plateau));
        put(new OverfittingDetector(config.overfitting()));
        put(new UnderfittingDetector(config.underfitting(), plateau));
        put(new BadInitializationDetector(config.badInitialization()));
        // The more specific diagnosis wins: a plateau after a decay is lr-decayed-too-early, a flat run at
        // chance is bad initialisation, a flat run with low accuracy is underfitting, a NaN run diverged.
        suppress(DetectorName.PLATEAU, DetectorName.LR_DECAYED_TOO_EARLY, DetectorName.UNDERFITTING,
                DetectorName.BAD_INITIALIZATION, DetectorName.DIVERGENCE, DetectorName.VANISHING_GRADIENTS);
        suppress(DetectorName.UNDERFITTING, DetectorName.BAD_INITIALIZATION, DetectorName.LR_DECAYED_TOO_EARLY,
                DetectorName.DIVERGENCE, DetectorName.VANISHING_GRADIENTS);
        suppress(DetectorName.LR_DECAYED_TOO_EARLY, DetectorName.BAD_INITIALIZATION, DetectorName.DIVERGENCE);
        // A loss pinned at ln(C) behind a first layer that gets ~1e-10 of the gradient is the vanishing gradient
        // (recorded vanishing-gradients runs), whose remedy already names the initialisation.
        suppress(DetectorName.BAD_INITIALIZATION, DetectorName.VANISHING_GRADIENTS);
        // A learning-rate range test sweeps the rate from far too low to far too high: its flat start is the tiny
        // rate and its blow-up at the end is its result (the rate where the loss turns is what the test measures).
        // Its divergence and exploding gradients are reported as info with no action; the diagnoses of a flat or
        // stalled loss, which the ramp makes by design, are not made at all.
        rangeTestExpected = bits(DetectorName.DIVERGENCE, DetectorName.EXPLODING_GRADIENTS);
        rangeTestSilent = bits(DetectorName.PLATEAU, DetectorName.LR_DECAYED_TOO_EARLY, DetectorName.UNDERFITTING,
                DetectorName.BAD_INITIALIZATION, DetectorName.OVERFITTING);
    }

    /** Detectors whose alerts on a range test are its expected end: info, no action. */
    private final int rangeTestExpected;
    /** Detectors that make no diagnosis on a range test. */
    private final int rangeTestSilent;

    private static int bits(DetectorName... names) {
        int mask = 0;
        for (DetectorName n : names) {
            mask |= 1 << index(n);
        }
        return mask;
    }

    private void put(Detector d) {
        detectors[index(d.detector())] = d;
    }

    private void suppress(DetectorName detector, DetectorName... by) {
        for (DetectorName b : by) {
            suppressedBy[index(detector)] |= 1 << index(b);
        }
    }

    /** The index of a detector in {@link RunState}'s episodes. */
    public static int index(DetectorName detector) {
        return RunState.index(detector);
    }

    public MonitorConfig config() {
        return config;
    }

    /** A fresh state for a run. */
    public RunState newState(String runId) {
        return new RunState(runId);
    }

    /** Folds {@code event} into {@code state} and returns the alerts it raises or resolves (often none). */
    public List<Alert> process(RunState state, TrainingEvent event) {
        return process(state, event, event.timestamp().toEpochMilli());
    }

    /**
     * As {@link #process(RunState, TrainingEvent)}, with the record's time (Kafka's record timestamp, which
     * drives idle eviction; the event's own timestamp stamps the alerts, so replays give identical alerts).
     */
    public List<Alert> process(RunState s, TrainingEvent event, long recordMillis) {
        if (s.firstRecordMillis < 0) {
            s.firstRecordMillis = recordMillis;
        }
        s.lastRecordMillis = Math.max(s.lastRecordMillis, recordMillis);
        if (s.studyId == null) {
            s.studyId = event.studyId();
        }
        if (s.trialId == null) {
            s.trialId = event.trialId();
        }
        if (event instanceof StepEvent step) {
            return step(s, step);
        } else if (event instanceof ValidationEvent validation) {
            return validation(s, validation);
        } else if (event instanceof RunStarted started) {
            return started(s, started);
        } else if (event instanceof RunFinished finished) {
            return finished(s, finished);
        }
        return List.of(); // command-applied: the new learning rate shows in the next steps
    }

    private List<Alert> started(RunState s, RunStarted e) {
        if (s.steps > 0 || s.finished()) {
            s.ignored++;
            return List.of();
        }
        String loss = LossFunctions.normalize(e.config().lossFunction());
        s.crossEntropy = LossFunctions.CROSS_ENTROPY.equals(loss);
        s.chanceLoss = LossFunctions.chanceLoss(loss, e.config().numClasses());
        s.scenario = e.config().scenario();
        Map<String, Object> schedule = e.config().schedule();
        s.rangeTest = schedule != null && RANGE_SCHEDULE.equals(schedule.get("type"));
        s.l2 = e.config().l2() == null ? Double.NaN : e.config().l2();
        return List.of();
    }

    private List<Alert> step(RunState s, StepEvent e) {
        if (e.step() <= s.lastStep || s.finished()) {
            s.ignored++;
            return List.of();
        }
        if (s.epochStartStep < 0) {
            s.epochStartStep = e.step();
        } else if (e.epoch() > s.lastEpoch) {
            s.stepsPerEpoch = (e.step() - s.epochStartStep) / Math.max(1, e.epoch() - s.lastEpoch);
            s.epochStartStep = e.step();
        }
        s.lastStep = e.step();
        s.lastEpoch = e.epoch();
        s.steps++;
        double loss = e.loss();
        s.loss = loss;
        s.accuracy = e.accuracy() == null ? s.accuracy : e.accuracy();
        s.gradientNorm = e.gradientNorm() == null ? s.gradientNorm : e.gradientNorm();
        if (Double.isFinite(loss)) {
            s.nonFiniteLossRun = 0;
            if (Double.isNaN(s.firstLoss)) {
                s.firstLoss = loss;
            }
            if (s.startCount < config.smoothing().startSteps()) {
                s.startSum += loss;
                s.startLoss = s.startSum / (s.startCount + 1);
            }
            s.startCount = Math.min(s.startCount + 1, config.smoothing().startSteps() + 1);
            double alpha = config.smoothing().lossEmaAlpha();
            if (s.startCount <= config.smoothing().startSteps()) {
                s.ema = s.startLoss; // the smoothed loss starts as the mean of the first steps, not one noisy batch
            } else {
                double d = loss - s.ema;
                s.lossVariance += alpha * (d * d - s.lossVariance);
                s.ema = Stats.ema(s.ema, loss, alpha);
            }
            boolean warm = s.startCount > config.smoothing().startSteps();
            if (warm && (Double.isNaN(s.minEma) || s.ema < s.minEma)) {
                s.minEma = s.ema;
            }
            // Progress must beat both the relative min-delta and the smoothed loss's own noise (k sigma),
            // so that the minimum of a noisy flat curve does not pass for progress.
            double emaSigma = Math.sqrt(s.lossVariance * alpha / (2 - alpha));
            s.emaSigma = emaSigma;
            double needed = Math.max(config.plateau().minDelta() * Math.abs(s.bestEma),
                    config.plateau().noiseSigmas() * emaSigma);
            if (warm && (Double.isNaN(s.bestEma) || s.bestEma - s.ema > needed)) {
                s.bestEma = s.ema;
                s.bestStep = e.step();
                s.plateauFromStep = e.step();
            }
        } else {
            s.nonFiniteLossRun++;
        }
        Double lr = e.learningRate();
        if (lr != null && Double.isFinite(lr) && lr > 0) {
            if (Double.isFinite(s.previousLr)) {
                if (lr <= config.lrDecayedTooEarly().dropFactor() * s.previousLr) {
                    s.lastDecayStep = e.step();
                    // A decay made while a plateau is reported answers it (ReduceLROnPlateau, the tuner's policy): it
                    // came after the loss levelled off, so it is not "too early"; a later flat is a new plateau.
                    // The plateau may have resolved between the alert and the step the new rate took effect.
                    boolean plateauActive = s.active(index(DetectorName.PLATEAU));
                    boolean answersPlateau = plateauActive || (s.lastPlateauStep >= 0
                            && e.step() - s.lastPlateauStep <= config.lrDecayedTooEarly().afterDropSteps());
                    // Too early means the loss was still improving when the rate was cut; a decay after a stall
                    // answers the levelling-off (a schedule or a ReduceLROnPlateau decay), as above.
                    boolean levelledOff = s.bestStep >= 0
                            && e.step() - s.bestStep > config.lrDecayedTooEarly().progressBeforeDropSteps();
                    s.lrDropStep = answersPlateau || levelledOff ? -1 : e.step();
                    s.lrBeforeDrop = s.previousLr;
                    // Keras and PyTorch ReduceLROnPlateau restart their patience count after a reduction: the loss
                    // gets a full patience to answer the new rate. A plateau already reported stays open until the
                    // loss improves.
                    if (!plateauActive && s.bestStep >= 0) {
                        s.plateauFromStep = e.step();
                    }
                } else if (lr * config.lrDecayedTooEarly().dropFactor() >= s.previousLr) {
                    s.lrDropStep = -1; // raised again: the decay is undone
                }
            }
            s.previousLr = lr;
            s.learningRate = lr;
        }
        Condition[] conditions = new Condition[RunState.DETECTORS];
        for (int i = 0; i < detectors.length; i++) {
            conditions[i] = detectors[i].onStep(s, e);
        }
        return transitions(s, conditions, e.step(), e.epoch(), e.timestamp());
    }

    private List<Alert> validation(RunState s, ValidationEvent e) {
        if (e.step() < s.lastValidationStep || (e.step() == s.lastValidationStep && s.validations > 0)
                || s.finished()) {
            s.ignored++;
            return List.of();
        }
        s.lastValidationStep = e.step();
        s.validations++;
        if (Stats.finite(e.validationLoss())) {
            s.validationLoss = e.validationLoss();
        }
        if (Stats.finite(e.validationAccuracy())) {
            s.validationAccuracy = e.validationAccuracy();
        }
        if (Stats.finite(e.trainAccuracy())) {
            s.trainAccuracy = e.trainAccuracy();
        }
        if (Stats.finite(e.trainLoss())) {
            s.trainLoss = e.trainLoss();
        }
        Condition[] conditions = new Condition[RunState.DETECTORS];
        for (int i = 0; i < detectors.length; i++) {
            conditions[i] = detectors[i].onValidation(s, e);
        }
        return transitions(s, conditions, Math.max(e.step(), Math.max(s.lastStep, 0)), e.epoch(), e.timestamp());
    }

    private List<Alert> finished(RunState s, RunFinished e) {
        if (s.finished()) {
            s.ignored++;
            return List.of();
        }
        s.status = RunState.statusCode(e.status());
        List<Alert> out = new ArrayList<>(0);
        for (int i = 0; i < detectors.length; i++) {
            if (s.active(i)) {
                out.add(resolved(s, i, Math.max(e.step(), s.lastStep), s.lastEpoch, e.timestamp(),
                        "The run finished (" + e.status() + ")" + (e.reason() == null ? "." : ": " + e.reason() + "."),
                        latest(s)));
            }
        }
        return out;
    }

    private List<Alert> transitions(RunState s, Condition[] conditions, long step, int epoch, Instant at) {
        int holding = 0;
        for (int i = 0; i < conditions.length; i++) {
            if (conditions[i].isHolding()) {
                holding |= 1 << i;
            }
        }
        int blockers = holding | s.activeMask;
        List<Alert> out = null;
        for (int i = 0; i < conditions.length; i++) {
            Condition c = conditions[i];
            Alert alert = null;
            if (c.isHolding() && !s.active(i) && (suppressedBy[i] & blockers) == 0 && !reportedAsEarlyDecay(s, i)
                    && !(s.rangeTest && (rangeTestSilent & (1 << i)) != 0)) {
                s.setActive(i, true);
                s.episodeStart[i] = step;
                if (i == index(DetectorName.PLATEAU)) {
                    s.lastPlateauStep = step;
                }
                String severity = c.severity();
                String summary = c.summary();
                String action = c.suggestedAction();
                if (s.rangeTest && (rangeTestExpected & (1 << i)) != 0) {
                    severity = Alert.INFO;
                    action = Alert.ACTION_NONE;
                    summary = "The learning-rate range test reached its expected end (a range test ramps the rate until "
                            + "the loss blows up; the rate to use is below where the loss turned): " + summary;
                }
                s.episodeSeverity[i] = (byte) severityCode(severity);
                alert = new Alert(Contract.SCHEMA_VERSION, Alert.fingerprint(s.runId, detectors[i].name(), step),
                        Alert.FIRING, s.runId, s.studyId, s.trialId, detectors[i].name(), severity, step, epoch, at,
                        summary, c.evidence(), c.remedy(), action);
                // The more specific diagnosis replaces the one it suppresses: a plateau that turns out to be
                // underfitting (or a decay made too early, or a dead network) is resolved, not left open beside it.
                for (int j = 0; j < conditions.length; j++) {
                    if (j != i && s.active(j) && (suppressedBy[j] & (1 << i)) != 0) {
                        if (out == null) {
                            out = new ArrayList<>(2);
                        }
                        out.add(resolved(s, j, step, epoch, at, "Superseded by " + detectors[i].name() + ": "
                                + summary, c.evidence()));
                    }
                }
            } else if (c.isCleared() && s.active(i)) {
                alert = resolved(s, i, step, epoch, at, c.summary(), c.evidence());
            }
            if (alert != null) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(alert);
            }
        }
        return out == null ? List.of() : out;
    }

    /** A plateau after a decay that lr-decayed-too-early already reported is the same diagnosis, not a new one. */
    private static boolean reportedAsEarlyDecay(RunState s, int detector) {
        int lr = index(DetectorName.LR_DECAYED_TOO_EARLY);
        return detector == index(DetectorName.PLATEAU) && s.lrDropStep >= 0 && s.episodeStart[lr] >= s.lrDropStep;
    }

    private Alert resolved(RunState s, int i, long step, int epoch, Instant at, String why, Map<String, Double> ev) {
        s.setActive(i, false);
        return new Alert(Contract.SCHEMA_VERSION, Alert.fingerprint(s.runId, detectors[i].name(), s.episodeStart[i]),
                Alert.RESOLVED, s.runId, s.studyId, s.trialId, detectors[i].name(), SEVERITIES[Math.floorMod(s.episodeSeverity[i], SEVERITIES.length)],
                step, epoch, at, why, ev, detectors[i].remedy(), Alert.ACTION_NONE);
    }

    private static Map<String, Double> latest(RunState s) {
        return io.trainwatch.monitor.detector.Evidence.of("loss", s.loss).and("smoothedLoss", s.ema).map();
    }

    private static int severityCode(String severity) {
        return switch (severity) {
            case Alert.CRITICAL -> 2;
            case Alert.WARNING -> 1;
            default -> 0;
        };
    }
}
