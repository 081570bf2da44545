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
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** With batch normalisation, each BN layer is its own layer of the telemetry: gamma and beta, never the running statistics. */
class BatchNormTelemetryTest {

    /** ND4J's norms of the trainable raw gradients per layer (BN's running-statistic deltas left out). */
    static final class Probe extends BaseTrainingListener {
        double[] layerNorms;
        Set<String> keys;

        @Override
        public void onGradientCalculation(Model model) {
            MultiLayerNetwork net = (MultiLayerNetwork) model;
            layerNorms = new double[net.getnLayers()];
            keys = new java.util.TreeSet<>(net.gradient().gradientForVariable().keySet());
            for (Map.Entry<String, INDArray> e : net.gradient().gradientForVariable().entrySet()) {
                String param = e.getKey().substring(e.getKey().indexOf('_') + 1);
                if (StepTelemetry.RUNNING_STATISTICS.contains(param)) {
                    continue;
                }
                int layer = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('_')));
                double n = e.getValue().norm2Number().doubleValue();
                layerNorms[layer] += n * n;
            }
            for (int i = 0; i < layerNorms.length; i++) {
                layerNorms[i] = Math.sqrt(layerNorms[i]);
            }
        }
    }

    @Test
    void bnLayersAreMeasuredOnGammaAndBetaOnly() {
        RunSpec spec = RunSpecParser.parse(Map.of("dataset", Map.of("type", "blobs"), "hiddenLayers", List.of(16, 8),
                "optimizer", "sgd", "learningRate", 0.1, "batchNorm", true));
        PreparedData data = Datasets.prepare(spec.dataset(), 1);
        MultiLayerNetwork net = ModelFactory.build(spec, data.numFeatures(), data.numClasses());
        assertThat(net.getnLayers()).as("dense, BN, dense, BN, output").isEqualTo(5);
        StepTelemetry telemetry = new StepTelemetry(net);
        Probe probe = new Probe();
        net.setListeners(probe, telemetry);
        int batch = 32;
        float[] x = new float[batch * data.numFeatures()];
        float[] y = new float[batch * data.numClasses()];
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(data.train().x()[i], 0, x, i * data.numFeatures(), data.numFeatures());
            labels[i] = data.train().y()[i];
            y[i * data.numClasses() + labels[i]] = 1;
        }
        DataSet ds = new DataSet(Nd4j.create(x, new long[]{batch, data.numFeatures()}, 'c'),
                Nd4j.create(y, new long[]{batch, data.numClasses()}, 'c'));
        for (int step = 0; step < 3; step++) {
            telemetry.beginStep(labels, true);
            net.fit(ds);
            StepTelemetry.Measurement m = telemetry.measurement();
            assertThat(probe.keys).as("the BN layers have running statistics in the gradient view")
                    .anyMatch(k -> k.startsWith("1_") && StepTelemetry.RUNNING_STATISTICS.contains(k.substring(2)));
            for (int l = 0; l < 5; l++) {
                assertThat(m.layerGradientNorms()[l]).as("layer %d at step %d", l, step)
                        .isCloseTo(probe.layerNorms[l] / batch, within(1e-5)).isPositive();
                assertThat(m.updateRatios()[l]).isPositive().isFinite();
            }
            // BN layer 1 (16 units): gamma starts at 1 and beta at 0, so its parameter norm starts at sqrt(16) = 4.
            if (step == 0) {
                assertThat(m.parameterNorms()[1]).isCloseTo(4.0, within(1e-6));
                assertThat(m.parameterNorms()[3]).isCloseTo(Math.sqrt(8), within(1e-6));
            }
            // SGD without regularisation: ||update|| = lr * ||mean gradient|| for gamma/beta as for W/b.
            assertThat(m.updateRatios()[1] * m.parameterNorms()[1])
                    .isCloseTo(0.1 * m.layerGradientNorms()[1], within(1e-5));
            assertThat(m.accuracy()).isBetween(0.0, 1.0);
        }
    }
}
