package io.trainwatch.trainer.telemetry;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A DL4J listener that measures one optimisation step from inside {@code fit}: batch accuracy (from the
 * output activations of the forward pass), the raw per-layer gradient L2 norms (in
 * {@code onGradientCalculation}, the only moment they exist before the updater overwrites them in place;
 * divided by the batch size since DL4J sums over the batch), the parameter norms (before the update) and,
 * after the update, the update:parameter ratios (DL4J UI's metric, here as the ratio of L2 norms per layer).
 *
 * <p>Cost (measured, 20-64-64-5 MLP, batch 32): about 20 us per step. The flat parameters, the flat
 * gradient, the flat update and the last hidden activations are each copied once, with one bulk copy from
 * native memory into reused heap arrays, and summed in Java per parameter slice; no per-layer INDArray op,
 * no allocation per step. (ND4J's {@code toFloatMatrix()} costs ~600 us for a 32x64 matrix and
 * {@code DataBuffer.asFloat()} copies element by element: neither is used on the hot path.) Steps that are
 * not sampled cost nothing. Used on the training thread only.
 *
 * <p>Batch-normalisation layers count with their trainable {@code gamma} and {@code beta}; their running
 * statistics ({@code mean}, {@code var}, {@code log10stdev}) are not trained by gradient (DL4J writes their
 * moving-average deltas into the gradient view and applies them with a no-op updater), so they are left out
 * of every norm.
 */
public final class StepTelemetry extends BaseTrainingListener {

    /** Parameters that are running statistics, not trained by gradient (BN's moving mean and variance). */
    static final java.util.Set<String> RUNNING_STATISTICS = java.util.Set.of("mean", "var", "log10stdev");

    /** Bulk copies read host memory directly: only on the CPU backend (CUDA buffers may be stale on the host). */
    private static final boolean HOST_BUFFERS =
            !org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda");

    /** The layers with trained parameters, the ones reported; input side first. */
    private final int numLayers;
    private final String[] layerNames;
    /** Every layer of the model, with or without parameters. */
    private final int allLayers;
    /** A graph's output vertex name (a multi-layer network's output layer index). */
    private final String outputKey;
    /**
     * Whether the output layer's input is an NCHW activation that DL4J flattens in C order before it (a convolution
     * or pooling layer right before the output layer): the accuracy then flattens it the same way.
     */
    private boolean flattenLast;
    /** The graph vertex feeding the output layer, or null (and always null for a multi-layer network). */
    private final String outputInput;
    /** For each parameter array in flat order: its layer, its start and its end (exclusive). */
    private final int[] sliceLayer;
    private final int[] sliceStart;
    private final int[] sliceEnd;
    private final int totalLength;

    private boolean sampled;
    private int[] labels;
    private final double[] gradSq;
    private final double[] paramSq;
    private final double[] updateSq;
    private double accuracy = Double.NaN;
    private double gradientNorm = Double.NaN;
    private boolean gradientsSeen;
    private boolean updateSeen;
    /** The flat parameters before this step's update (copied in the forward pass), or null. */
    private float[] paramsBefore;
    /** Reused heap copies: parameters, gradient/update, the last hidden activations, class scores. */
    private final float[] paramBuf;
    private final float[] gradBuf;
    private float[] hiddenBuf = new float[0];
    private float[] scoreBuf = new float[0];
    /** How many copies took the slow, general path (0 on the CPU backend: asserted by the tests). */
    private long slowCopies;
    /** Where the output layer's W and b lie in the flat vector, or -1. */
    private final int outW;
    private final int outWEnd;
    private final int outB;
    private final int outBEnd;

    /** A listener for {@code net}, whose flat parameter vector is laid out layer by layer as in its param table. */
    public StepTelemetry(MultiLayerNetwork net) {
        this(net.paramTable(), net.numParams(), multiLayerKeys(net), layerNames(net.getLayers()),
                (net.getnLayers() - 1) + "_", null);
        this.flattenLast = net.getLayerWiseConfigurations().getInputPreProcess(net.getnLayers() - 1)
                instanceof org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor p
                && p.getFormat() == org.deeplearning4j.nn.conf.CNN2DFormat.NCHW;
    }

    /**
     * A listener for a computation graph: the same measurements, layers in DL4J's topological order (the order of
     * its flat parameter vector), named by their vertex names; the batch accuracy when the output layer is a dense
     * {@code OutputLayer} fed by one vertex, as for a multi-layer network.
     */
    public StepTelemetry(ComputationGraph net) {
        this(net.paramTable(), net.numParams(), graphKeys(net), layerNames(net.getLayers()),
                outputName(net) + "_", outputInput(net));
    }

    /**
     * The listener for any DL4J model this service trains. The seam where a generic listener (one that knows
     * nothing of the model's kind) replaces this class.
     */
    public static StepTelemetry forModel(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            return new StepTelemetry(net);
        }
        if (model instanceof ComputationGraph net) {
            return new StepTelemetry(net);
        }
        throw new IllegalArgumentException("no telemetry for a " + model.getClass().getSimpleName());
    }

    private static Map<String, Integer> multiLayerKeys(MultiLayerNetwork net) {
        Map<String, Integer> keys = new java.util.HashMap<>();
        for (String key : net.paramTable().keySet()) {
            keys.put(key, Integer.parseInt(key.substring(0, key.indexOf('_'))));
        }
        return keys;
    }

    private static Map<String, Integer> graphKeys(ComputationGraph net) {
        Map<String, Integer> keys = new java.util.HashMap<>();
        org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            String name = layers[i].conf().getLayer().getLayerName();
            for (String param : layers[i].paramTable().keySet()) {
                keys.put(name + "_" + param, i);
            }
        }
        return keys;
    }

    private static String[] layerNames(org.deeplearning4j.nn.api.Layer[] layers) {
        String[] names = new String[layers.length];
        for (int i = 0; i < layers.length; i++) {
            String n = layers[i].conf().getLayer().getLayerName();
            names[i] = n == null ? "layer" + i : n;
        }
        return names;
    }

    private static String outputName(ComputationGraph net) {
        return net.getConfiguration().getNetworkOutputs().get(0);
    }

    /** The vertex that feeds the graph's output layer, when there is exactly one; else null. */
    private static String outputInput(ComputationGraph net) {
        List<String> in = net.getConfiguration().getVertexInputs().get(outputName(net));
        return in != null && in.size() == 1 ? in.get(0) : null;
    }

    private StepTelemetry(Map<String, INDArray> table, long numParams, Map<String, Integer> keyLayer, String[] names,
                          String outPrefix, String outputInput) {
        this.outputInput = outputInput;
        this.outputKey = outPrefix.substring(0, outPrefix.length() - 1);
        List<int[]> slices = new ArrayList<>();
        int offset = 0;
        int[] ow = {-1, -1, -1, -1};
        boolean[] reported = new boolean[names.length];
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            if (e.getKey().equals(outPrefix + "W") && e.getValue().ordering() == 'f') {
                ow[0] = offset;
                ow[1] = offset + (int) e.getValue().length();
            } else if (e.getKey().equals(outPrefix + "b")) {
                ow[2] = offset;
                ow[3] = offset + (int) e.getValue().length();
            }
            Integer layer = keyLayer.get(e.getKey());
            if (layer == null) {
                throw new IllegalStateException("parameter " + e.getKey() + " belongs to no layer");
            }
            int len = (int) e.getValue().length();
            if (!RUNNING_STATISTICS.contains(e.getKey().substring(e.getKey().lastIndexOf('_') + 1))) {
                slices.add(new int[]{layer, offset, offset + len});
                reported[layer] = true;
            }
            offset += len;
        }
        this.totalLength = offset;
        this.outW = ow[0] >= 0 && ow[2] >= 0 ? ow[0] : -1;
        this.outWEnd = ow[1];
        this.outB = ow[2];
        this.outBEnd = ow[3];
        if (offset != numParams) {
            throw new IllegalStateException("param table covers " + offset + " of " + numParams + " parameters");
        }
        // Layers without trained parameters (pooling, activation, flatten...) have no norms to report.
        int[] compact = new int[names.length];
        List<String> kept = new ArrayList<>();
        for (int l = 0; l < names.length; l++) {
            compact[l] = reported[l] ? kept.size() : -1;
            if (reported[l]) {
                kept.add(names[l]);
            }
        }
        this.layerNames = kept.toArray(new String[0]);
        this.numLayers = layerNames.length;
        this.allLayers = names.length;
        sliceLayer = new int[slices.size()];
        sliceStart = new int[slices.size()];
        sliceEnd = new int[slices.size()];
        for (int i = 0; i < slices.size(); i++) {
            sliceLayer[i] = compact[slices.get(i)[0]];
            sliceStart[i] = slices.get(i)[1];
            sliceEnd[i] = slices.get(i)[2];
        }
        paramBuf = new float[totalLength];
        gradBuf = new float[totalLength];
        gradSq = new double[numLayers];
        paramSq = new double[numLayers];
        updateSq = new double[numLayers];
    }

    /** Prepares the next step: the class of each example of the batch, and whether to measure this step at all. */
    public void beginStep(int[] batchLabels, boolean sample) {
        this.sampled = sample;
        this.labels = batchLabels;
        this.accuracy = Double.NaN;
        this.gradientNorm = Double.NaN;
        this.gradientsSeen = false;
        this.updateSeen = false;
        this.paramsBefore = null;
    }

    /** How many array copies so far could not use the bulk copy from native memory. */
    public long slowCopies() {
        return slowCopies;
    }

    /** How many layers are reported: those with trained parameters. */
    public int numLayers() {
        return numLayers;
    }

    /** The names of the reported layers, input side first: the keys of every per-layer map. */
    public String[] layerNames() {
        return layerNames.clone();
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        if (!sampled || labels == null || activations == null || activations.isEmpty()
                || !(model instanceof MultiLayerNetwork net)) {
            return;
        }
        paramsBefore = copyFlat(net.params(), paramBuf) ? paramBuf : null;
        // During fit DL4J hands over the input and the activations of every layer but the output layer:
        // the class scores are last-hidden x W + b of the output layer (softmax does not change the argmax).
        accuracyFrom(activations.get(activations.size() - 1), activations.size() != allLayers);
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (!sampled || labels == null || activations == null || !(model instanceof ComputationGraph net)) {
            return;
        }
        paramsBefore = copyFlat(net.params(), paramBuf) ? paramBuf : null;
        if (activations.get(outputKey) != null) {
            accuracyFrom(activations.get(outputKey), true);
        } else if (outputInput != null && activations.get(outputInput) != null) {
            accuracyFrom(activations.get(outputInput), false);
        }
    }

    /** The batch accuracy from the output layer's activations, or from its input and its W and b. */
    private void accuracyFrom(INDArray last, boolean isOutput) {
        if (last != null && last.rank() == 4 && flattenLast && !isOutput) {
            last = last.reshape('c', last.size(0), last.length() / last.size(0));
        }
        if (last == null || last.rank() != 2 || last.rows() != labels.length) {
            return;
        }
        int rows = (int) last.rows();
        int cols = (int) last.columns();
        if (hiddenBuf.length < rows * cols) {
            hiddenBuf = new float[rows * cols];
        }
        float[] h = hiddenBuf;
        if (!copyMatrix(last, h, rows, cols)) {
            return;
        }
        int nOut;
        float[] scores;
        if (!isOutput && paramsBefore != null && outW >= 0) {
            // W is [nIn, nOut] in 'f' order inside the flat vector: element (k, c) at outW + k + c * nIn.
            int nIn = cols;
            nOut = (outWEnd - outW) / nIn;
            if (nIn * nOut != outWEnd - outW || outBEnd - outB != nOut) {
                return;
            }
            if (scoreBuf.length < rows * nOut) {
                scoreBuf = new float[rows * nOut];
            }
            scores = scoreBuf;
            float[] w = paramsBefore;
            for (int i = 0; i < rows; i++) {
                int hi = i * nIn;
                for (int c = 0; c < nOut; c++) {
                    float sum = w[outB + c];
                    int col = outW + c * nIn;
                    for (int k = 0; k < nIn; k++) {
                        sum += h[hi + k] * w[col + k];
                    }
                    scores[i * nOut + c] = sum;
                }
            }
        } else if (isOutput) {
            scores = h; // the output layer's own activations
            nOut = cols;
        } else {
            return;
        }
        if (nOut == 0) {
            return;
        }
        int correct = 0;
        for (int i = 0; i < rows; i++) {
            int base = i * nOut;
            int best = 0;
            for (int c = 1; c < nOut; c++) {
                if (scores[base + c] > scores[base + best]) {
                    best = c;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        accuracy = (double) correct / rows;
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (!sampled) {
            return;
        }
        if (!copyFlat(gradientView(model), gradBuf)) {
            return;
        }
        double total = sumSquares(gradBuf, gradSq);
        double batch = labels == null || labels.length == 0 ? 1 : labels.length;
        gradientNorm = Math.sqrt(total) / batch;
        gradientsSeen = true;
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
        sumSquares(gradBuf, updateSq);
        sumSquares(w, paramSq);
        updateSeen = true;
    }

    /** The flat gradient view (raw gradients before the updater, the update after it). */
    private static INDArray gradientView(Model model) {
        if (model instanceof MultiLayerNetwork net && net.getGradientsViewArray() != null) {
            return net.getGradientsViewArray(); // the view itself: Gradient.gradient() may flatten anew (~20 us)
        }
        if (model instanceof ComputationGraph net && net.getGradientsViewArray() != null) {
            return net.getGradientsViewArray();
        }
        return model.gradient() == null ? null : model.gradient().gradient();
    }

    /** Copies the flat vector {@code array} into {@code into}; false when it is not the flat vector of this net. */
    private boolean copyFlat(INDArray array, float[] into) {
        if (array == null || array.length() != totalLength) {
            return false;
        }
        if (array.dataType() == DataType.FLOAT && array.offset() == 0 && array.elementWiseStride() == 1
                && bulkCopy(array.data(), 0, into, totalLength)) {
            return true;
        }
        slowCopies++;
        float[] v = array.reshape(array.length()).toFloatVector();
        System.arraycopy(v, 0, into, 0, totalLength);
        return true;
    }

    /** Copies a rows x cols matrix into {@code into} in row-major order; false when it cannot. */
    private boolean copyMatrix(INDArray m, float[] into, int rows, int cols) {
        long s0 = m.stride(0);
        long s1 = m.stride(1);
        long span = (rows - 1) * s0 + (cols - 1) * s1 + 1;
        if (m.dataType() == DataType.FLOAT && s0 > 0 && s1 > 0 && span <= Integer.MAX_VALUE && m.offset() >= 0) {
            if (s1 == 1 && s0 == cols) {
                if (bulkCopy(m.data(), m.offset(), into, rows * cols)) {
                    return true;
                }
            } else {
                float[] raw = new float[(int) span];
                if (bulkCopy(m.data(), m.offset(), raw, (int) span)) {
                    for (int i = 0; i < rows; i++) {
                        for (int k = 0; k < cols; k++) {
                            into[i * cols + k] = raw[(int) (i * s0 + k * s1)];
                        }
                    }
                    return true;
                }
            }
        }
        // Slow but general (views of other types or layouts): ~0.6 ms for 32x64.
        slowCopies++;
        float[][] f = m.toFloatMatrix();
        for (int i = 0; i < rows; i++) {
            System.arraycopy(f[i], 0, into, i * cols, cols);
        }
        return true;
    }

    /** One bulk copy of {@code n} floats from a native buffer, starting at element {@code from}. */
    private static boolean bulkCopy(DataBuffer data, long from, float[] into, int n) {
        if (!HOST_BUFFERS || data == null || data.offset() != 0 || data.dataType() != DataType.FLOAT || from + n > data.length()) {
            return false;
        }
        try {
            FloatBuffer fb = data.asNioFloat();
            if (fb == null || fb.position() != 0 || fb.limit() < from + n) {
                return false;
            }
            fb.position((int) from);
            fb.get(into, 0, n);
            return true;
        } catch (RuntimeException e) {
            return false; // a backend without host-visible memory: the caller falls back
        }
    }

    private double sumSquares(float[] values, double[] perLayer) {
        java.util.Arrays.fill(perLayer, 0);
        double total = 0;
        for (int s = 0; s < sliceLayer.length; s++) {
            // Four accumulators: the additions are independent, so the loop is not bound by their latency.
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = sliceStart[s];
            int end = sliceEnd[s];
            for (; i + 3 < end; i += 4) {
                double a = values[i];
                double b = values[i + 1];
                double c = values[i + 2];
                double d = values[i + 3];
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += d * d;
            }
            for (; i < end; i++) {
                double a = values[i];
                s0 += a * a;
            }
            double sum = (s0 + s1) + (s2 + s3);
            perLayer[sliceLayer[s]] += sum;
            total += sum;
        }
        return total;
    }

    /** The measurements of the step just done, or null when it was not sampled. */
    public Measurement measurement() {
        if (!sampled) {
            return null;
        }
        double batch = labels == null || labels.length == 0 ? 1 : labels.length;
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
        return new Measurement(accuracy, gradientNorm, layerGrad, paramNorm, ratio);
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
    }
}
