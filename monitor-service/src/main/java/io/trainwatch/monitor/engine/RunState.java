package io.trainwatch.monitor.engine;

import io.trainwatch.events.DetectorName;

import java.util.Arrays;

/**
 * Everything the monitor remembers about one run: a fixed set of numbers (EMAs, counters, a 32-entry
 * window of gradient norms, the latest metrics and one alert episode per detector), never a history,
 * so its serialized form ({@link RunStateCodec}) stays under a kilobyte whatever the run's length.
 *
 * <p>Fields are package-visible and mutable on purpose: the engine and the detectors update them in
 * place on the stream thread that owns the run; nothing else touches a state.
 */
public final class RunState {

    /**
     * The number of detectors: an episode's index in {@link #episodeStart} is {@link #index}. The order lives
     * in memory only; {@link RunStateCodec} keys stored episodes by {@link DetectorName#code()}.
     */
    public static final int DETECTORS = DetectorName.values().length;
    /** Gradient norms kept for the running median. */
    public static final int GRADIENT_WINDOW = 32;

    public static final byte RUNNING = 0;
    public static final byte COMPLETED = 1;
    public static final byte STOPPED = 2;
    public static final byte DIVERGED = 3;
    public static final byte FAILED = 4;

    // --- identity and bookkeeping
    public String runId;
    public String studyId;
    public String trialId;
    public String scenario;
    public byte status = RUNNING;
    public long firstRecordMillis = -1;
    public long lastRecordMillis = -1;
    public long lastStep = -1;
    public int lastEpoch;
    public long lastValidationStep = -1;
    /** First step of the current epoch, and the length in steps of the last complete epoch (0 unknown). */
    public long epochStartStep = -1;
    public long stepsPerEpoch;
    public long steps;
    public long validations;
    public long ignored;
    /** ln(C) for softmax cross-entropy over C classes, else NaN. */
    public double chanceLoss = Double.NaN;
    public boolean crossEntropy;
    /** The run announced a learning-rate range test ({@code config.schedule.type = range}): it is meant to diverge. */
    public boolean rangeTest;
    /** The announced L2 weight decay ({@code config.l2}; NaN: not announced). */
    public double l2 = Double.NaN;

    // --- latest metrics (REST, gauges, evidence of resolved alerts)
    public double loss = Double.NaN;
    public double accuracy = Double.NaN;
    public double learningRate = Double.NaN;
    public double gradientNorm = Double.NaN;
    public double validationLoss = Double.NaN;
    public double validationAccuracy = Double.NaN;
    public double trainAccuracy = Double.NaN;
    public double trainLoss = Double.NaN;

    // --- loss features
    public double firstLoss = Double.NaN;
    public int startCount;
    public double startSum;
    public double startLoss = Double.NaN;
    public double ema = Double.NaN;
    /** EMA of the squared deviation of the raw loss from its EMA: the batch noise. */
    public double lossVariance;
    /** Standard deviation of the smoothed loss from batch noise; derived from lossVariance each step, not stored. */
    public double emaSigma;
    /** Best smoothed loss at its last significant (min-delta) improvement, and the step of it. */
    public double bestEma = Double.NaN;
    public long bestStep = -1;
    /**
     * The step the plateau's patience counts from: the last progress, or a later learning-rate decay (Keras and
     * PyTorch ReduceLROnPlateau restart their count after a reduction). Only the plateau restarts there: the other
     * detectors' "no progress since" stays {@link #bestStep}.
     */
    public long plateauFromStep = -1;
    public double minEma = Double.NaN;
    public int nonFiniteLossRun;
    public double previousLr = Double.NaN;
    public long lrDropStep = -1;
    /** The step of the last plateau alert (-1: none): a decay soon after it answers it, it is not too early. */
    public long lastPlateauStep = -1;
    public double lrBeforeDrop = Double.NaN;
    /** The step of the last learning-rate decay of any kind (-1: none), too early or not. */
    public long lastDecayStep = -1;

    // --- vanishing gradients
    public double emaLogRatio = Double.NaN;
    public double emaLogFirst = Double.NaN;
    public double emaLogUpdateFirst = Double.NaN;
    public double emaLogUpdateLast = Double.NaN;
    public int vanishingHold;
    public int vanishingClear;
    /** Whether any hidden layer's gradient norm has been non-zero, and for how many steps since all were exactly 0. */
    public boolean hiddenGradientsSeen;
    public int deadHiddenRun;

