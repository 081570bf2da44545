package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The per-layer norms of {@link StepTelemetry} for every layer type DL4J users train, in a MultiLayerNetwork and a
 * ComputationGraph, against ND4J's own norms of the same arrays at the same moment of the step: raw gradients per
 * layer (from {@code gradientForVariable}, divided by the batch size), parameters before the update, and the
 * update (SGD: parameters before minus after). Layers without parameters do not appear; batch-norm running
 * statistics are left out.
 */
class LayerTypesTelemetryTest {

    static final double LR = 0.05;

    /** ND4J's norms per layer, grouped from the keys of the gradient ({@code 0_W}, {@code conv1_b}). */
    static final class Probe extends BaseTrainingListener {
        final Map<String, Double> gradSq = new LinkedHashMap<>();
        Map<String, INDArray> before;

        @Override
        public void onGradientCalculation(Model model) {
            gradSq.clear();
            for (Map.Entry<String, INDArray> e : model.gradient().gradientForVariable().entrySet()) {
                if (!running(e.getKey())) {
                    double n = e.getValue().norm2Number().doubleValue();
                    gradSq.merge(layer(model, e.getKey()), n * n, Double::sum);
                }
            }
            before = snapshot(model);
        }
    }

    static boolean running(String key) {
        return StepTelemetry.RUNNING_STATISTICS.contains(key.substring(key.lastIndexOf('_') + 1));
    }

    static String layer(Model model, String key) {
        String prefix = key.substring(0, key.lastIndexOf('_'));
        return model instanceof MultiLayerNetwork ? StepTelemetry.layerName(Integer.parseInt(prefix)) : prefix;
    }

    static Map<String, INDArray> snapshot(Model model) {
        Map<String, INDArray> copy = new LinkedHashMap<>();
        model.paramTable().forEach((k, v) -> copy.put(k, v.dup()));
        return copy;
    }

    /** Runs one SGD step with both listeners and checks every layer's three norms. */
    static StepTelemetry.Measurement checkOneStep(Model model, Runnable fit, int batch, List<String> expectedLayers) {
        StepTelemetry telemetry = new StepTelemetry(model);
        Probe probe = new Probe();
        if (model instanceof MultiLayerNetwork net) {
            net.setListeners(probe, telemetry);
        } else {
            ((ComputationGraph) model).setListeners(probe, telemetry);
        }
        telemetry.beginStep(null, true);
        fit.run();
        StepTelemetry.Measurement m = telemetry.measurement();
        Map<String, INDArray> after = snapshot(model);

        assertThat(telemetry.layerNames()).containsExactlyElementsOf(expectedLayers);
        Map<String, Double> paramSq = new LinkedHashMap<>();
        Map<String, Double> updateSq = new LinkedHashMap<>();
        probe.before.forEach((k, v) -> {
            if (!running(k)) {
                String l = layer(model, k);
                paramSq.merge(l, Math.pow(v.norm2Number().doubleValue(), 2), Double::sum);
                updateSq.merge(l, Math.pow(v.sub(after.get(k)).norm2Number().doubleValue(), 2), Double::sum);
            }
        });
        double total = 0;
        for (int l = 0; l < expectedLayers.size(); l++) {
            String name = expectedLayers.get(l);
            double g = Math.sqrt(probe.gradSq.get(name));
            total += probe.gradSq.get(name);
            double p = Math.sqrt(paramSq.get(name));
            double u = Math.sqrt(updateSq.get(name));
            assertThat(m.layerGradientNorms()[l]).as("gradient of %s", name).isCloseTo(g / batch, within(1e-5 + 1e-4 * g / batch));
            assertThat(m.parameterNorms()[l]).as("parameters of %s", name).isCloseTo(p, within(1e-4 * (1 + p)));
            assertThat(m.updateRatios()[l] * m.parameterNorms()[l]).as("update of %s", name)
                    .isCloseTo(u, within(1e-5 + 1e-3 * u));
            assertThat(g).as("layer %s has a gradient", name).isPositive();
        }
        assertThat(m.gradientNorm()).isCloseTo(Math.sqrt(total) / batch, within(1e-5 + 1e-4 * Math.sqrt(total) / batch));
        assertThat(telemetry.slowCopies()).as("bulk copies from native memory only").isZero();
        return m;
    }

