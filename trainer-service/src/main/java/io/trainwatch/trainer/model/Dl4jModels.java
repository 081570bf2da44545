package io.trainwatch.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.trainer.data.NpyReader;
import io.trainwatch.trainer.data.TensorData;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Models given as Deeplearning4j configuration JSON ({@code "model": {"format": "dl4j", "config": ...}}): reads
 * and validates the configuration, applies the run's hyperparameters to it and builds the network.
 *
 * <p>Overrides, each only when the run config gives the field: {@code optimizer} (with {@code learningRate},
 * {@code momentum} and any schedule) replaces every layer's updater; {@code learningRate}, {@code schedule} or
 * {@code lrSchedule} alone set the rate of every layer's own updater; {@code l2} replaces the L2 regularisation
 * (and weight decay) of every layer's weights; {@code dropout} sets DL4J's inverted dropout on the input of every
 * layer with parameters that is neither fed by the network input nor an output layer; {@code seed} replaces the
 * initialisation seed. The configuration is checked against the data before a run is accepted: a network is built
 * and one zero batch is passed through it, so a mismatch (nIn, nOut, an input type the data cannot feed) is a
 * 400 with DL4J's reason and the layer it names.
 */
public final class Dl4jModels {

    /** The run-config fields that override a DL4J configuration when given. */
    public static final Set<String> OVERRIDES = Set.of("optimizer", "momentum", "learningRate", "lrSchedule", "schedule",
            "l2", "dropout", "seed");
    /** The run-config fields that describe an MLP and so cannot be combined with {@code model}. */
    public static final Set<String> MLP_ONLY = Set.of("hiddenLayers", "activation", "weightInit", "initStd",
            "batchNorm", "loss");
    static final Set<String> FIELDS = Set.of("format", "config");
    static final String FORMAT = "dl4j";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where DL4J's messages name a layer: "layer name: x", "layer name = x", "layer index: 2", ... */
    private static final Pattern LAYER_NAME = Pattern.compile("layer name\\s*[:=]\\s*\"?([^,)\"\\s]+)");
    private static final Pattern LAYER_INDEX = Pattern.compile("layer index\\s*[:=]\\s*(\\d+)");

    private Dl4jModels() {
    }

