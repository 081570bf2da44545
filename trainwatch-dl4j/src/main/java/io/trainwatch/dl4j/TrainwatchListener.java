package io.trainwatch.dl4j;

import io.trainwatch.client.KafkaSettings;
import io.trainwatch.client.Run;
import io.trainwatch.client.SuggestionListener;
import io.trainwatch.client.TrainwatchClient;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.TunerCommand;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one listener a Deeplearning4j program adds to its {@link MultiLayerNetwork} or {@link ComputationGraph} to
 * be watched and steered by Trainwatch: it publishes {@code run-started} at the first iteration (the layers
 * described from the model's configuration), a {@code step} for every sampled iteration (loss, batch accuracy when
 * the model ends in a dense output layer, the learning rate in force, global and per-layer gradient norms,
 * parameter norms and update ratios, measured by {@link StepTelemetry}, and the step time), and
 * {@code run-finished} at {@link #close()} (or from a shutdown hook if the program forgets). It applies the
 * tuner's {@code set-learning-rate} on the training thread at the next step boundary and confirms it with
 * {@code command-applied}; a {@code stop} makes {@link #stopRequested()} true and ends a
 * {@link Trainwatch#iterator wrapped iterator}, so that {@code fit} returns cleanly. Suggestions are handed to a
 * {@link SuggestionListener} (by default logged) and never applied. A dead broker never slows a step: events are
 * queued for a publisher thread, and drops are counted into {@code run-finished.droppedEvents}.
 *
 * <p>Build it with {@link Trainwatch#listener()}. Not for more than one model at a time. What it measures is
 * {@link StepTelemetry}'s, what it says of the model {@link ModelDescription}'s, how it sets the rate
 * {@link LearningRates}'; the file is a little over 400 lines only because its {@link Builder} (plain settings) is
 * nested, so that the type programs name, {@code TrainwatchListener.Builder}, stays the same.
 */
public final class TrainwatchListener extends BaseTrainingListener implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TrainwatchListener.class.getName());

    private final TrainwatchClient client;
    private final boolean ownsClient;
    private final Run run;
    private final Builder spec;
    private final int sampleEvery;
    private final Thread shutdownHook;

    private StepTelemetry telemetry;
    private boolean started;
    /** The index of the step in progress (the next step once one is done). */
    private long step;
    private int epoch;
    private boolean sampled = true;
    private Double rate;
    private long stepStartNanos;
    private int batch;
    private volatile boolean closed;
    private volatile double lastLoss = Double.NaN;
    private volatile Double currentRate;

    private TrainwatchListener(Builder b) {
        this.spec = b;
        this.sampleEvery = Math.max(1, b.sampleEvery);
        if (b.client != null) {
            this.client = b.client;
            this.ownsClient = false;
        } else {
            KafkaSettings settings = b.settings == null ? KafkaSettings.fromEnvironment() : b.settings;
            if (b.bootstrapServers != null) {
                settings = settings.withBootstrapServers(b.bootstrapServers);
            }
            this.client = TrainwatchClient.builder().settings(settings).suggestions(b.suggestions).build();
            this.ownsClient = true;
        }
        this.run = client.run(b.runId).studyId(b.studyId).trialId(b.trialId).suggestions(b.suggestions).open();
        this.shutdownHook = new Thread(() -> finishAtExit(), "trainwatch-shutdown-" + b.runId);
        try {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already
        }
    }

    /** The run's id. */
    public String runId() {
        return run.runId();
    }

    /** The run, to publish validations ({@link Run#validation}) or other events of it. */
    public Run run() {
        return run;
    }

    /** The client that publishes this run's events. */
    public TrainwatchClient client() {
        return client;
    }

    /** True once a {@code stop} command (or {@link #requestStop}) asked the training to end. */
    public boolean stopRequested() {
        return run.stopRequested();
    }

    /** Asks the training to end at the next step boundary, as a {@code stop} command would. */
    public void requestStop(String reason) {
        run.requestStop(reason);
    }

    /** The index of the next step (the number of steps done). */
    public long steps() {
        return step;
    }

    /** The learning rate in force after the last step or command, or null before the first step. */
    public Double learningRate() {
        return currentRate;
    }

    @Override
    public void onEpochStart(Model model) {
        if (started) {
            applyCommands(model); // run-started waits for the first batch: its size is part of the configuration
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        epoch++;
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        beforeStep(model);
        if (sampled) {
            telemetry.onForwardPass(model, activations);
        }
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        beforeStep(model);
        if (sampled) {
            telemetry.onForwardPass(model, activations);
        }
    }

    @Override
    public void onBackwardPass(Model model) {
        beforeStep(model);
        if (sampled) {
            telemetry.onBackwardPass(model);
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        beforeStep(model);
        if (sampled) {
            telemetry.onGradientCalculation(model);
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int dl4jEpoch) {
        beforeStep(model);
        if (sampled) {
            telemetry.iterationDone(model, iteration, dl4jEpoch);
        }
        long now = System.nanoTime();
        double loss = model.score();
        lastLoss = loss;
        if (sampled || !Double.isFinite(loss)) {
            publishStep(loss, now);
        }
        step++;
        stepStartNanos = now;
        applyCommands(model);
        prepared = false;
    }

    /** Whether {@link #beforeStep} ran for the step in progress. */
    private boolean prepared;

    /** Once per step, at its first callback: run-started (first step), the rate in force, the sampling. */
    private void beforeStep(Model model) {
        if (prepared) {
            return;
        }
        prepared = true;
        ensureStarted(model);
        sampled = step % sampleEvery == 0;
        telemetry.beginStep(null, sampled);
        rate = LearningRates.of(model);
        currentRate = rate;
        batch = StepTelemetry.safeBatchSize(model);
    }

    private void ensureStarted(Model m) {
        if (started) {
            return;
        }
        started = true;
        this.telemetry = new StepTelemetry(m);
        this.stepStartNanos = System.nanoTime();
        try {
            run.started(ModelDescription.of(m, spec.dataset, spec.numClasses, spec.loss, spec.epochs), spec.control);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot describe the model for run-started", e);
        }
    }

    private void publishStep(double loss, long now) {
        StepTelemetry.Measurement m = sampled ? telemetry.measurement() : null;
        Map<String, Double> grads = null;
        Map<String, Double> params = null;
        Map<String, Double> ratios = null;
        Double acc = null;
        Double gradNorm = null;
        if (m != null) {
            String[] names = telemetry.layerNames();
            grads = StepTelemetry.Measurement.byLayer(names, m.layerGradientNorms());
            params = StepTelemetry.Measurement.byLayer(names, m.parameterNorms());
            ratios = StepTelemetry.Measurement.byLayer(names, m.updateRatios());
            acc = m.accuracyOrNull();
            gradNorm = m.gradientNorm();
        }
        double ms = (now - stepStartNanos) / 1e6;
        Double eps = batch > 0 && ms > 0 ? batch / (ms / 1000.0) : null;
        run.step(step, epoch, loss, acc, rate, gradNorm, grads, params, ratios, ms, eps);
    }

    /** Applies waiting commands between two steps; they take effect from step {@link #step} on. */
    private void applyCommands(Model m) {
        if (!run.hasPendingCommand()) {
            return;
        }
        run.applyPending(step, c -> {
            Map<String, Object> details = new LinkedHashMap<>();
            if (TunerCommand.SET_LEARNING_RATE.equals(c.type())) {
                Double previous = LearningRates.of(m);
                LearningRates.set(m, c.learningRate());
                currentRate = c.learningRate();
                details.put("previousLearningRate", previous);
                details.put("learningRate", c.learningRate());
            }
            return details;
        });
    }

    /**
     * Publishes {@code run-finished} with this status and reason (once) at the last step done, then, if the
     * listener created its client, sends what is queued (up to 5 s) and closes it.
     */
    public synchronized void finish(String status, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        run.finish(status, reason, Math.max(0, step - 1));
        if (ownsClient) {
            client.close(Duration.ofSeconds(5));
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // called from the hook itself, while the JVM shuts down
        }
    }

    /**
     * Ends the run: {@code stopped} after a stop, {@code diverged} when the last loss was not finite, else
     * {@code completed}. Call it when training is over (try-with-resources).
     */
    @Override
    public void close() {
        if (run.stopRequested()) {
            finish(RunFinished.STOPPED, run.stopReason());
        } else if (started && !Double.isFinite(lastLoss)) {
            finish(RunFinished.DIVERGED, "loss is " + lastLoss + " at step " + Math.max(0, step - 1));
        } else {
            finish(RunFinished.COMPLETED, "completed " + step + " steps");
        }
    }

    private void finishAtExit() {
        if (closed) {
            return;
        }
        LOG.warning("run " + run.runId() + " was not closed: finishing it at JVM exit");
        if (run.stopRequested()) {
            finish(RunFinished.STOPPED, run.stopReason());
        } else {
            finish(RunFinished.FAILED, "the program exited without closing the listener after " + step + " steps");
        }
    }

    /** The settings of a {@link TrainwatchListener}. */
    public static final class Builder {
        private String runId;
        private String studyId;
        private String trialId;
        private String bootstrapServers;
        private KafkaSettings settings;
        private TrainwatchClient client;
        private Integer numClasses;
        private String loss;
        private String dataset;
        private Integer epochs;
        private RunControl control;
        private int sampleEvery = 1;
        private SuggestionListener suggestions = SuggestionListener.LOG;

        Builder() {
        }

        /** The run's id (default: {@code run-} and 12 random hex digits). */
        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder studyId(String studyId) {
            this.studyId = studyId;
            return this;
        }

        public Builder trialId(String trialId) {
            this.trialId = trialId;
            return this;
        }

        /** The broker, over the {@code KAFKA_*} / {@code -Dkafka.*} settings. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** All Kafka settings (TLS, SASL); default {@link KafkaSettings#fromEnvironment()}. */
        public Builder settings(KafkaSettings settings) {
            this.settings = settings;
            return this;
        }

        /** A client shared with other runs of this program (then {@link #close()} does not close it). */
        public Builder client(TrainwatchClient client) {
            this.client = client;
            return this;
        }

        /** The number of classes (for the monitor's initial-loss check: ln C). */
        public Builder numClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /** The loss: {@code mcxent}, {@code negativeloglikelihood}, {@code xent}, {@code mse}, ... */
        public Builder loss(String loss) {
            this.loss = loss;
            return this;
        }

        /** What the run trains on, in a few words. */
        public Builder dataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** How the tuner may steer this run ({@code auto}, {@code suggest}, {@code off}; default: not declared = off). */
        public Builder control(RunControl control) {
            this.control = control;
            return this;
        }

        /** How the tuner may steer this run: {@code "auto"}, {@code "suggest"} or {@code "off"}. */
        public Builder control(String mode) {
            this.control = RunControl.of(mode);
            return this;
        }

        /** Measure and publish every Nth step (default 1: every step); unsampled steps cost nothing. */
        public Builder sampleEvery(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("sampleEvery must be >= 1, was " + n);
            }
            this.sampleEvery = n;
            return this;
        }

        /** Where the tuner's suggestions go (default: logged at INFO). */
        public Builder suggestions(SuggestionListener suggestions) {
            this.suggestions = suggestions;
            return this;
        }

        /** The listener, registered for its run's commands; add it with {@code net.addListeners(...)}. */
        public TrainwatchListener build() {
            if (runId == null) {
                runId = "run-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            }
            return new TrainwatchListener(this);
        }
    }
}