    // --- exploding gradients
    public final float[] gradientWindow = new float[GRADIENT_WINDOW];
    public int gradientCount;
    public int spikeRun;
    public int nonFiniteGradientRun;
    public double emaLogLayerRatio = Double.NaN;
    public int layerRatioHold;
    public int explodingClear;
    /** The first finite gradient norm, and the median of the first {@link #GRADIENT_WINDOW} (the run's early scale). */
    public double firstGradientNorm = Double.NaN;
    public double earlyGradientScale = Double.NaN;
    /** The step of the last explosion seen (a spike or an early blow-up; -1: none) and its gradient norm. */
    public long explosionStep = -1;
    public double explosionGradientNorm = Double.NaN;

    // --- divergence
    public int divergenceHold;
    public int divergenceClear;

    // --- bad initialisation
    public int pinnedRun;
    public int deadGradientRun;
    public boolean flatPhase = true;
    public long flatEndStep = -1;
    public boolean flatThenDrop;

    // --- validation: overfitting, underfitting
    public double minValidationLoss = Double.NaN;
    public long minValidationStep = -1;
    public double trainLossAtMinValidation = Double.NaN;
    public int validationRiseRun;
    public int gapRun;
    public double gapAtStreakStart = Double.NaN;
    public double validationAccuracyAtStreakStart = Double.NaN;
    public double lastGap = Double.NaN;
    public int gapGrowingRun;
    public int lowAccuracyRun;
    /** A slow EMA of log10 of the output layer's update:parameter ratio (NaN: never reported). */
    public double emaLogUpdateSlow = Double.NaN;
    /** The last two finite validation losses and the EMA of |second difference| (the validation loss's noise). */
    public double lastValidationLoss = Double.NaN;
    public double previousValidationLoss = Double.NaN;
    public double validationNoise = Double.NaN;
    /**
     * The last finite validation accuracy, and an EMA of its absolute change from one validation to the next (NaN:
     * fewer than two): how much the validation accuracy swings, the oscillation of a learning rate too high.
     */
    public double lastValidationAccuracy = Double.NaN;
    public double validationAccuracySwing = Double.NaN;
    /** The validation and training loss when the current validation-loss rise began. */
    public double riseStartValidationLoss = Double.NaN;
    public double riseStartTrainLoss = Double.NaN;

    // --- one alert episode per detector
    public int activeMask;
    public final long[] episodeStart = new long[DETECTORS];
    public final byte[] episodeSeverity = new byte[DETECTORS];

    public RunState(String runId) {
        this.runId = runId;
        Arrays.fill(episodeStart, -1);
    }

    /** The index of a detector in {@link #episodeStart}, {@link #episodeSeverity} and {@link #activeMask}. */
    public static int index(DetectorName detector) {
        return detector.ordinal();
    }

    public boolean active(int detector) {
        return (activeMask & (1 << detector)) != 0;
    }

    void setActive(int detector, boolean on) {
        activeMask = on ? activeMask | (1 << detector) : activeMask & ~(1 << detector);
    }

    public boolean finished() {
        return status != RUNNING;
    }

    /** The status as the REST API and {@code run-finished} name it. */
    public String statusName() {
        return switch (status) {
            case COMPLETED -> "completed";
            case STOPPED -> "stopped";
            case DIVERGED -> "diverged";
            case FAILED -> "failed";
            default -> "running";
        };
    }

    static byte statusCode(String name) {
        return switch (name == null ? "" : name) {
            case "completed" -> COMPLETED;
            case "stopped" -> STOPPED;
            case "diverged" -> DIVERGED;
            case "failed" -> FAILED;
            default -> RUNNING;
        };
    }

