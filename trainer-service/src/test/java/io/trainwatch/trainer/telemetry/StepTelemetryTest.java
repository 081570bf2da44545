package io.trainwatch.trainer.telemetry;

import io.trainwatch.dl4j.StepTelemetry;
import io.trainwatch.trainer.data.Datasets;
import io.trainwatch.trainer.data.PreparedData;
import io.trainwatch.trainer.model.ModelFactory;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The heap-side norms agree with ND4J's own, computed at the same moment of the step. */
class StepTelemetryTest {

    /** Native norms of the raw gradients, per layer, and the parameters before the step. */
    static final class NativeProbe extends BaseTrainingListener {
        double[] layerNorms;
        double[] before;
        INDArray paramsBefore;

        @Override
        public void onGradientCalculation(Model model) {
            MultiLayerNetwork net = (MultiLayerNetwork) model;
            layerNorms = new double[net.getnLayers()];
            for (Map.Entry<String, INDArray> e : net.gradient().gradientForVariable().entrySet()) {
                int layer = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('_')));
                double n = e.getValue().norm2Number().doubleValue();
                layerNorms[layer] += n * n;
            }
            for (int i = 0; i < layerNorms.length; i++) {
                layerNorms[i] = Math.sqrt(layerNorms[i]);
            }
            paramsBefore = net.params().dup();
        }
    }

    @Test
    void gradientParameterAndUpdateNormsMatchNd4j() {
        RunSpec spec = RunSpecParser.parse(Map.of("dataset", Map.of("type", "blobs"), "hiddenLayers", List.of(16, 8),
                "optimizer", "sgd", "learningRate", 0.1));
        PreparedData data = Datasets.prepare(spec.dataset(), 1);
        MultiLayerNetwork net = ModelFactory.build(spec, data.numFeatures(), data.numClasses());
        StepTelemetry telemetry = new StepTelemetry(net);
        NativeProbe probe = new NativeProbe();
        net.setListeners(probe, telemetry);
        int batch = 32;
        Batch b = batch(data, batch, 0);
        INDArray predicted = Nd4j.argMax(net.output(b.features(), false), 1);

        telemetry.beginStep(b.labels(), true);
        net.fit(b.dataSet());
        StepTelemetry.Measurement m = telemetry.measurement();

        for (int l = 0; l < 3; l++) {
            assertThat(m.layerGradientNorms()[l]).as("layer %d", l).isCloseTo(probe.layerNorms[l] / batch, within(1e-5));
        }
        double total = Math.sqrt(java.util.Arrays.stream(probe.layerNorms).map(v -> v * v).sum()) / batch;
        assertThat(m.gradientNorm()).isCloseTo(total, within(1e-5));
        INDArray after = net.params();
        // Layer 0 is 20x16 weights + 16 biases at the start of the flat vector; norms are taken before the update.
        double p0 = probe.paramsBefore.reshape(probe.paramsBefore.length())
                .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 20 * 16 + 16)).norm2Number().doubleValue();
        assertThat(m.parameterNorms()[0]).isCloseTo(p0, within(1e-4));
        // SGD: update = lr * mean gradient (no regularisation), so ||update|| / ||params|| is known exactly.
        INDArray delta = probe.paramsBefore.sub(after);
        assertThat(m.updateRatios()[0] * m.parameterNorms()[0])
                .isCloseTo(0.1 * probe.layerNorms[0] / batch, within(1e-4));
        assertThat(delta.norm2Number().doubleValue()).isCloseTo(0.1 * total, within(1e-4));

        assertThat(m.accuracy()).as("accuracy of the forward pass of this step")
                .isEqualTo(accuracy(predicted.toLongVector(), b.labels()));
        assertThat(telemetry.slowCopies()).as("every copy was one bulk copy from native memory").isZero();
    }

    @Test
    void aLaterStepMeasuresTheNewStateWithoutStaleBuffers() {
        RunSpec spec = RunSpecParser.parse(Map.of("dataset", Map.of("type", "blobs"), "hiddenLayers", List.of(16, 8),
                "optimizer", "adam", "learningRate", 0.01));
        PreparedData data = Datasets.prepare(spec.dataset(), 1);
        MultiLayerNetwork net = ModelFactory.build(spec, data.numFeatures(), data.numClasses());
        StepTelemetry telemetry = new StepTelemetry(net);
        NativeProbe probe = new NativeProbe();
        net.setListeners(probe, telemetry);
        int batch = 16;
        for (int step = 0; step < 5; step++) {
            Batch b = batch(data, batch, step);
            long[] p = Nd4j.argMax(net.output(b.features(), false), 1).toLongVector();
            telemetry.beginStep(b.labels(), true);
            net.fit(b.dataSet());
            StepTelemetry.Measurement m = telemetry.measurement();
            for (int l = 0; l < 3; l++) {
                assertThat(m.layerGradientNorms()[l]).as("step %d layer %d", step, l)
                        .isCloseTo(probe.layerNorms[l] / batch, within(1e-5));
            }
            double all = probe.paramsBefore.norm2Number().doubleValue();
            double sum = 0;
            for (double v : m.parameterNorms()) {
                sum += v * v;
            }
            assertThat(Math.sqrt(sum)).as("step %d parameter norm", step).isCloseTo(all, within(1e-4));
            assertThat(m.accuracy()).as("step %d accuracy", step).isEqualTo(accuracy(p, b.labels()));
        }
        assertThat(telemetry.slowCopies()).isZero();
    }

    @Test
    void anUnsampledStepMeasuresNothing() {
        RunSpec spec = RunSpecParser.parse(Map.of("dataset", "iris", "hiddenLayers", List.of(4)));
        PreparedData data = Datasets.prepare(spec.dataset(), 1);
        MultiLayerNetwork net = ModelFactory.build(spec, data.numFeatures(), data.numClasses());
        StepTelemetry telemetry = new StepTelemetry(net);
        net.setListeners(telemetry);
        telemetry.beginStep(new int[]{0}, false);
        net.fit(new DataSet(Nd4j.create(new float[][]{data.train().x()[0]}),
                Nd4j.create(new float[][]{{1, 0, 0}})));
        assertThat(telemetry.measurement()).isNull();
        assertThat(telemetry.numLayers()).isEqualTo(2);
    }

    /** Mini-batch {@code index} of the training split, as ND4J arrays plus the integer labels. */
    private record Batch(INDArray features, INDArray oneHot, int[] labels) {
        DataSet dataSet() {
            return new DataSet(features, oneHot);
        }
    }

    private static Batch batch(PreparedData data, int size, int index) {
        float[] x = new float[size * data.numFeatures()];
        float[] y = new float[size * data.numClasses()];
        int[] labels = new int[size];
        for (int i = 0; i < size; i++) {
            int k = index * size + i;
            System.arraycopy(data.train().x()[k], 0, x, i * data.numFeatures(), data.numFeatures());
            labels[i] = data.train().y()[k];
            y[i * data.numClasses() + labels[i]] = 1;
        }
        return new Batch(Nd4j.create(x, new long[]{size, data.numFeatures()}, 'c'),
                Nd4j.create(y, new long[]{size, data.numClasses()}, 'c'), labels);
    }

    /** The share of {@code predicted} classes equal to {@code labels}. */
    private static double accuracy(long[] predicted, int[] labels) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }
}
