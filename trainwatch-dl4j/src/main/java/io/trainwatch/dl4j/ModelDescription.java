package io.trainwatch.dl4j;

import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.LossFunctions;
import io.trainwatch.events.RunConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code run-started} says of a DL4J model: each layer's configuration, the optimiser, rate and seed. */
final class ModelDescription {

    private ModelDescription() {
    }

    /**
     * The configuration of {@code m} (a {@link MultiLayerNetwork} or {@link ComputationGraph}) with what the
     * program declared of its training: the data set, the number of classes, the loss and the epochs (null: unknown).
     */
    static RunConfig of(Model m, String dataset, Integer numClasses, String loss, Integer epochs) {
        List<LayerInfo> layers = new ArrayList<>();
        IUpdater updater = null;
        Long seed = null;
        Layer[] ls = m instanceof MultiLayerNetwork net ? net.getLayers() : ((ComputationGraph) m).getLayers();
        for (Layer l : ls) {
            org.deeplearning4j.nn.conf.layers.Layer conf = l.conf().getLayer();
            String name = m instanceof MultiLayerNetwork ? StepTelemetry.layerName(l.getIndex()) : conf.getLayerName();
            Integer nIn = null;
            Integer nOut = null;
            if (conf instanceof FeedForwardLayer ff) {
                nIn = (int) ff.getNIn();
                nOut = (int) ff.getNOut();
            }
            String activation = null;
            String init = null;
            if (conf instanceof BaseLayer bl) {
                activation = bl.getActivationFn() == null ? null : bl.getActivationFn().toString().toLowerCase(Locale.ROOT);
                init = bl.getWeightInitFn() == null ? null : bl.getWeightInitFn().getClass().getSimpleName()
                        .replaceFirst("^WeightInit", "").toLowerCase(Locale.ROOT);
                if (updater == null && l.numParams() > 0) {
                    updater = bl.getIUpdater();
                }
            }
            layers.add(new LayerInfo(name, layerType(conf), nIn, nOut, activation, init));
            if (seed == null) {
                seed = l.conf().getSeed();
            }
        }
        String optimizer = updater == null ? null : updater.getClass().getSimpleName().toLowerCase(Locale.ROOT);
        Double lr = LearningRates.of(m);
        int batchSize = StepTelemetry.safeBatchSize(m);
        return new RunConfig(null, dataset, numClasses, loss == null ? null : LossFunctions.normalize(loss), layers,
                optimizer, lr, batchSize > 0 ? batchSize : null, epochs, null, null, seed);
    }

    /** {@code DenseLayer} is {@code dense}, {@code ConvolutionLayer} {@code convolution}, {@code BatchNormalization} {@code batchnorm}. */
    static String layerType(org.deeplearning4j.nn.conf.layers.Layer conf) {
        String s = conf.getClass().getSimpleName();
        if (s.equals("BatchNormalization")) {
            return "batchnorm";
        }
        s = s.replaceFirst("Layer$", "");
        return s.isEmpty() ? "layer" : s.toLowerCase(Locale.ROOT);
    }
}
