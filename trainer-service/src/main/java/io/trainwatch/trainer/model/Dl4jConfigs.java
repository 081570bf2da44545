package io.trainwatch.trainer.model;

import io.trainwatch.events.LayerInfo;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Deeplearning4j configuration JSON for {@link Dl4jModels}: the configuration itself (a 400 with DL4J's
 * reason when it cannot be read or does not fit a run: one input, one output), the run config's names of what it
 * holds (optimiser, loss, layer description), and the field of the request a DL4J error points at.
 */
final class Dl4jConfigs {

    /** Where DL4J's messages name a layer: "layer name: x", "layer name = x", "layer index: 2", ... */
    private static final Pattern LAYER_NAME = Pattern.compile("layer name\\s*[:=]\\s*\"?([^,)\"\\s]+)");
    private static final Pattern LAYER_INDEX = Pattern.compile("layer index\\s*[:=]\\s*(\\d+)");

    private Dl4jConfigs() {
    }

    /** The layers of a configuration, in order (graph: its layer vertices); a 400 when DL4J cannot read it. */
    static List<Layer> layers(String kind, String json) {
        List<Layer> layers = new ArrayList<>();
        if (Dl4jModel.GRAPH.equals(kind)) {
            ComputationGraphConfiguration c = readGraph(json);
            for (GraphVertex v : c.getVertices().values()) {
                if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
                    layers.add(lv.getLayerConf().getLayer());
                }
            }
        } else {
            for (NeuralNetConfiguration c : readMultiLayer(json).getConfs()) {
                layers.add(c.getLayer());
            }
        }
        return layers;
    }

    static MultiLayerConfiguration readMultiLayer(String json) {
        MultiLayerConfiguration c;
        try {
            c = MultiLayerConfiguration.fromJson(json);
        } catch (RuntimeException e) {
            throw new InvalidConfigException("model.config", "DL4J cannot read it as a MultiLayerConfiguration: " + reason(e));
        }
        if (c.getConfs() == null || c.getConfs().isEmpty()) {
            throw new InvalidConfigException("model.config.confs", "has no layers");
        }
        for (int i = 0; i < c.getConfs().size(); i++) {
            if (c.getConf(i) == null || c.getConf(i).getLayer() == null) {
                throw new InvalidConfigException("model.config.confs[" + i + "].layer", "is missing");
            }
        }
        return c;
    }

    static ComputationGraphConfiguration readGraph(String json) {
        ComputationGraphConfiguration c;
        try {
            c = ComputationGraphConfiguration.fromJson(json);
        } catch (RuntimeException e) {
            throw new InvalidConfigException("model.config", "DL4J cannot read it as a ComputationGraphConfiguration: "
                    + reason(e));
        }
        if (c.getNetworkInputs() == null || c.getNetworkInputs().size() != 1) {
            throw new InvalidConfigException("model.config.networkInputs", "must name exactly one input (a run feeds "
                    + "one data set), has " + c.getNetworkInputs());
        }
        if (c.getNetworkOutputs() == null || c.getNetworkOutputs().size() != 1) {
            throw new InvalidConfigException("model.config.networkOutputs", "must name exactly one output (the "
                    + "classifier), has " + c.getNetworkOutputs());
        }
        return c;
    }

    /** Whether a layer is the output of the network (it has a loss). */
    static boolean isOutput(Layer layer) {
        return layer instanceof BaseOutputLayer || layer instanceof LossLayer;
    }

    /** The run config's name of an updater (adam, sgd, nesterov, rmsprop, adagrad), else its class name. */
    static String optimizerName(IUpdater u) {
        if (u instanceof Adam) {
            return "adam";
        }
        if (u instanceof Sgd) {
            return "sgd";
        }
        if (u instanceof Nesterovs) {
            return "nesterov";
        }
        if (u instanceof RmsProp) {
            return "rmsprop";
        }
        if (u instanceof AdaGrad) {
            return "adagrad";
        }
        return u.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    static LayerInfo describe(Layer layer) {
        String type = layer.getClass().getSimpleName().replaceFirst("Layer$", "").toLowerCase(Locale.ROOT);
        Integer nIn = null;
        Integer nOut = null;
        if (layer instanceof FeedForwardLayer f) {
            nIn = (int) f.getNIn();
            nOut = (int) f.getNOut();
        }
        String activation = null;
        String init = null;
        if (layer instanceof BaseLayer b) {
            activation = b.getActivationFn() == null ? null
                    : b.getActivationFn().getClass().getSimpleName().replaceFirst("^Activation", "").toLowerCase(Locale.ROOT);
            init = b.getWeightInitFn() == null ? null
                    : b.getWeightInitFn().getClass().getSimpleName().replaceFirst("^WeightInit", "").toLowerCase(Locale.ROOT);
        }
        return new LayerInfo(layer.getLayerName(), type, nIn, nOut, activation, init);
    }

    /** DL4J's name of an output layer's loss, e.g. {@code mcxent} for {@code LossMCXENT}; null if none. */
    static String lossName(Layer layer) {
        Object fn = layer instanceof BaseOutputLayer o ? o.getLossFn() : layer instanceof LossLayer l ? l.getLossFn() : null;
        return fn == null ? null : fn.getClass().getSimpleName().replaceFirst("^Loss", "").toLowerCase(Locale.ROOT);
    }

    /** The field a DL4J error points at: the layer it names, else the whole configuration. */
    static String field(Dl4jModel m, Throwable e) {
        String msg = reason(e);
        Matcher name = LAYER_NAME.matcher(msg);
        Matcher index = LAYER_INDEX.matcher(msg);
        if (Dl4jModel.GRAPH.equals(m.kind())) {
            return name.find() ? "model.config.vertices." + name.group(1) : "model.config";
        }
        return index.find() ? "model.config.confs[" + index.group(1) + "].layer" : "model.config";
    }

    static String outputField(Dl4jModel m) {
        if (Dl4jModel.GRAPH.equals(m.kind())) {
            return "model.config.vertices." + readGraph(m.json()).getNetworkOutputs().get(0) + ".layerConf.layer";
        }
        return "model.config.confs[" + (readMultiLayer(m.json()).getConfs().size() - 1) + "].layer";
    }

    /** The innermost useful message of an exception chain, on one line and at most 600 characters. */
    static String reason(Throwable e) {
        Throwable t = e;
        String msg = null;
        while (t != null) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                msg = t.getMessage();
            }
            if (t.getCause() == null || t.getCause() == t) {
                break;
            }
            t = t.getCause();
        }
        if (msg == null) {
            msg = e.getClass().getSimpleName();
        }
        msg = msg.replaceAll("\\s+", " ").trim();
        return msg.length() > 600 ? msg.substring(0, 600) + "..." : msg;
    }
}
