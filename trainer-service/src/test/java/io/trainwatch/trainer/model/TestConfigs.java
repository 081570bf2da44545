package io.trainwatch.trainer.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.LinkedHashMap;
import java.util.Map;

/** Small DL4J configurations for tests, built with DL4J's builders and sent as their JSON. */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** conv(5x5, 4) - maxpool 2 - dense 16 - softmax output, for {@code side x side x channels} images. */
    public static MultiLayerConfiguration cnn(int side, int channels, int classes) {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(0.01)).list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(side, side, channels)).build();
    }

    /** Two dense branches (tanh, relu) from one input, merged, then a softmax output. */
    public static ComputationGraphConfiguration twoBranches(int features, int classes) {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1)).graphBuilder()
                .addInputs("in")
                .addLayer("left", new DenseLayer.Builder().nIn(features).nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("right", new DenseLayer.Builder().nIn(features).nOut(8).activation(Activation.RELU).build(), "in")
                .addVertex("merge", new MergeVertex(), "left", "right")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .setOutputs("out").build();
    }

    /** A dense MLP as DL4J JSON: features - 8 - classes. */
    public static MultiLayerConfiguration dense(int features, int classes) {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(features).nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /** {@code {"format": "dl4j", "config": json}}. */
    public static Map<String, Object> model(Object config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "dl4j");
        m.put("config", config);
        return m;
    }

    /** A run config: the model, the data set and more fields as key-value pairs. */
    public static Map<String, Object> run(Object config, Map<String, Object> dataset, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model(config));
        m.put("dataset", dataset);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