    /**
     * Reads the {@code model} field: {@code {"format": "dl4j", "config": <object or JSON string>}}; {@code given} are
     * the run-config fields present in the request (those in {@link #OVERRIDES} are applied over the configuration).
     */
    public static Dl4jModel parse(Object value, Set<String> given) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new InvalidConfigException("model", "must be an object {\"format\": \"dl4j\", \"config\": <DL4J "
                    + "MultiLayerConfiguration or ComputationGraphConfiguration JSON>}");
        }
        for (Object k : m.keySet()) {
            if (!FIELDS.contains(String.valueOf(k))) {
                throw new InvalidConfigException("model." + k, "unknown field (known: [config, format])");
            }
        }
        Object format = m.get("format");
        if (format != null && !(format instanceof String f && FORMAT.equals(f.trim().toLowerCase(Locale.ROOT)))) {
            throw new InvalidConfigException("model.format", "must be 'dl4j' (Deeplearning4j configuration JSON), was '"
                    + format + "'");
        }
        Object config = m.get("config");
        JsonNode tree;
        if (config instanceof String s) {
            try {
                tree = JSON.readTree(s);
            } catch (JsonProcessingException e) {
                throw new InvalidConfigException("model.config", "is not valid JSON: " + e.getOriginalMessage()
                        + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
            }
        } else if (config instanceof Map<?, ?>) {
            tree = JSON.valueToTree(config);
        } else {
            throw new InvalidConfigException("model.config", "is required: a DL4J configuration as a JSON object or string"
                    + " (MultiLayerConfiguration.toJson() or ComputationGraphConfiguration.toJson())");
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidConfigException("model.config", "must be a JSON object");
        }
        String kind = tree.has("vertices") ? Dl4jModel.GRAPH : tree.has("confs") ? Dl4jModel.MULTILAYER : null;
        if (kind == null) {
            throw new InvalidConfigException("model.config", "is neither a MultiLayerConfiguration (it has no 'confs') "
                    + "nor a ComputationGraphConfiguration (no 'vertices')");
        }
        String json = tree.toString();
        List<Layer> layers = layers(kind, json);
        IUpdater updater = null;
        for (Layer l : layers) {
            if (l instanceof BaseLayer b && b.getIUpdater() != null) {
                updater = b.getIUpdater();
                break;
            }
        }
        double lr = Double.NaN;
        if (updater != null && updater.hasLearningRate()) {
            try {
                lr = updater.getLearningRate(0, 0);
            } catch (RuntimeException ignored) {
                // an updater without a rate: the run config's default applies
            }
        }
        Set<String> overrides = new java.util.HashSet<>(given);
        overrides.retainAll(OVERRIDES);
        return new Dl4jModel(kind, json, overrides, lr, updater == null ? "sgd" : optimizerName(updater));
    }

    /** The layers of a configuration, in order (graph: its layer vertices); a 400 when DL4J cannot read it. */
    private static List<Layer> layers(String kind, String json) {
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

    private static MultiLayerConfiguration readMultiLayer(String json) {
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

    private static ComputationGraphConfiguration readGraph(String json) {
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

    /**
     * Checks a spec's model against its data before the run is accepted, when the data's shape is known without
     * reading a whole file (every source but csv, whose check happens when the run starts).
     */
    public static void check(RunSpec spec) {
        DatasetSpec d = spec.dataset();
        int features;
        int classes;
        int[] shape = null;
        switch (d.type()) {
            case DatasetSpec.CSV -> {
                return;
            }
            case DatasetSpec.IMAGES -> {
                shape = TensorData.dl4jShape(d.shape().stream().mapToInt(Integer::intValue).toArray());
                features = d.features();
                classes = d.classes();
            }
            case DatasetSpec.NPY -> {
                int[] user = TensorData.npyExampleShape(Path.of(d.path()));
                if (user.length < 1 || user.length > 3) {
                    throw new InvalidConfigException("dataset.path", "the feature array must have 2 to 4 dimensions "
                            + "[examples, ...], one example is " + Arrays.toString(user));
                }
                features = Arrays.stream(user).reduce(1, (a, b) -> a * b);
                shape = TensorData.dl4jShape(user);
                classes = npyClasses(Path.of(d.labels()));
            }
            default -> {
                features = d.features();
                classes = d.classes();
            }
        }
        build(spec, features, classes, shape);
    }

    private static int npyClasses(Path labels) {
        try {
            if (!Files.isRegularFile(labels)) {
                throw new InvalidConfigException("dataset.labels", "no such file: " + labels);
            }
            double max = 0;
            for (double v : NpyReader.read(labels).values()) {
                max = Math.max(max, v);
            }
            return (int) max + 1;
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidConfigException("dataset.labels", "cannot read " + labels + ": " + e.getMessage());
        }
    }

    /**
     * The network of a spec's model for data of {@code features} values per example in {@code classes} classes,
     * each example shaped {@code exampleShape} (DL4J layout; null = flat). The examples are fed in that shape when
     * the network takes it, else flat (a model declared with {@code InputType.convolutionalFlat} or
     * {@code feedForward}); a 400 when neither fits or the output does not have {@code classes} columns.
     */
    public static Network build(RunSpec spec, int features, int classes, int[] exampleShape) {
        Dl4jModel m = spec.model();
        List<int[]> layouts = new ArrayList<>();
        if (exampleShape != null) {
            layouts.add(exampleShape);
        }
        layouts.add(null);
        InvalidConfigException first = null;
        for (int[] layout : layouts) {
            Network net = Dl4jModel.GRAPH.equals(m.kind()) ? graph(spec, m) : multiLayer(spec, m);
            long[] batchShape = new long[1 + (layout == null ? 1 : layout.length)];
            batchShape[0] = 2;
            if (layout == null) {
                batchShape[1] = features;
            } else {
                for (int i = 0; i < layout.length; i++) {
                    batchShape[i + 1] = layout[i];
                }
            }
            INDArray out;
            try {
                out = net.output(Nd4j.zeros(DataType.FLOAT, batchShape));
            } catch (RuntimeException e) {
                if (first == null) {
                    first = new InvalidConfigException(field(m, e), "the data (" + spec.dataset().describe() + ") "
                            + "feeds batches of " + Arrays.toString(batchShape).replace("[2,", "[batch,")
                            + " that this network cannot take: " + reason(e));
                }
                continue;
            }
            if (out.rank() != 2 || out.size(1) != classes) {
                String where = outputField(m);
                if (out.rank() != 2) {
                    throw new InvalidConfigException(where, "the network's output for a batch is "
                            + Arrays.toString(out.shape()).replace("[2,", "[batch,") + "; a classifier's must be "
                            + "[batch, " + classes + "] (e.g. a GlobalPoolingLayer or LastTimeStep before the output)");
                }
                throw new InvalidConfigException(where + ".nout", "is " + out.size(1) + " but the data set has "
                        + classes + " classes");
            }
            return net.withExampleShape(layout);
        }
        throw first;
    }

    private static Network multiLayer(RunSpec spec, Dl4jModel m) {
        MultiLayerConfiguration conf = readMultiLayer(m.json());
        int n = conf.getConfs().size();
        for (int i = 0; i < n; i++) {
            Layer layer = conf.getConf(i).getLayer();
            override(spec, m, layer, i > 0 && !isOutput(layer));
            if (m.overrides("seed")) {
                conf.getConf(i).setSeed(spec.seed());
            }
        }
        MultiLayerNetwork net;
        try {
            net = new MultiLayerNetwork(conf);
            net.init();
        } catch (RuntimeException e) {
            throw new InvalidConfigException(field(m, e), "DL4J cannot build the network: " + reason(e));
        }
        if (!(net.getOutputLayer() instanceof org.deeplearning4j.nn.api.layers.IOutputLayer)) {
            throw new InvalidConfigException("model.config.confs[" + (n - 1) + "].layer", "must be an output layer "
                    + "(OutputLayer, LossLayer...): DL4J cannot train a network without one");
        }
        List<LayerInfo> infos = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.numParams() > 0) {
                // Named by index as in every step's per-layer maps (layer0 ... layerN), whatever the JSON calls it.
                LayerInfo d = describe(l.conf().getLayer());
                infos.add(new LayerInfo(ModelFactory.layerName(l.getIndex()), d.type(), d.nIn(), d.nOut(),
                        d.activation(), d.weightInit()));
            }
        }
        return Network.of(net, null, infos, lossName(conf.getConf(n - 1).getLayer()));
    }

    private static Network graph(RunSpec spec, Dl4jModel m) {
        ComputationGraphConfiguration conf = readGraph(m.json());
        String input = conf.getNetworkInputs().get(0);
        String output = conf.getNetworkOutputs().get(0);
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && lv.getLayerConf() != null) {
                Layer layer = lv.getLayerConf().getLayer();
                List<String> inputs = conf.getVertexInputs().getOrDefault(e.getKey(), List.of());
                override(spec, m, layer, !inputs.contains(input) && !isOutput(layer));
                if (m.overrides("seed")) {
                    lv.getLayerConf().setSeed(spec.seed());
                }
            }
        }
        if (m.overrides("seed")) {
            conf.getDefaultConfiguration().setSeed(spec.seed());
        }
        ComputationGraph net;
        try {
            net = new ComputationGraph(conf);
            net.init();
        } catch (RuntimeException e) {
            throw new InvalidConfigException(field(m, e), "DL4J cannot build the network: " + reason(e));
        }
        if (!(net.getVertex(output) != null && net.getVertex(output).getLayer()
                instanceof org.deeplearning4j.nn.api.layers.IOutputLayer)) {
            throw new InvalidConfigException("model.config.vertices." + output, "must be an output layer (OutputLayer, "
                    + "LossLayer...): DL4J cannot train a network without one");
        }
        List<LayerInfo> infos = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.numParams() > 0) {
                infos.add(describe(l.conf().getLayer()));
            }
        }
        return Network.of(net, null, infos, lossName(net.getVertex(output).getLayer().conf().getLayer()));
    }

    private static boolean isOutput(Layer layer) {
        return layer instanceof BaseOutputLayer || layer instanceof LossLayer;
    }

    /** Applies the spec's explicit hyperparameters to one layer of the configuration. */
    private static void override(RunSpec spec, Dl4jModel m, Layer layer, boolean dropoutApplies) {
        if (m.overrides("dropout") && dropoutApplies && layer instanceof BaseLayer) {
            layer.setIDropout(spec.dropout() > 0 ? new Dropout(1.0 - spec.dropout()) : null);
        }
        if (!(layer instanceof BaseLayer b)) {
            return;
        }
        if (m.overrides("optimizer")) {
            b.setIUpdater(ModelFactory.updater(spec));
            if (b.getBiasUpdater() != null) {
                b.setBiasUpdater(ModelFactory.updater(spec));
            }
        } else if (m.overrides("learningRate") || m.overrides("schedule") || m.overrides("lrSchedule")
                || m.overrides("momentum")) {
            b.setIUpdater(withRate(b.getIUpdater(), spec));
            if (b.getBiasUpdater() != null) {
                b.setBiasUpdater(withRate(b.getBiasUpdater(), spec));
            }
        }
        if (m.overrides("l2")) {
            List<Regularization> regs = new ArrayList<>();
            if (b.getRegularization() != null) {
                for (Regularization r : b.getRegularization()) {
                    if (!(r instanceof L2Regularization) && !(r instanceof WeightDecay)) {
                        regs.add(r);
                    }
                }
            }
            if (spec.l2() > 0) {
                regs.add(new L2Regularization(spec.l2()));
            }
            b.setRegularization(regs);
        }
    }

    /** A copy of a layer's own updater with the spec's learning rate (or schedule) and momentum. */
    private static IUpdater withRate(IUpdater updater, RunSpec spec) {
        if (updater == null) {
            return null;
        }
        IUpdater u = updater.clone();
        if (u instanceof Nesterovs n && spec.model().overrides("momentum")) {
            n.setMomentum(spec.momentum());
        }
        if (spec.model().overrides("learningRate") || spec.model().overrides("schedule")
                || spec.model().overrides("lrSchedule")) {
            if (!u.hasLearningRate()) {
                throw new InvalidConfigException("learningRate", "the configuration's updater "
                        + u.getClass().getSimpleName() + " has no learning rate");
            }
            ISchedule schedule = ModelFactory.schedule(spec);
            u.setLrAndSchedule(spec.learningRate(), schedule);
        }
        return u;
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
    private static String field(Dl4jModel m, Throwable e) {
        String msg = reason(e);
        Matcher name = LAYER_NAME.matcher(msg);
        Matcher index = LAYER_INDEX.matcher(msg);
        if (Dl4jModel.GRAPH.equals(m.kind())) {
            return name.find() ? "model.config.vertices." + name.group(1) : "model.config";
        }
        return index.find() ? "model.config.confs[" + index.group(1) + "].layer" : "model.config";
    }

    private static String outputField(Dl4jModel m) {
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
