package io.trainwatch.trainer.model;

import io.trainwatch.dl4j.StepTelemetry;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.trainer.data.NpyReader;
import io.trainwatch.trainer.data.TensorData;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
        List<Layer> layers = Dl4jConfigs.layers(kind, json);
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
        return new Dl4jModel(kind, json, overrides, lr, updater == null ? "sgd" : Dl4jConfigs.optimizerName(updater));
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
                    first = new InvalidConfigException(Dl4jConfigs.field(m, e), "the data (" + spec.dataset().describe() + ") "
                            + "feeds batches of " + Arrays.toString(batchShape).replace("[2,", "[batch,")
                            + " that this network cannot take: " + Dl4jConfigs.reason(e));
                }
                continue;
            }
            if (out.rank() != 2 || out.size(1) != classes) {
                String where = Dl4jConfigs.outputField(m);
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
        MultiLayerConfiguration conf = Dl4jConfigs.readMultiLayer(m.json());
        int n = conf.getConfs().size();
        for (int i = 0; i < n; i++) {
            Layer layer = conf.getConf(i).getLayer();
            Dl4jOverrides.override(spec, m, layer, i > 0 && !Dl4jConfigs.isOutput(layer));
            if (m.overrides("seed")) {
                conf.getConf(i).setSeed(spec.seed());
            }
        }
        MultiLayerNetwork net;
        try {
            net = new MultiLayerNetwork(conf);
            net.init();
        } catch (RuntimeException e) {
            throw new InvalidConfigException(Dl4jConfigs.field(m, e), "DL4J cannot build the network: " + Dl4jConfigs.reason(e));
        }
        if (!(net.getOutputLayer() instanceof org.deeplearning4j.nn.api.layers.IOutputLayer)) {
            throw new InvalidConfigException("model.config.confs[" + (n - 1) + "].layer", "must be an output layer "
                    + "(OutputLayer, LossLayer...): DL4J cannot train a network without one");
        }
        List<LayerInfo> infos = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.numParams() > 0) {
                // Named by index as in every step's per-layer maps (layer0 ... layerN), whatever the JSON calls it.
                LayerInfo d = Dl4jConfigs.describe(l.conf().getLayer());
                infos.add(new LayerInfo(StepTelemetry.layerName(l.getIndex()), d.type(), d.nIn(), d.nOut(),
                        d.activation(), d.weightInit()));
            }
        }
        return Network.of(net, null, infos, Dl4jConfigs.lossName(conf.getConf(n - 1).getLayer()));
    }

    private static Network graph(RunSpec spec, Dl4jModel m) {
        ComputationGraphConfiguration conf = Dl4jConfigs.readGraph(m.json());
        String input = conf.getNetworkInputs().get(0);
        String output = conf.getNetworkOutputs().get(0);
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && lv.getLayerConf() != null) {
                Layer layer = lv.getLayerConf().getLayer();
                List<String> inputs = conf.getVertexInputs().getOrDefault(e.getKey(), List.of());
                Dl4jOverrides.override(spec, m, layer, !inputs.contains(input) && !Dl4jConfigs.isOutput(layer));
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
            throw new InvalidConfigException(Dl4jConfigs.field(m, e), "DL4J cannot build the network: " + Dl4jConfigs.reason(e));
        }
        if (!(net.getVertex(output) != null && net.getVertex(output).getLayer()
                instanceof org.deeplearning4j.nn.api.layers.IOutputLayer)) {
            throw new InvalidConfigException("model.config.vertices." + output, "must be an output layer (OutputLayer, "
                    + "LossLayer...): DL4J cannot train a network without one");
        }
        List<LayerInfo> infos = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.numParams() > 0) {
                infos.add(Dl4jConfigs.describe(l.conf().getLayer()));
            }
        }
        return Network.of(net, null, infos, Dl4jConfigs.lossName(net.getVertex(output).getLayer().conf().getLayer()));
    }
}
