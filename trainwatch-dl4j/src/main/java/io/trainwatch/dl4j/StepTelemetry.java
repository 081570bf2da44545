package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DL4J listener that measures one optimisation step from inside {@code fit}, for a
 * {@link MultiLayerNetwork} or a {@link ComputationGraph} of any layers: batch accuracy (from the forward pass,
 * when the model ends in a dense {@code OutputLayer} fed by a 2-d activation), the raw per-layer gradient L2
 * norms (in {@code onGradientCalculation}, the only moment they exist before the updater overwrites them in
 * place; divided by the mini-batch size since DL4J sums over the batch), the parameter norms (before the update)
 * and, after the update, the update:parameter ratios (DL4J UI's metric, here as the ratio of L2 norms per layer).
 *
 * <p>Layers are the model's layers that have trainable parameters, input side first, as {@link ParameterLayout}
 * finds them; the batch accuracy is {@link BatchAccuracy}'s; copies from native memory are {@link HostCopies}'.
 *
 * <p>Cost (measured, 20-64-64-5 MLP, batch 32): about 20 us per step. The flat parameters, the flat
 * gradient, the flat update and the last hidden activations are each copied once, with one bulk copy from
 * native memory into reused heap arrays, and summed in Java per parameter slice; no per-layer INDArray op,
 * no allocation per step. (ND4J's {@code toFloatMatrix()} costs ~600 us for a 32x64 matrix and
 * {@code DataBuffer.asFloat()} copies element by element: neither is used on the hot path.) The cost grows with
 * the number of parameters (one pass over each flat vector), not with the size of activations: a LeNet-sized CNN
 * is measured in trainwatch-dl4j's README. Steps that are not sampled cost nothing. Used on the training thread
 * only.
 *
 * <p>Batch-normalisation layers count with their trainable {@code gamma} and {@code beta}; their running
 * statistics ({@code mean}, {@code var}, {@code log10stdev}) are not trained by gradient (DL4J writes their
 * moving-average deltas into the gradient view and applies them with a no-op updater), so they are left out
 * of every norm.
 */
public final class StepTelemetry extends BaseTrainingListener {

    /** Parameters that are running statistics, not trained by gradient (BN's moving mean and variance). */
    public static final Set<String> RUNNING_STATISTICS = ParameterLayout.RUNNING_STATISTICS;

    private final ParameterLayout layout;
    private final HostCopies copies = new HostCopies();
    private final BatchAccuracy batchAccuracy;
    private final int numLayers;
    private final int totalLength;
    /** The DL4J layer count of a MultiLayerNetwork (the size of its activation list in fit), or -1 for a graph. */
    private final int modelLayers;
    /** For a graph: the vertex whose activations feed the output layer, or null. */
    private final String outputInput;

    private boolean sampled = true;
    private int batchSize;
    private final double[] gradSq;
    private final double[] paramSq;
    private final double[] updateSq;
    private double gradientNorm = Double.NaN;
    private boolean gradientsSeen;
    private boolean updateSeen;
    /** The flat parameters before this step's update (copied in the forward pass), or null. */
    private float[] paramsBefore;
    /** Reused heap copies of the flat parameters and of the flat gradient/update. */
    private final float[] paramBuf;
    private final float[] gradBuf;

    /** A listener for a {@link MultiLayerNetwork} or a {@link ComputationGraph}, initialised ({@code init()}). */
    public StepTelemetry(Model model) {
        Layer[] layers;
        Layer outputLayer;
        if (model instanceof MultiLayerNetwork net) {
            layers = net.getLayers();
            modelLayers = net.getnLayers();
            outputLayer = net.getnLayers() > 0 ? net.getOutputLayer() : null;
            outputInput = null;
        } else if (model instanceof ComputationGraph graph) {
            layers = graph.getLayers();
            modelLayers = -1;
            Layer out = graph.getNumOutputArrays() == 1 ? graph.getOutputLayer(0) : null;
            String name = out == null ? null : out.conf().getLayer().getLayerName();
            List<String> inputs = name == null ? null : graph.getConfiguration().getVertexInputs().get(name);
            outputLayer = out;
            outputInput = inputs != null && inputs.size() == 1 ? inputs.get(0) : null;
        } else {
            throw new IllegalArgumentException("a MultiLayerNetwork or a ComputationGraph is needed, not "
                    + (model == null ? "null" : model.getClass().getName()));
        }
        INDArray flat = model.params();
        if (flat == null) {
            throw new IllegalStateException("the model has no parameters yet: call init() first");
        }
        this.totalLength = (int) flat.length();
        if (totalLength != model.numParams()) {
            throw new IllegalStateException("flat parameters " + totalLength + " of " + model.numParams());
        }
        this.layout = new ParameterLayout(model, layers, flat);
        this.numLayers = layout.numLayers();
        this.batchAccuracy = new BatchAccuracy(copies, outputLayer, ParameterLayout.outputWeights(outputLayer, flat));
        paramBuf = new float[totalLength];
        gradBuf = new float[totalLength];
        gradSq = new double[numLayers];
        paramSq = new double[numLayers];
        updateSq = new double[numLayers];
    }

    /** The name of layer {@code index} of a MultiLayerNetwork ({@code layer0}, {@code layer1}, ...). */
    public static String layerName(int index) {
        return "layer" + index;
    }

    /** The measured layers' names, input side first (the keys of every per-layer map). */
    public String[] layerNames() {
        return layout.layerNames().clone();
    }

    /** Prepares the next step: the class of each example of the batch, and whether to measure this step at all. */
    public void beginStep(int[] batchLabels, boolean sample) {
        this.sampled = sample;
        batchAccuracy.begin(batchLabels);
        this.gradientNorm = Double.NaN;
        this.gradientsSeen = false;
        this.updateSeen = false;
        this.paramsBefore = null;
        this.batchSize = 0;
    }

    /** How many array copies so far could not use the bulk copy from native memory. */
    public long slowCopies() {
        return copies.slowCopies();
    }

    public int numLayers() {
        return numLayers;
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        if (!sampled || activations == null || activations.isEmpty() || !(model instanceof MultiLayerNetwork)) {
            return;
        }
        paramsBefore = copyFlat(model.params(), paramBuf) ? paramBuf : null;
        // During fit DL4J hands over the input and the activations of every layer but the output layer:
        // the class scores are last-hidden x W + b of the output layer (softmax does not change the argmax).
        boolean withoutOutput = activations.size() == modelLayers;
        batchAccuracy.classify(activations.get(activations.size() - 1), withoutOutput, paramsBefore);
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (!sampled || !(model instanceof ComputationGraph)) {
            return;
        }
        paramsBefore = copyFlat(model.params(), paramBuf) ? paramBuf : null;
        if (activations != null && outputInput != null) {
            batchAccuracy.classify(activations.get(outputInput), true, paramsBefore);
        }
    }

    /**
     * The labels of the batch are read here when they were not given: a graph's output layer holds them only during
     * the backward pass (they are gone by {@code onGradientCalculation}).
     */
    @Override
    public void onBackwardPass(Model model) {
        if (sampled) {
            batchAccuracy.scorePredictions(model);
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (!sampled) {
            return;
        }
        int[] labels = batchAccuracy.labels();
        batchSize = labels != null ? labels.length : safeBatchSize(model);
        batchAccuracy.scorePredictions(model);
        if (!copyFlat(gradientView(model), gradBuf)) {
            return;
        }
        double total = layout.sumSquares(gradBuf, gradSq);
        double batch = batchSize <= 0 ? 1 : batchSize;
        gradientNorm = Math.sqrt(total) / batch;
        gradientsSeen = true;
    }

    /** The model's mini-batch size, or 0 when it cannot say. */
    static int safeBatchSize(Model model) {
        try {
            return model.batchSize();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!sampled) {
            return;
        }
        // After the step: the gradient view now holds the update the updater applied, params are updated.
        if (!copyFlat(gradientView(model), gradBuf)) {
            return;
        }
        float[] w = paramsBefore;
        if (w == null) {
            w = copyFlat(model.params(), paramBuf) ? paramBuf : null;
        }
        if (w == null) {
            return;
        }
        layout.sumSquares(gradBuf, updateSq);
        layout.sumSquares(w, paramSq);
        updateSeen = true;
    }

    /** The flat gradient view (raw gradients before the updater, the update after it). */
    private static INDArray gradientView(Model model) {
        if (model instanceof MultiLayerNetwork net && net.getGradientsViewArray() != null) {
            return net.getGradientsViewArray(); // the view itself: Gradient.gradient() may flatten anew (~20 us)
        }
        if (model instanceof ComputationGraph graph && graph.getGradientsViewArray() != null) {
            return graph.getGradientsViewArray();
        }
        return model.gradient() == null ? null : model.gradient().gradient();
    }

    /** Copies the flat vector {@code array} into {@code into}; false when it is not the flat vector of this net. */
    private boolean copyFlat(INDArray array, float[] into) {
        return copies.copyFlat(array, into, totalLength);
    }

    /** The measurements of the step just done, or null when it was not sampled. */
    public Measurement measurement() {
        if (!sampled) {
            return null;
        }
        double batch = batchSize <= 0 ? 1 : batchSize;
        double[] layerGrad = new double[numLayers];
        double[] paramNorm = new double[numLayers];
        double[] ratio = new double[numLayers];
        for (int l = 0; l < numLayers; l++) {
            layerGrad[l] = gradientsSeen ? Math.sqrt(gradSq[l]) / batch : Double.NaN;
            paramNorm[l] = updateSeen ? Math.sqrt(paramSq[l]) : Double.NaN;
            double p = paramNorm[l];
            ratio[l] = !updateSeen ? Double.NaN : p == 0 ? (updateSq[l] == 0 ? 0 : Double.POSITIVE_INFINITY)
                    : Math.sqrt(updateSq[l]) / p;
        }
        return new Measurement(batchAccuracy.accuracy(), gradientNorm, layerGrad, paramNorm, ratio);
    }

    /**
     * What one sampled step measured; arrays are indexed by layer, input side first.
     *
     * @param accuracy           share of the batch classified correctly (NaN if unknown)
     * @param gradientNorm       global L2 norm of the mean gradient
     * @param layerGradientNorms per-layer L2 norm of the mean gradient
     * @param parameterNorms     per-layer L2 norm of the parameters before the step's update
     * @param updateRatios       per-layer ||update|| / ||parameters||
     */
    public record Measurement(double accuracy, double gradientNorm, double[] layerGradientNorms,
                              double[] parameterNorms, double[] updateRatios) {

        /** The accuracy, or null when unknown (a step event leaves it out). */
        public Double accuracyOrNull() {
            return Double.isNaN(accuracy) ? null : accuracy;
        }

        /** {@code values} (one of the per-layer arrays) keyed by the layers' names, input side first. */
        public static Map<String, Double> byLayer(String[] names, double[] values) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int l = 0; l < names.length; l++) {
                m.put(names[l], values[l]);
            }
            return m;
        }
    }
}
