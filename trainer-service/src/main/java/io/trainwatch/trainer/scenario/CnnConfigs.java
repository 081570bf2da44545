package io.trainwatch.trainer.scenario;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;

/**
 * The convolutional networks of the CNN scenarios, built with DL4J's builders and handed to the scenarios as the
 * configuration JSON a user would send ({@code MultiLayerConfiguration.toJson()}), so that a preset goes through
 * exactly the path of a user's model.
 */
public final class CnnConfigs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CnnConfigs() {
    }

    /**
     * A small LeNet-5-like network (LeCun et al. 1998: conv-pool-conv-pool-dense-output), ReLU and He init,
     * Adam: conv kxkx6, max-pool 2, conv kxkx12, max-pool 2, dense 32, softmax over {@code classes}
     * ({@code k = kernel}: LeNet-5 has 5; 3 suits 16x16 images).
     */
    public static MultiLayerConfiguration lenet(int height, int width, int channels, int classes, int kernel,
                                                double rate) {
        return new NeuralNetConfiguration.Builder().seed(42).updater(new Adam(rate)).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(kernel, kernel).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(kernel, kernel).nOut(12).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                .setInputType(InputType.convolutional(height, width, channels)).build();
    }

    /**
     * {@code depth} 3x3 sigmoid convolutions of {@code filters} channels (no padding: each takes 2 pixels off each
     * side) with N(0, std^2) weights,
     * then a softmax output, trained by SGD: the sigmoid's derivative (at most 1/4) times small weights shrinks the
     * gradient at every layer on its way back, so the first layers receive almost none (Glorot and Bengio 2010).
     */
    public static MultiLayerConfiguration deepSigmoid(int height, int width, int channels, int classes, int depth,
                                                      int filters, double std, double rate) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(42).updater(new Sgd(rate))
                .weightInit(new WeightInitDistribution(new NormalDistribution(0, std))).list();
        for (int i = 0; i < depth; i++) {
            list.layer(new ConvolutionLayer.Builder(3, 3).nOut(filters).activation(Activation.SIGMOID).build());
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                .activation(Activation.SOFTMAX).build());
        return list.setInputType(InputType.convolutional(height, width, channels)).build();
    }

    /** A configuration as the JSON object of a run config's {@code model.config}. */
    public static Map<String, Object> asJsonObject(MultiLayerConfiguration conf) {
        try {
            return JSON.readValue(conf.toJson(), new TypeReference<Map<String, Object>>() {
            });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("DL4J wrote configuration JSON that does not parse", e);
        }
    }
}