    /**
     * Makes this state a copy of {@code o} (every field; the arrays copied in place, nothing allocated). The stream
     * processor keeps one scratch state to put a run back as it was before an event the engine failed on.
     */
    public void copyFrom(RunState o) {
        runId = o.runId;
        studyId = o.studyId;
        trialId = o.trialId;
        scenario = o.scenario;
        status = o.status;
        firstRecordMillis = o.firstRecordMillis;
        lastRecordMillis = o.lastRecordMillis;
        lastStep = o.lastStep;
        lastEpoch = o.lastEpoch;
        lastValidationStep = o.lastValidationStep;
        epochStartStep = o.epochStartStep;
        stepsPerEpoch = o.stepsPerEpoch;
        steps = o.steps;
        validations = o.validations;
        ignored = o.ignored;
        chanceLoss = o.chanceLoss;
        crossEntropy = o.crossEntropy;
        rangeTest = o.rangeTest;
        l2 = o.l2;
        lastDecayStep = o.lastDecayStep;
        firstGradientNorm = o.firstGradientNorm;
        earlyGradientScale = o.earlyGradientScale;
        explosionStep = o.explosionStep;
        explosionGradientNorm = o.explosionGradientNorm;
        riseStartValidationLoss = o.riseStartValidationLoss;
        riseStartTrainLoss = o.riseStartTrainLoss;
        loss = o.loss;
        accuracy = o.accuracy;
        learningRate = o.learningRate;
        gradientNorm = o.gradientNorm;
        validationLoss = o.validationLoss;
        validationAccuracy = o.validationAccuracy;
        trainAccuracy = o.trainAccuracy;
        trainLoss = o.trainLoss;
        firstLoss = o.firstLoss;
        startCount = o.startCount;
        startSum = o.startSum;
        startLoss = o.startLoss;
        ema = o.ema;
        lossVariance = o.lossVariance;
        emaSigma = o.emaSigma;
        bestEma = o.bestEma;
        bestStep = o.bestStep;
        plateauFromStep = o.plateauFromStep;
        minEma = o.minEma;
        nonFiniteLossRun = o.nonFiniteLossRun;
        previousLr = o.previousLr;
        lrDropStep = o.lrDropStep;
        lastPlateauStep = o.lastPlateauStep;
        lrBeforeDrop = o.lrBeforeDrop;
        emaLogRatio = o.emaLogRatio;
        emaLogFirst = o.emaLogFirst;
        emaLogUpdateFirst = o.emaLogUpdateFirst;
        emaLogUpdateLast = o.emaLogUpdateLast;
        vanishingHold = o.vanishingHold;
        vanishingClear = o.vanishingClear;
        hiddenGradientsSeen = o.hiddenGradientsSeen;
        deadHiddenRun = o.deadHiddenRun;
        System.arraycopy(o.gradientWindow, 0, gradientWindow, 0, gradientWindow.length);
        gradientCount = o.gradientCount;
        spikeRun = o.spikeRun;
        nonFiniteGradientRun = o.nonFiniteGradientRun;
        emaLogLayerRatio = o.emaLogLayerRatio;
        layerRatioHold = o.layerRatioHold;
        explodingClear = o.explodingClear;
        divergenceHold = o.divergenceHold;
        divergenceClear = o.divergenceClear;
        pinnedRun = o.pinnedRun;
        deadGradientRun = o.deadGradientRun;
        flatPhase = o.flatPhase;
        flatEndStep = o.flatEndStep;
        flatThenDrop = o.flatThenDrop;
        minValidationLoss = o.minValidationLoss;
        minValidationStep = o.minValidationStep;
        trainLossAtMinValidation = o.trainLossAtMinValidation;
        validationRiseRun = o.validationRiseRun;
        gapRun = o.gapRun;
        gapAtStreakStart = o.gapAtStreakStart;
        validationAccuracyAtStreakStart = o.validationAccuracyAtStreakStart;
        lastGap = o.lastGap;
        gapGrowingRun = o.gapGrowingRun;
        lowAccuracyRun = o.lowAccuracyRun;
        emaLogUpdateSlow = o.emaLogUpdateSlow;
        lastValidationLoss = o.lastValidationLoss;
        previousValidationLoss = o.previousValidationLoss;
        validationNoise = o.validationNoise;
        lastValidationAccuracy = o.lastValidationAccuracy;
        validationAccuracySwing = o.validationAccuracySwing;
        activeMask = o.activeMask;
        System.arraycopy(o.episodeStart, 0, episodeStart, 0, episodeStart.length);
        System.arraycopy(o.episodeSeverity, 0, episodeSeverity, 0, episodeSeverity.length);
    }
}
