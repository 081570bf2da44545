package io.trainwatch.trainer.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading DL4J configurations, applying the run's hyperparameters to them, and the 400s of bad ones. */
class Dl4jModelsTest {

    private static final Map<String, Object> IMAGES = Map.of("type", "images", "shape", List.of(12, 12, 1),
            "classes", 3, "samples", 60);
    private static final Map<String, Object> BLOBS = Map.of("type", "blobs", "classes", 3, "features", 6,
            "samples", 60);

    private static BaseLayer layer(MultiLayerNetwork net, int i) {
        return (BaseLayer) net.getLayer(i).conf().getLayer();
    }

    private static double l2(BaseLayer layer) {
        for (Regularization r : layer.getRegularization()) {
            if (r instanceof L2Regularization l2) {
                return l2.getL2().valueAt(0, 0);
            }
        }
        return 0;
    }

    private static Network build(Map<String, Object> config) {
        RunSpec spec = RunSpecParser.parse(config);
        return Dl4jModels.build(spec, 144, 3, new int[]{1, 12, 12});
    }

    @Test
    void withoutOverridesTheConfigurationKeepsItsOwnOptimizerAndRate() {
        RunSpec spec = RunSpecParser.parse(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), IMAGES));
        assertThat(spec.model().kind()).isEqualTo(Dl4jModel.MULTILAYER);
        assertThat(spec.optimizer()).isEqualTo("adam");
        assertThat(spec.learningRate()).isEqualTo(0.01);
        assertThat(spec.model().overrides()).isEmpty();
        Network net = Dl4jModels.build(spec, 144, 3, new int[]{1, 12, 12});
        assertThat(net.exampleShape()).containsExactly(1, 12, 12);
        assertThat(net.learningRate()).isEqualTo(0.01);
        assertThat(layer(net.multiLayer(), 0).getIUpdater()).isInstanceOf(Adam.class);
        assertThat(layer(net.multiLayer(), 2).getIDropout()).isNull();
    }

    @Test
    void learningRateL2AndDropoutAreAppliedToTheBuiltNetwork() {
        // The configuration as a JSON object, not a string: both are accepted.
        Object asObject = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(
                readTree(TestConfigs.cnn(12, 1, 3).toJson()), Map.class);
        Network net = build(TestConfigs.run(asObject, IMAGES, "learningRate", 0.003, "l2", 1e-4, "dropout", 0.25));
        MultiLayerNetwork mln = net.multiLayer();
        for (int i : new int[]{0, 2, 3}) {
            assertThat(layer(mln, i).getIUpdater()).as("layer %d", i).isInstanceOf(Adam.class);
            assertThat(layer(mln, i).getIUpdater().getLearningRate(0, 0)).as("layer %d", i).isEqualTo(0.003);
            assertThat(l2(layer(mln, i))).as("layer %d", i).isEqualTo(1e-4);
            assertThat(mln.getLearningRate(i)).isEqualTo(0.003);
        }
        // Dropout on the input of hidden layers that the network input does not feed; never on the output layer.
        assertThat(layer(mln, 0).getIDropout()).isNull();
        assertThat(((Dropout) layer(mln, 2).getIDropout()).getP()).isEqualTo(0.75);
        assertThat(layer(mln, 3).getIDropout()).isNull();
        assertThat(net.learningRate()).isEqualTo(0.003);
    }

    @Test
    void anOptimizerReplacesEveryUpdaterAndAGraphTakesTheSameOverrides() {
        Network net = build(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), IMAGES, "optimizer", "sgd",
                "learningRate", 0.05));
        assertThat(layer(net.multiLayer(), 0).getIUpdater()).isInstanceOf(Sgd.class);
        assertThat(net.learningRate()).isEqualTo(0.05);

        RunSpec spec = RunSpecParser.parse(TestConfigs.run(TestConfigs.twoBranches(6, 3).toJson(), BLOBS,
                "learningRate", 0.02, "l2", 0.001, "seed", 9));
        assertThat(spec.model().kind()).isEqualTo(Dl4jModel.GRAPH);
        assertThat(spec.optimizer()).isEqualTo("sgd");
        Network graph = Dl4jModels.build(spec, 6, 3, null);
        for (String name : List.of("left", "right", "out")) {
            BaseLayer l = (BaseLayer) graph.graph().getLayer(name).conf().getLayer();
            assertThat(l.getIUpdater().getLearningRate(0, 0)).as(name).isEqualTo(0.02);
            assertThat(l2(l)).as(name).isEqualTo(0.001);
        }
        assertThat(graph.graph().getConfiguration().getDefaultConfiguration().getSeed()).isEqualTo(9);
        assertThat(graph.learningRate()).isEqualTo(0.02);
    }

    @Test
    void aConvolutionalModelDeclaredForFlatInputIsAccepted() {
        MultiLayerConfiguration flat = new NeuralNetConfiguration.Builder().updater(new Adam(0.01)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(2).build())
                .layer(new OutputLayer.Builder().nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.convolutionalFlat(12, 12, 1)).build();
        // DL4J's FeedForwardToCnnPreProcessor takes NCHW batches as they are, so the images are fed as NCHW.
        Network net = build(TestConfigs.run(flat.toJson(), IMAGES));
        assertThat(net.exampleShape()).containsExactly(1, 12, 12);
        assertThat(net.layers()).extracting(l -> l.type()).containsExactly("convolution", "output");
    }

    @Test
    void unreadableConfigurationsAreA400NamingTheField() {
        assertError(TestConfigs.run("{\"confs\": [", IMAGES), "model.config", "is not valid JSON");
        assertError(TestConfigs.run(Map.of("layers", List.of()), IMAGES), "model.config",
                "is neither a MultiLayerConfiguration (it has no 'confs') nor a ComputationGraphConfiguration");
        assertError(TestConfigs.run("{\"confs\": 3}", IMAGES), "model.config",
                "DL4J cannot read it as a MultiLayerConfiguration: ");
        assertError(TestConfigs.run("{\"confs\": [{\"layer\": {\"@class\": \"org.deeplearning4j.nn.conf.layers.NoSuchLayer\"}}]}",
                IMAGES), "model.config", "NoSuchLayer");
        Map<String, Object> keras = TestConfigs.run("{}", IMAGES);
        keras.put("model", Map.of("format", "keras", "config", "{}"));
        assertError(keras, "model.format", "must be 'dl4j'");
        assertError(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), IMAGES, "hiddenLayers", List.of(8)),
                "hiddenLayers", "does not apply to a model given as a DL4J configuration");
        assertError(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), IMAGES, "activation", "tanh"),
                "activation", "does not apply");
    }

    @Test
    void configurationsThatDoNotFitTheDataAreA400WithDl4jsReason() {
        // nIn: the first dense layer expects 5 features, blobs have 6.
        assertError(TestConfigs.run(TestConfigs.dense(5, 3).toJson(), BLOBS), "model.config.confs[0].layer",
                "feeds batches of [batch, 6] that this network cannot take: ");
        // nOut: 4 outputs for 3 classes.
        assertError(TestConfigs.run(TestConfigs.dense(6, 4).toJson(), BLOBS), "model.config.confs[1].layer.nout",
                "is 4 but the data set has 3 classes");
        assertError(TestConfigs.run(TestConfigs.twoBranches(6, 5).toJson(), BLOBS),
                "model.config.vertices.out.layerConf.layer.nout", "is 5 but the data set has 3 classes");
        // An input type the data cannot feed: a CNN on flat feature vectors, and on images of another size.
        assertError(TestConfigs.run(TestConfigs.cnn(12, 1, 3).toJson(), BLOBS), "model.config.confs[0].layer",
                "feeds batches of [batch, 6] that this network cannot take: ");
        assertError(TestConfigs.run(TestConfigs.cnn(12, 3, 3).toJson(), IMAGES), "model.config.confs[0].layer",
                "feeds batches of [batch, 1, 12, 12] that this network cannot take: ");
        // A graph with two inputs; a network without an output layer.
        ComputationGraphConfiguration twoInputs = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("a", "b")
                .addVertex("ab", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "a", "b")
                .addLayer("out", new OutputLayer.Builder().nIn(12).nOut(3).activation(Activation.SOFTMAX).build(), "ab")
                .setOutputs("out").build();
        assertError(TestConfigs.run(twoInputs.toJson(), BLOBS), "model.config.networkInputs", "exactly one input");
        MultiLayerConfiguration noOutput = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(3).build()).build();
        assertError(TestConfigs.run(noOutput.toJson(), BLOBS), "model.config.confs[0].layer", "must be an output layer");
    }

    private static void assertError(Map<String, Object> config, String field, String reason) {
        assertThatThrownBy(() -> RunSpecParser.parse(config)).isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> {
                    InvalidConfigException ice = (InvalidConfigException) e;
                    assertThat(ice.field()).as(ice.getMessage()).isEqualTo(field);
                    assertThat(ice.reason()).contains(reason);
                });
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
