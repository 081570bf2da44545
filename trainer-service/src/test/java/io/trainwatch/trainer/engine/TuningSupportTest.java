package io.trainwatch.trainer.engine;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.trainer.model.Dl4jSchedule;
import io.trainwatch.trainer.model.LearningRateSchedule;
import io.trainwatch.trainer.model.ModelFactory;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.scenario.Scenarios;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Batch normalisation, dropout placement, learning-rate schedules and training on a subset, in real runs. */
class TuningSupportTest {

    private static Map<String, Object> config(Map<String, Object> base, Object... kv) {
        Map<String, Object> m = new HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static CollectingSink run(Map<String, Object> config, RunObserver observer, Path dir) {
        CollectingSink sink = new CollectingSink();
        TrainingRun[] holder = new TrainingRun[1];
        holder[0] = new TrainingRun("r", null, null, RunSpecParser.parse(config), sink, observer, Clock.systemUTC(),
                dir, 16);
        holder[0].run();
        return sink;
    }

    private static double mean(List<StepEvent> steps, int from, int to) {
        return steps.subList(from, to).stream().mapToDouble(StepEvent::loss).average().orElseThrow();
    }

    @Test
    void batchNormBuildsNamesItsLayersAndTrains() {
        CollectingSink sink = run(config(Scenarios.configOf("healthy"), "batchNorm", true, "maxSteps", 100), null, null);
        RunStarted started = sink.of(RunStarted.class).get(0);
        assertThat(started.config().batchNorm()).isTrue();
        assertThat(started.config().layers()).extracting(LayerInfo::name)
                .containsExactly("layer0", "layer1", "layer2", "layer3", "layer4");
        assertThat(started.config().layers()).extracting(LayerInfo::type)
                .containsExactly("dense", "batchnorm", "dense", "batchnorm", "output");
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(100);
        for (StepEvent s : steps) {
            assertThat(s.layerGradientNorms().keySet()).containsExactly("layer0", "layer1", "layer2", "layer3", "layer4");
            assertThat(s.layerGradientNorms().values()).allSatisfy(v -> assertThat(v).isFinite().isPositive());
        }
        double first = mean(steps, 0, 10);
        double last = mean(steps, 90, 100);
        assertThat(last).as("loss falls with BN: first 10 steps %.4f, last 10 %.4f", first, last).isLessThan(first * 0.3);
        assertThat(sink.of(RunFinished.class).get(0).status()).isEqualTo(RunFinished.COMPLETED);
    }

    @Test
    void dropoutIsOnEveryHiddenOutputAndOffAtZero() {
        RunSpec on = RunSpecParser.parse(Map.of("hiddenLayers", List.of(8, 8), "dropout", 0.3, "batchNorm", true));
        MultiLayerNetwork net = ModelFactory.build(on, 2, 3);
        // layer0 dense (input = features: no dropout), layer1 BN (input = pre-BN: none), layer2 dense and
        // layer4 output take hidden outputs: dropped with probability 0.3 (DL4J keeps with 0.7).
        boolean[] expected = {false, false, true, false, true};
        for (int l = 0; l < expected.length; l++) {
            var conf = (BaseLayer) net.getLayer(l).conf().getLayer();
            if (expected[l]) {
                assertThat(conf.getIDropout()).as("layer %d", l).isInstanceOf(Dropout.class);
                assertThat(((Dropout) conf.getIDropout()).getP()).isCloseTo(0.7, within(1e-12));
            } else {
                assertThat(conf.getIDropout()).as("layer %d", l).isNull();
            }
        }
        MultiLayerNetwork off = ModelFactory.build(RunSpecParser.parse(Map.of("hiddenLayers", List.of(8, 8),
                "dropout", 0)), 2, 3);
        for (int l = 0; l < off.getnLayers(); l++) {
            assertThat(((BaseLayer) off.getLayer(l).conf().getLayer()).getIDropout()).isNull();
        }
        MultiLayerNetwork logistic = ModelFactory.build(RunSpecParser.parse(Map.of("hiddenLayers", List.of(),
                "dropout", 0.5)), 2, 3);
        assertThat(((BaseLayer) logistic.getLayer(0).conf().getLayer()).getIDropout())
                .as("no hidden unit to drop").isNull();
    }

    @Test
    void stepEventsCarryTheRateOfTheRampAndSgdAppliesIt(@TempDir Path dir) throws Exception {
        LearningRateSchedule ramp = LearningRateSchedule.range(1e-4, 0.1, 20);
        CollectingSink sink = run(Map.of("dataset", Map.of("type", "xor", "samples", 400), "hiddenLayers", List.of(8),
                "optimizer", "sgd", "batchSize", 16, "maxSteps", 30,
                "schedule", Map.of("type", "range", "from", 1e-4, "to", 0.1, "steps", 20)), null, dir);
        RunStarted started = sink.of(RunStarted.class).get(0);
        assertThat(started.config().schedule()).isEqualTo(ramp.toMap());
        assertThat(started.config().learningRate()).isEqualTo(1e-4);
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(30);
        for (StepEvent s : steps) {
            double expected = ramp.rateAt(s.step(), 0);
            assertThat(Math.abs(s.learningRate() - expected) / expected).as("step %d", s.step()).isLessThan(1e-12);
            // Plain SGD: the update of each layer is lr x its mean gradient, so the rate used is measurable.
            double used = s.updateRatios().get("layer0") * s.parameterNorms().get("layer0")
                    / s.layerGradientNorms().get("layer0");
            assertThat(used / expected).as("rate applied at step %d", s.step()).isCloseTo(1.0, within(1e-3));
        }
        assertThat(steps.get(0).learningRate()).isEqualTo(1e-4);
        assertThat(steps.get(19).learningRate()).isEqualTo(0.1);
        assertThat(steps.get(29).learningRate()).isEqualTo(0.1);
        // The checkpoint keeps the schedule.
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(dir.resolve("r.zip").toFile(), true);
        var updater = ((BaseLayer) restored.getLayer(0).conf().getLayer()).getIUpdater();
        assertThat(updater.getLearningRate(10, 0)).isEqualTo(ramp.rateAt(10, 0));
    }

    @Test
    void stepAndExponentialSchedulesInARun() {
        Map<String, Object> base = Map.of("dataset", Map.of("type", "xor", "samples", 400), "hiddenLayers", List.of(8),
                "learningRate", 0.01, "batchSize", 16, "maxSteps", 25);
        List<StepEvent> step = run(config(base, "schedule", Map.of("type", "step", "every", 10, "factor", 0.5)), null,
                null).of(StepEvent.class);
        assertThat(step).extracting(StepEvent::learningRate).containsOnly(0.01, 0.005, 0.0025);
        assertThat(step.get(9).learningRate()).isEqualTo(0.01);
        assertThat(step.get(10).learningRate()).isEqualTo(0.005);
        assertThat(step.get(24).learningRate()).isEqualTo(0.0025);
        List<StepEvent> exp = run(config(base, "schedule", Map.of("type", "exponential", "gamma", 0.9)), null, null)
                .of(StepEvent.class);
        for (StepEvent s : exp) {
            assertThat(s.learningRate()).isCloseTo(0.01 * Math.pow(0.9, s.step()), within(1e-15));
        }
        List<StepEvent> constant = run(config(base, "schedule", Map.of("type", "constant")), null, null)
                .of(StepEvent.class);
        assertThat(constant).extracting(StepEvent::learningRate).containsOnly(0.01);
    }

    @Test
    void aSetLearningRateCommandReplacesTheSchedule() {
        TrainingRun[] holder = new TrainingRun[1];
        RunObserver at5 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 4) {
                    holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "c1", "r",
                            TunerCommand.SET_LEARNING_RATE, 0.003, "test", null, null, null, null));
                }
            }
        };
        CollectingSink sink = new CollectingSink();
        holder[0] = new TrainingRun("r", null, null, RunSpecParser.parse(Map.of("dataset", "xor", "hiddenLayers",
                List.of(8), "batchNorm", true, "learningRate", 0.01, "maxSteps", 20,
                "schedule", Map.of("type", "exponential", "gamma", 0.5))), sink, at5, Clock.systemUTC(), null, 16);
        holder[0].run();
        CommandApplied applied = sink.of(CommandApplied.class).get(0);
        assertThat(applied.step()).isEqualTo(5);
        assertThat(applied.details()).containsEntry("scheduleReplaced", true)
                .containsEntry("previousLearningRate", 0.01 * Math.pow(0.5, 5)).containsEntry("learningRate", 0.003);
        assertThat(String.valueOf(applied.details().get("replacedSchedule"))).contains("type=exponential");
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps.get(4).learningRate()).isEqualTo(0.01 * Math.pow(0.5, 4));
        assertThat(steps.subList(5, 20)).extracting(StepEvent::learningRate).containsOnly(0.003);
    }

    @Test
    void theSubsetIsTheSameFirstNBatchesFixedBySeed() {
        RunSpec spec = RunSpecParser.parse(Map.of("subsetBatches", 4, "seed", 5));
        int[] a = MiniBatches.subsetOrder(spec, 720, 32, new Random(5 * 31 + 7));
        int[] b = MiniBatches.subsetOrder(spec, 720, 32, new Random(5 * 31 + 7));
        int[] other = MiniBatches.subsetOrder(spec, 720, 32, new Random(6 * 31 + 7));
        assertThat(a).hasSize(128).isEqualTo(b).isNotEqualTo(other).doesNotHaveDuplicates();
        assertThat(java.util.Arrays.stream(a).min().orElseThrow()).isGreaterThanOrEqualTo(0);
        assertThat(java.util.Arrays.stream(a).max().orElseThrow()).isLessThan(720);
        assertThat(a).isEqualTo(java.util.Arrays.copyOf(
                        io.trainwatch.trainer.data.Datasets.permutation(720, new Random(5 * 31 + 7)), 128))
                .as("the first 4 batches of the first epoch's shuffle");
        assertThat(MiniBatches.subsetOrder(RunSpecParser.parse(Map.of()), 720, 32, new Random(1))).isNull();
    }

    @Test
    void aSubsetRunCyclesOverNBatchesAndMeasuresTrainingOnThem() {
        CollectingSink sink = run(Map.of("dataset", Map.of("type", "xor", "samples", 400), "hiddenLayers", List.of(8),
                "batchSize", 16, "subsetBatches", 3, "epochs", 4, "learningRate", 0.01), null, null);
        assertThat(sink.of(RunStarted.class).get(0).config().subsetBatches()).isEqualTo(3);
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(12);
        assertThat(steps).extracting(StepEvent::epoch).containsExactly(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3);
        assertThat(sink.of(ValidationEvent.class)).extracting(ValidationEvent::step).containsExactly(2L, 5L, 8L, 11L);
        // Training accuracy is measured on the 48 subset examples: a multiple of 1/48.
        for (ValidationEvent v : sink.of(ValidationEvent.class)) {
            assertThat(v.trainAccuracy() * 48).isCloseTo(Math.rint(v.trainAccuracy() * 48), within(1e-9));
        }
    }

    @Test
    void aSubsetLargerThanTheTrainingSetFailsTheRunNamingTheField() {
        CollectingSink sink = run(Map.of("dataset", Map.of("type", "xor", "samples", 400), "batchSize", 16,
                "subsetBatches", 21), null, null);
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).isEqualTo(RunFinished.FAILED);
        assertThat(f.reason()).contains("subsetBatches", "21 batches of 16", "320", "at most 20");
    }

    /**
     * Trains {@code config} until the subset's training accuracy (measured at each validation, i.e. every epoch of
     * N steps) is 1.0, or to its maxSteps: {first step with 1.0 or -1, best accuracy, steps done}.
     */
    static double[] overfit(Map<String, Object> config) {
        TrainingRun[] holder = new TrainingRun[1];
        long[] first = {-1};
        double[] best = {0};
        int[] steps = {0};
        holder[0] = new TrainingRun("r", null, null, RunSpecParser.parse(config), event -> {
            if (event instanceof StepEvent) {
                steps[0]++;
            } else if (event instanceof ValidationEvent v) {
                best[0] = Math.max(best[0], v.trainAccuracy());
                if (first[0] < 0 && v.trainAccuracy() == 1.0) {
                    first[0] = v.step();
                    holder[0].requestStop("overfitted");
                }
            }
        }, null, Clock.systemUTC(), null, 16);
        holder[0].run();
        return new double[]{first[0], best[0], steps[0]};
    }

    @Test
    void theHealthyModelOverfitsFiveBatchesAndLogisticRegressionCannot() {
        // Measured (OverfitMeasurementTest, README): healthy reaches 1.0 on its 5 batches by step 89-99;
        // logistic regression stays at ~0.57-0.59 on spirals whatever the length.
        Map<String, Object> healthy = config(Scenarios.configOf("healthy"), "subsetBatches", 5, "l2", 0, "dropout", 0,
                "epochs", 1000, "maxSteps", 150);
        double[] h = overfit(healthy);
        assertThat(h[0]).as("healthy reaches 1.0 on its 5 batches (best %.4f)", h[1]).isBetween(0.0, 149.0);
        Map<String, Object> tiny = config(healthy, "hiddenLayers", List.of(), "learningRate", 0.05, "maxSteps", 60);
        double[] t = overfit(tiny);
        assertThat(t[0]).isEqualTo(-1);
        assertThat(t[1]).as("logistic regression cannot fit spirals").isLessThan(0.7);
    }
}
