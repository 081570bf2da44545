package io.trainwatch.trainer.telemetry;

import io.trainwatch.dl4j.StepTelemetry;
import io.trainwatch.trainer.data.SyntheticImages;
import io.trainwatch.trainer.model.TestConfigs;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** For a convolutional network and a computation graph the heap-side norms agree with ND4J's own. */
class ArchitectureTelemetryTest {

    /** ND4J's norms of the raw gradients per layer (keyed by the parameter key's layer part). */
    static final class Probe extends BaseTrainingListener {
        final Map<String, Double> sq = new HashMap<>();

        @Override
        public void onGradientCalculation(Model model) {
            sq.clear();
            for (Map.Entry<String, INDArray> e : model.gradient().gradientForVariable().entrySet()) {
                String layer = e.getKey().substring(0, e.getKey().lastIndexOf('_'));
                double n = e.getValue().norm2Number().doubleValue();
                sq.merge(layer, n * n, Double::sum);
            }
        }

        double norm(String layer) {
            return Math.sqrt(sq.getOrDefault(layer, 0.0));
        }

        double total() {
            return Math.sqrt(sq.values().stream().mapToDouble(Double::doubleValue).sum());
        }
    }

    private static DataSet images(int n, int[] labels) {
        var ex = SyntheticImages.blobs(12, 12, 1, 3, n, 0.1, 4);
        float[] x = new float[n * 144];
        float[] y = new float[n * 3];
        for (int i = 0; i < n; i++) {
            System.arraycopy(ex.x()[i], 0, x, i * 144, 144);
            y[i * 3 + ex.y()[i]] = 1;
            labels[i] = ex.y()[i];
        }
        return new DataSet(Nd4j.create(x, new long[]{n, 1, 12, 12}, 'c'), Nd4j.create(y, new long[]{n, 3}, 'c'));
    }

    @Test
    void convolutionLayersAreSlicedAsTheirParamTableSaysAndPoolingIsLeftOut() {
        MultiLayerNetwork net = new MultiLayerNetwork(TestConfigs.cnn(12, 1, 3));
        net.init();
        StepTelemetry telemetry = new StepTelemetry(net);
        assertThat(telemetry.layerNames()).containsExactly("layer0", "layer2", "layer3");
        Probe probe = new Probe();
        net.setListeners(probe, telemetry);
        int[] labels = new int[16];
        DataSet batch = images(16, labels);
        INDArray predicted = Nd4j.argMax(net.output(batch.getFeatures(), false), 1);
        telemetry.beginStep(labels, true);
        net.fit(batch);
        StepTelemetry.Measurement m = telemetry.measurement();
        String[] keys = {"0", "2", "3"};
        for (int l = 0; l < 3; l++) {
            assertThat(m.layerGradientNorms()[l]).as("layer %s", keys[l])
                    .isCloseTo(probe.norm(keys[l]) / 16, within(1e-5));
            assertThat(m.layerGradientNorms()[l]).isPositive();
        }
        assertThat(m.gradientNorm()).isCloseTo(probe.total() / 16, within(1e-5));
        long correct = 0;
        for (int i = 0; i < 16; i++) {
            correct += predicted.getLong(i) == labels[i] ? 1 : 0;
        }
        assertThat(m.accuracy()).as("accuracy of this step's forward pass").isEqualTo(correct / 16.0);
        assertThat(telemetry.slowCopies()).isZero();
    }

    @Test
    void aGraphIsMeasuredPerLayerInTopologicalOrder() {
        ComputationGraph net = new ComputationGraph(TestConfigs.twoBranches(4, 3));
        net.init();
        StepTelemetry telemetry = new StepTelemetry(net);
        assertThat(telemetry.layerNames()).containsExactly("left", "right", "out");
        Probe probe = new Probe();
        net.setListeners(probe, telemetry);
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10, 4);
        INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10, 3);
        int[] labels = new int[10];
        for (int i = 0; i < 10; i++) {
            labels[i] = i % 3;
            y.putScalar(i, i % 3, 1);
        }
        telemetry.beginStep(labels, true);
        net.fit(new DataSet(x, y));
        StepTelemetry.Measurement m = telemetry.measurement();
        String[] names = telemetry.layerNames();
        for (int l = 0; l < names.length; l++) {
            assertThat(m.layerGradientNorms()[l]).as(names[l]).isCloseTo(probe.norm(names[l]) / 10, within(1e-5));
        }
        assertThat(m.gradientNorm()).isCloseTo(probe.total() / 10, within(1e-5));
        assertThat(m.accuracy()).isBetween(0.0, 1.0);
        for (double r : m.updateRatios()) {
            assertThat(r).isPositive();
        }
    }
}
