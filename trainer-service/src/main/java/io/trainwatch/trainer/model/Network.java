package io.trainwatch.trainer.model;

import io.trainwatch.dl4j.LearningRates;
import io.trainwatch.events.LayerInfo;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * A built, initialised network, a {@link MultiLayerNetwork} or a single-input, single-output
 * {@link ComputationGraph}, behind the few operations a training run needs: fit a mini-batch, score, predict,
 * read and set the learning rate. It also knows how the run's data must be shaped for it.
 */
public final class Network {

    private final MultiLayerNetwork multiLayer;
    private final ComputationGraph graph;
    private final int[] exampleShape;
    private final List<LayerInfo> layers;
    private final String lossName;

    private Network(MultiLayerNetwork multiLayer, ComputationGraph graph, int[] exampleShape, List<LayerInfo> layers,
                    String lossName) {
        this.multiLayer = multiLayer;
        this.graph = graph;
        this.exampleShape = exampleShape == null ? null : exampleShape.clone();
        this.layers = List.copyOf(layers);
        this.lossName = lossName;
    }

    /** A multi-layer network fed {@code exampleShape}-shaped examples (null: flat feature vectors). */
    public static Network of(MultiLayerNetwork net, int[] exampleShape, List<LayerInfo> layers, String lossName) {
        return new Network(net, null, exampleShape, layers, lossName);
    }

    /** A computation graph with one input and one output. */
    public static Network of(ComputationGraph net, int[] exampleShape, List<LayerInfo> layers, String lossName) {
        return new Network(null, net, exampleShape, layers, lossName);
    }

    /** This network fed examples of {@code shape} (DL4J layout; null = flat). */
    public Network withExampleShape(int[] shape) {
        return new Network(multiLayer, graph, shape, layers, lossName);
    }

    /** The DL4J model (for checkpoints and listeners). */
    public Model model() {
        return multiLayer != null ? multiLayer : graph;
    }

    /** The multi-layer network, or null for a graph. */
    public MultiLayerNetwork multiLayer() {
        return multiLayer;
    }

    /** The computation graph, or null for a multi-layer network. */
    public ComputationGraph graph() {
        return graph;
    }

    /** The shape of one example as this network takes it ([channels, height, width], ...), or null for flat. */
    public int[] exampleShape() {
        return exampleShape == null ? null : exampleShape.clone();
    }

    /** The layers with parameters as announced in {@code run-started}, input side first. */
    public List<LayerInfo> layers() {
        return layers;
    }

    /** The loss function's name (DL4J's, e.g. {@code mcxent}). */
    public String lossName() {
        return lossName;
    }

    public void setListeners(TrainingListener... listeners) {
        if (multiLayer != null) {
            multiLayer.setListeners(listeners);
        } else {
            graph.setListeners(listeners);
        }
    }

    /** One optimisation step on a mini-batch. */
    public void fit(DataSet batch) {
        if (multiLayer != null) {
            multiLayer.fit(batch);
        } else {
            graph.fit(batch);
        }
    }

    /** The loss of the last step. */
    public double score() {
        return multiLayer != null ? multiLayer.score() : graph.score();
    }

    /** The loss on a data set, in inference mode. */
    public double score(DataSet set) {
        return multiLayer != null ? multiLayer.score(set, false) : graph.score(set, false);
    }

    /** The output for a batch of features, in inference mode. */
    public INDArray output(INDArray features) {
        return multiLayer != null ? multiLayer.output(features, false) : graph.output(false, features)[0];
    }

    /** The share of {@code set} classified correctly (argmax of the output against the one-hot labels), or NaN if empty. */
    public double accuracy(DataSet set) {
        long[] p = Nd4j.argMax(output(set.getFeatures()), 1).toLongVector();
        long[] a = Nd4j.argMax(set.getLabels(), 1).toLongVector();
        int correct = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == a[i]) {
                correct++;
            }
        }
        return p.length == 0 ? Double.NaN : (double) correct / p.length;
    }

    /** The learning rate in force (of the first layer with parameters and an updater), or null. */
    public Double learningRate() {
        return LearningRates.of(model());
    }

    /** Sets a constant learning rate on every layer (DL4J drops any schedule); only between two steps. */
    public void setLearningRate(double rate) {
        LearningRates.set(model(), rate);
    }
}
