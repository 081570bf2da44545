package io.trainwatch.trainer.engine;

import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.model.TestConfigs;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Networks given as DL4J configuration JSON train through {@link TrainingRun} and publish every step. */
class ArchitecturesTest {

    private static final Map<String, Object> IMAGES = Map.of("type", "images", "shape", java.util.List.of(12, 12, 1),
            "classes", 3, "samples", 240, "noise", 0.2);

    private static TrainingRun run(Map<String, Object> config, CollectingSink sink, Path dir) {
        return new TrainingRun("r", null, null, RunSpecParser.parse(config), sink, null, Clock.systemUTC(), dir, 4);
    }

    @Test
    void aConvolutionalMultiLayerNetworkTrainsOnImagesAndReportsItsLayers(@TempDir Path dir) throws Exception {
        CollectingSink sink = new CollectingSink();
        TrainingRun run = run(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), IMAGES, "batchSize", 16,
                "maxSteps", 24, "epochs", 2), sink, dir);
        run.run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).as(f.reason()).isEqualTo(RunFinished.COMPLETED);
        RunStarted started = sink.of(RunStarted.class).get(0);
        // The pooling layer has no parameters: it is neither announced nor in the per-layer maps.
        assertThat(started.config().layers()).extracting(l -> l.name() + ":" + l.type())
                .containsExactly("layer0:convolution", "layer2:dense", "layer3:output");
        assertThat(started.config().lossFunction()).isEqualTo("cross-entropy");
        assertThat(started.config().optimizer()).isEqualTo("adam");
        assertThat(started.config().learningRate()).isEqualTo(0.01);
        assertThat(started.config().numClasses()).isEqualTo(3);
        var steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(24);
        for (StepEvent s : steps) {
            assertThat(s.loss()).isFinite();
            assertThat(s.learningRate()).isEqualTo(0.01);
            assertThat(s.gradientNorm()).isPositive();
            assertThat(s.layerGradientNorms()).containsOnlyKeys("layer0", "layer2", "layer3");
            assertThat(s.layerGradientNorms().values()).allSatisfy(v -> assertThat(v).isPositive());
            assertThat(s.accuracy()).isBetween(0.0, 1.0);
            assertThat(s.stepMillis()).isPositive();
        }
        assertThat(sink.of(ValidationEvent.class)).isNotEmpty();
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(dir.resolve("r.zip").toFile(), true);
        assertThat(restored.params()).isEqualTo(run.network().params());
    }

    @Test
    void aComputationGraphWithTwoBranchesTrainsAndReportsLossRateAndNorms(@TempDir Path dir) throws Exception {
        CollectingSink sink = new CollectingSink();
        Map<String, Object> blobs = Map.of("type", "blobs", "classes", 3, "features", 6, "samples", 300);
        TrainingRun run = run(TestConfigs.run(TestConfigs.twoBranches(6, 3).toJson(), blobs, "batchSize", 20,
                "maxSteps", 30), sink, dir);
        run.run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).as(f.reason()).isEqualTo(RunFinished.COMPLETED);
        assertThat(sink.of(RunStarted.class).get(0).config().layers()).extracting(l -> l.name())
                .containsExactly("left", "right", "out");
        var steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(30);
        for (StepEvent s : steps) {
            assertThat(s.loss()).isFinite();
            assertThat(s.learningRate()).isEqualTo(0.1);
            assertThat(s.gradientNorm()).isPositive();
            assertThat(s.layerGradientNorms()).containsOnlyKeys("left", "right", "out");
            assertThat(s.accuracy()).isBetween(0.0, 1.0);
        }
        assertThat(steps.get(29).loss()).isLessThan(steps.get(0).loss());
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(dir.resolve("r.zip").toFile(), true);
        assertThat(restored.params()).isEqualTo(run.model().params());
    }

    @Test
    void aRecurrentNetworkTrainsOnSequencesFromNpyFiles(@TempDir Path dir) throws Exception {
        var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(1)
                .updater(new org.nd4j.linalg.learning.config.Adam(0.01)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep(
                        new org.deeplearning4j.nn.conf.layers.LSTM.Builder().nOut(4).build()))
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(2)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.recurrent(2, 5)).build();
        // NumPy's [examples, timeSteps, features] = [6, 5, 2], fed to DL4J as [batch, features, timeSteps].
        Map<String, Object> npy = Map.of("type", "npy", "path", "src/test/resources/npy/seq-f8.npy",
                "labels", "src/test/resources/npy/labels-u1.npy", "validationFraction", 0.34);
        CollectingSink sink = new CollectingSink();
        run(io.trainwatch.trainer.model.TestConfigs.run(conf.toJson(), npy, "batchSize", 2, "maxSteps", 6), sink, dir)
                .run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).as(f.reason()).isEqualTo(RunFinished.COMPLETED);
        assertThat(sink.of(RunStarted.class).get(0).config().dataset()).startsWith("npy(");
        var steps = sink.of(StepEvent.class);
        assertThat(steps).hasSize(6);
        assertThat(steps).allSatisfy(s -> {
            assertThat(s.loss()).isFinite();
            assertThat(s.layerGradientNorms()).containsOnlyKeys("layer0", "layer1");
            assertThat(s.gradientNorm()).isPositive();
        });
    }
}
