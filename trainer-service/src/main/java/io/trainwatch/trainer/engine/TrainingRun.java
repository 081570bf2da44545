package io.trainwatch.trainer.engine;

import io.trainwatch.client.CommandInbox;
import io.trainwatch.client.Run;
import io.trainwatch.client.TelemetrySink;
import io.trainwatch.events.Contract;
import io.trainwatch.events.LossFunctions;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.trainer.backend.Backends;
import io.trainwatch.trainer.data.Datasets;
import io.trainwatch.trainer.data.Examples;
import io.trainwatch.trainer.data.PreparedData;
import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.Dl4jModels;
import io.trainwatch.trainer.model.ModelFactory;
import io.trainwatch.trainer.model.Network;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.dl4j.StepTelemetry;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One training run on one thread: builds the data and the model, trains mini-batch by mini-batch, and
 * reports {@code run-started}, every (sampled) {@code step}, {@code validation} (every epoch end and every
 * {@code validateEverySteps}; never on a stop), {@code command-applied} and {@code run-finished} to a
 * {@link TelemetrySink}, and keeps its last {@link #VALIDATIONS_KEPT} validations for the REST API.
 *
 * <p>Commands ({@link #submit}) are queued and applied on the training thread between two iterations,
 * the only place where DL4J tolerates a learning-rate change. A non-finite loss ends the run at once as
 * {@code diverged} (DL4J itself trains on through NaN). The model and its updater are checkpointed when the
 * run completes or is stopped.
 *
 * <p>With {@code subsetBatches = N} the run trains only on the first N mini-batches of the first shuffled
 * order (fixed by the seed), the same N batches in the same order every epoch, so an epoch is N steps; the
 * training loss/accuracy of validation events is then measured on exactly those N batches, the validation
 * loss/accuracy still on the validation set. A {@code set-learning-rate} command replaces any schedule by that
 * constant rate for the rest of the run ({@code command-applied} says {@code scheduleReplaced}).
 */
public final class TrainingRun implements Runnable {

    private static final Logger LOG = Logger.getLogger(TrainingRun.class.getName());

    /** How many validations a run keeps for {@code GET /runs/{id}/validations} (the oldest are dropped). */
    public static final int VALIDATIONS_KEPT = 1000;

    /** How many examples of the training set the per-epoch training loss/accuracy is measured on. */
    static final int TRAIN_EVAL_LIMIT = 2000;

    private final String runId;
    private final String studyId;
    private final String trialId;
    private final RunSpec spec;
    private final RunObserver observer;
    private final Clock clock;
    private final Path checkpointDir;
    /**
     * Publishes the run's events and holds the commands waiting for the training thread (stale ones refused,
     * duplicates skipped); it applies and confirms them, and holds the reason to stop.
     */
    private final Run run;

    private volatile String status = "pending";
    private volatile String reason;
    private volatile long step;
    private volatile int epoch;
    private volatile Double loss;
    private volatile Double accuracy;
    private volatile Double learningRate;
    private volatile Double validationLoss;
    private volatile Double validationAccuracy;
    private volatile Instant startedAt;
    private volatile Instant finishedAt;
    private volatile String checkpoint;
    private volatile Network network;
    private final ValidationHistory validations = new ValidationHistory(VALIDATIONS_KEPT);
    /** Whether the spec's schedule (or lrSchedule) still drives the rate (a set-learning-rate ends it). */
    private boolean scheduleActive;

    public TrainingRun(String runId, String studyId, String trialId, RunSpec spec, TelemetrySink sink,
                       RunObserver observer, Clock clock, Path checkpointDir, int rememberedCommands) {
        this.runId = runId;
        this.studyId = studyId;
        this.trialId = trialId;
        this.spec = spec;
        this.observer = observer == null ? RunObserver.NONE : observer;
        this.clock = clock;
        this.checkpointDir = checkpointDir;
        this.run = Run.of(runId, studyId, trialId, sink, clock,
                new CommandInbox(runId, clock.instant(), rememberedCommands, null));
    }

    public String runId() {
        return runId;
    }

    public String studyId() {
        return studyId;
    }

    public String trialId() {
        return trialId;
    }

    public RunSpec spec() {
        return spec;
    }

    /** True once the run has finished, whatever its status. */
    public boolean isFinished() {
        return finishedAt != null;
    }

    /** The multi-layer network while and after it trains (tests), or null before it is built or for a graph. */
    public MultiLayerNetwork network() {
        Network n = network;
        return n == null ? null : n.multiLayer();
    }

    /** The model (a multi-layer network or a computation graph) while and after it trains, or null before. */
    public Model model() {
        Network n = network;
        return n == null ? null : n.model();
    }

    /**
     * Queues a tuner command for the training thread; returns false (and does nothing) when the run has
     * finished, the command is stale or it is only a suggestion ({@code mode: suggest}, never applied).
     * Duplicates are detected when applied.
     */
    public boolean submit(TunerCommand command) {
        if (command.isSuggestion()) {
            // A suggestion is for the run's owner to read, never to apply (and nothing awaits its confirmation).
            LOG.fine(() -> "ignoring suggestion " + command.commandId() + " for run " + runId);
            return false;
        }
        if (isFinished()) {
            return false;
        }
        return run.submit(command);
    }

    /** Asks the run to stop before its next step (REST stop, trial revoked, shutdown). */
    public void requestStop(String why) {
        run.requestStop(why);
    }

    /** A snapshot for the REST API. */
    public RunView view() {
        return new RunView(runId, studyId, trialId, spec.scenario(), status, reason, step, epoch, loss, accuracy,
                learningRate, validationLoss, validationAccuracy, startedAt, finishedAt, checkpoint);
    }

    /** The run's validations in step order, the last {@link #VALIDATIONS_KEPT} at most (a copy). */
    public List<ValidationPoint> validations() {
        return validations.list();
    }

    @Override
    public void run() {
        startedAt = clock.instant();
        status = "running";
        long lastStep = 0;
        String endStatus;
        String endReason;
        try {
            Outcome outcome = train();
            lastStep = outcome.lastStep;
            endStatus = outcome.status;
            endReason = outcome.reason;
        } catch (InvalidConfigException e) {
            endStatus = RunFinished.FAILED;
            endReason = "invalid configuration: " + e.getMessage();
            lastStep = Math.max(0, step);
        } catch (Throwable e) {
            LOG.log(Level.WARNING, "run " + runId + " failed", e);
            endStatus = RunFinished.FAILED;
            endReason = e.getClass().getSimpleName() + ": " + e.getMessage();
            lastStep = Math.max(0, step);
        }
        if (RunFinished.COMPLETED.equals(endStatus) || RunFinished.STOPPED.equals(endStatus)) {
            saveCheckpoint();
        }
        RunFinished finished = new RunFinished(Contract.SCHEMA_VERSION, runId, clock.instant(), studyId, trialId,
                endStatus, endReason, lastStep, 0L);
        reason = endReason;
        status = endStatus;
        finishedAt = finished.timestamp();
        safePublish(finished);
        try {
            observer.onFinished(finished);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "observer failed", e);
        }
    }

    private record Outcome(String status, String reason, long lastStep) {
    }

    private Outcome train() {
        PreparedData data = Datasets.prepare(spec.dataset(), spec.seed());
        Network net = spec.model() == null
                ? Network.of(ModelFactory.build(spec, data.numFeatures(), data.numClasses()), null,
                ModelFactory.describe(spec, data.numFeatures(), data.numClasses()), spec.loss())
                : Dl4jModels.build(spec, data.numFeatures(), data.numClasses(), data.exampleShape());
        network = net;
        StepTelemetry telemetry = new StepTelemetry(net.model());
        net.setListeners(telemetry);
        String lossName = LossFunctions.normalize(net.lossName());
        RunConfig config = new RunConfig(spec.scenario(), data.description(), data.numClasses(), lossName,
                net.layers(), spec.optimizer(),
                spec.learningRate(), spec.batchSize(), spec.epochs(), spec.l2(), spec.dropout(), spec.seed(),
                spec.batchNorm(), spec.scheduleAnnouncement(), spec.subsetBatches());
        scheduleActive = spec.scheduleAnnouncement() != null;
        safePublish(new RunStarted(Contract.SCHEMA_VERSION, runId, clock.instant(), studyId, trialId, config,
                Backends.backend(), Backends.device(), spec.control()));

        Examples train = data.train();
        int[] shape = net.exampleShape();
        DataSet validationSet = MiniBatches.dataSet(data.validation(),
                MiniBatches.allIndices(data.validation().size()), shape);
        int n = train.size();
        int batch = Math.min(spec.batchSize(), n);
        int batchesPerEpoch = n / batch; // a last partial batch is dropped, as usual
        Random shuffle = new Random(spec.seed() * 31 + 7);
        int[] subset = MiniBatches.subsetOrder(spec, n, batch, shuffle);
        if (subset != null) {
            batchesPerEpoch = spec.subsetBatches();
        }
        int[] trainEvalIdx = subset != null ? subset
                : MiniBatches.allIndices(Math.min(train.size(), TRAIN_EVAL_LIMIT));
        DataSet trainEvalSet = MiniBatches.dataSet(train, trainEvalIdx, shape);
        long maxSteps = spec.maxSteps() == null ? Long.MAX_VALUE : spec.maxSteps();
        String[] layerNames = telemetry.layerNames(); // layer0 ... layerN in a multi-layer network, vertex names in a graph

        long s = 0; // index of the next step
        long lastValidated = -1;
        for (int e = 0; e < spec.epochs(); e++) {
            epoch = e;
            int[] order = subset != null ? subset : Datasets.permutation(n, shuffle);
            for (int b = 0; b < batchesPerEpoch; b++) {
                if (s >= maxSteps) {
                    return finishCompleted(net, validationSet, trainEvalSet, s, e, lastValidated,
                            "reached maxSteps=" + maxSteps);
                }
                applyCommands(net, s);
                if (run.stopRequested()) {
                    // No validation on a stop: a stop is no place to score the run (measured where no schedule
                    // put it, it could become a study's best value); the run's last scheduled one stands.
                    return new Outcome(RunFinished.STOPPED, run.stopReason(), Math.max(0, s - 1));
                }
                int[] idx = Arrays.copyOfRange(order, b * batch, (b + 1) * batch);
                int[] labels = MiniBatches.labels(train, idx);
                DataSet ds = MiniBatches.dataSet(train, idx, shape);
                boolean sampled = s % spec.sampleEvery() == 0;
                telemetry.beginStep(labels, sampled);
                Double lr = net.learningRate();
                long t0 = System.nanoTime();
                net.fit(ds);
                long t1 = System.nanoTime();
                double score = net.score();
                boolean finite = Double.isFinite(score);
                step = s;
                loss = score;
                learningRate = lr;
                if (sampled || !finite) {
                    StepTelemetry.Measurement m = telemetry.measurement();
                    double ms = (t1 - t0) / 1e6;
                    StepEvent event = stepEvent(s, e, score, lr, m, layerNames, ms, batch);
                    accuracy = event.accuracy();
                    safePublish(event);
                    try {
                        observer.onStep(event);
                    } catch (RuntimeException ex) {
                        LOG.log(Level.FINE, "observer failed", ex);
                    }
                }
                if (!finite) {
                    return new Outcome(RunFinished.DIVERGED, "loss is " + score + " at step " + s, s);
                }
                if (spec.validateEverySteps() > 0 && (s + 1) % spec.validateEverySteps() == 0) {
                    validate(net, validationSet, trainEvalSet, s, e);
                    lastValidated = s;
                }
                s++;
            }
            if (s > 0 && lastValidated != s - 1) {
                validate(net, validationSet, trainEvalSet, s - 1, e);
                lastValidated = s - 1;
            }
        }
        return new Outcome(RunFinished.COMPLETED, "completed " + spec.epochs() + " epochs", Math.max(0, s - 1));
    }

    private Outcome finishCompleted(Network net, DataSet validationSet, DataSet trainEvalSet, long s, int e,
                                    long lastValidated, String why) {
        if (s > 0 && lastValidated != s - 1) {
            validate(net, validationSet, trainEvalSet, s - 1, e);
        }
        return new Outcome(RunFinished.COMPLETED, why, Math.max(0, s - 1));
    }

    private StepEvent stepEvent(long s, int e, double score, Double lr, StepTelemetry.Measurement m,
                                String[] layerNames, double ms, int batch) {
        Map<String, Double> grads = null;
        Map<String, Double> params = null;
        Map<String, Double> ratios = null;
        Double acc = null;
        Double gradNorm = null;
        if (m != null) {
            grads = StepTelemetry.Measurement.byLayer(layerNames, m.layerGradientNorms());
            params = StepTelemetry.Measurement.byLayer(layerNames, m.parameterNorms());
            ratios = StepTelemetry.Measurement.byLayer(layerNames, m.updateRatios());
            acc = m.accuracyOrNull();
            gradNorm = m.gradientNorm();
        }
        double eps = ms > 0 ? batch / (ms / 1000.0) : Double.POSITIVE_INFINITY;
        return new StepEvent(Contract.SCHEMA_VERSION, runId, clock.instant(), studyId, trialId, s, e, score, acc, lr,
                gradNorm, grads, params, ratios, ms, eps);
    }

    private void validate(Network net, DataSet validationSet, DataSet trainEvalSet, long s, int e) {
        double vLoss = net.score(validationSet);
        double vAcc = net.accuracy(validationSet);
        double tLoss = net.score(trainEvalSet);
        double tAcc = net.accuracy(trainEvalSet);
        validationLoss = vLoss;
        validationAccuracy = vAcc;
        ValidationEvent v = new ValidationEvent(Contract.SCHEMA_VERSION, runId, clock.instant(), studyId, trialId, s, e,
                tLoss, tAcc, vLoss, vAcc);
        validations.add(v);
        safePublish(v);
    }

    /** Applies the waiting commands (they take effect from step {@code s} on) and confirms each. */
    private void applyCommands(Network net, long s) {
        if (!run.hasPendingCommand()) {
            return;
        }
        run.applyPending(s, c -> {
            Map<String, Object> details = new LinkedHashMap<>();
            if (TunerCommand.SET_LEARNING_RATE.equals(c.type())) {
                Double previous = net.learningRate();
                net.setLearningRate(c.learningRate());
                learningRate = c.learningRate();
                details.put("previousLearningRate", previous);
                details.put("learningRate", c.learningRate());
                if (scheduleActive) {
                    // DL4J's setLearningRate(double) deletes the schedule: the rate stays constant from here on.
                    details.put("scheduleReplaced", true);
                    details.put("replacedSchedule", spec.scheduleAnnouncement());
                    scheduleActive = false;
                }
            }
            return details;
        });
    }

    private void saveCheckpoint() {
        Network net = network;
        if (net == null || checkpointDir == null) {
            return;
        }
        try {
            Files.createDirectories(checkpointDir);
            Path file = checkpointDir.resolve(runId.replaceAll("[^A-Za-z0-9._-]", "_") + ".zip");
            ModelSerializer.writeModel(net.model(), file.toFile(), true);
            checkpoint = file.toString();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot checkpoint run " + runId + " under " + checkpointDir, e);
        }
    }

    /** Publishes an event of this run; a sink that fails is logged, never fails the run. */
    private void safePublish(TrainingEvent event) {
        run.publish(event);
    }
}