    static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(LR));
    }

    static INDArray oneHot(int rows, int classes, Random r) {
        INDArray y = Nd4j.zeros(rows, classes);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, r.nextInt(classes), 1.0);
        }
        return y;
    }

    @Test
    void convolutionSubsamplingBatchNormDenseAndOutput() {
        MultiLayerConfiguration conf = base().list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(3);
        int batch = 6;
        INDArray x = Nd4j.rand(new int[]{batch, 1, 8, 8});
        INDArray y = oneHot(batch, 3, r);
        // Training mode, as in fit: batch normalisation uses the batch's statistics.
        long[] predicted = Nd4j.argMax(net.output(x, true), 1).toLongVector();
        StepTelemetry.Measurement m = checkOneStep(net, () -> net.fit(new DataSet(x, y)), batch,
                List.of("layer0", "layer2", "layer3", "layer4"));
        assertThat(m.accuracy()).as("accuracy read from the output layer's labels")
                .isEqualTo(accuracy(predicted, y));
    }

    @Test
    void lstmAndSimpleRnnWithAnRnnOutputLayer() {
        MultiLayerConfiguration conf = base().list()
                .layer(new LSTM.Builder().nIn(3).nOut(5).activation(Activation.TANH).build())
                .layer(new SimpleRnn.Builder().nIn(5).nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        int batch = 4;
        int steps = 5;
        INDArray x = Nd4j.rand(new int[]{batch, 3, steps});
        INDArray y = Nd4j.zeros(batch, 2, steps);
        for (int i = 0; i < batch; i++) {
            for (int t = 0; t < steps; t++) {
                y.putScalar(new int[]{i, (i + t) % 2, t}, 1.0);
            }
        }
        StepTelemetry.Measurement m = checkOneStep(net, () -> net.fit(new DataSet(x, y)), batch,
                List.of("layer0", "layer1", "layer2"));
        assertThat(m.accuracy()).as("no batch accuracy for sequence outputs").isNaN();
    }

    @Test
    void embeddingDenseAndOutput() {
        MultiLayerConfiguration conf = base().list()
                .layer(new EmbeddingLayer.Builder().nIn(10).nOut(4).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        int batch = 8;
        INDArray x = Nd4j.zeros(batch, 1);
        for (int i = 0; i < batch; i++) {
            x.putScalar(i, 0, i % 10);
        }
        INDArray y = oneHot(batch, 3, new Random(5));
        long[] predicted = Nd4j.argMax(net.output(x, false), 1).toLongVector();
        StepTelemetry.Measurement m = checkOneStep(net, () -> net.fit(new DataSet(x, y)), batch,
                List.of("layer0", "layer1", "layer2"));
        assertThat(m.accuracy()).isEqualTo(accuracy(predicted, y));
    }

    @Test
    void aGraphWithBranchesAMergeAndTwoOutputsIsNamedByVertex() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("left", new DenseLayer.Builder().nIn(5).nOut(6).activation(Activation.RELU).build(), "in")
                .addLayer("right", new DenseLayer.Builder().nIn(5).nOut(3).activation(Activation.TANH).build(), "in")
                .addVertex("merged", new MergeVertex(), "left", "right")
                .addLayer("norm", new BatchNormalization.Builder().nIn(9).nOut(9).build(), "merged")
                .addLayer("classes", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(9).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "norm")
                .addLayer("value", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(9).nOut(1)
                        .activation(Activation.IDENTITY).build(), "norm")
                .setOutputs("classes", "value").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        int batch = 7;
        Random r = new Random(11);
        INDArray x = Nd4j.rand(batch, 5);
        MultiDataSet data = new MultiDataSet(new INDArray[]{x}, new INDArray[]{oneHot(batch, 3, r), Nd4j.rand(batch, 1)});
        StepTelemetry.Measurement m = checkOneStep(graph, () -> graph.fit(data), batch,
                layersInFlatOrder(graph));
        assertThat(m.layerGradientNorms()).hasSize(5);
        assertThat(m.accuracy()).as("two outputs: no single batch accuracy").isNaN();
    }

    @Test
    void aGraphWithOneOutputMeasuresBatchAccuracy() {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        int batch = 16;
        INDArray x = Nd4j.rand(batch, 4);
        INDArray y = oneHot(batch, 3, new Random(2));
        long[] predicted = Nd4j.argMax(graph.outputSingle(false, x), 1).toLongVector();
        StepTelemetry.Measurement m = checkOneStep(graph, () -> graph.fit(new DataSet(x, y)), batch,
                List.of("hidden", "out"));
        assertThat(m.accuracy()).isEqualTo(accuracy(predicted, y));
    }

    /** The graph's layers with parameters in the order of their parameters in the flat vector. */
    static List<String> layersInFlatOrder(ComputationGraph graph) {
        List<String> names = new java.util.ArrayList<>();
        for (String key : graph.paramTable().keySet()) {
            String l = key.substring(0, key.lastIndexOf('_'));
            if (!names.contains(l)) {
                names.add(l);
            }
        }
        return names;
    }

    static double accuracy(long[] predicted, INDArray oneHot) {
        long[] actual = Nd4j.argMax(oneHot, 1).toLongVector();
        int correct = 0;
        for (int i = 0; i < actual.length; i++) {
            correct += predicted[i] == actual[i] ? 1 : 0;
        }
        return (double) correct / actual.length;
    }
}
