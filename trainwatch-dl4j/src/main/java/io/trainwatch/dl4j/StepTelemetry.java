package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DL4J listener that measures one optimisation step from inside {@code fit}, for a
 * {@link MultiLayerNetwork} or a {@link ComputationGraph} of any layers: batch accuracy (from the forward pass,
 * when the model ends in a dense {@code OutputLayer} fed by a 2-d activation), the raw per-layer gradient L2
 * norms (in {@code onGradientCalculation}, the only moment they exist before the updater overwrites them in
 * place; divided by the mini-batch size since DL4J sums over the batch), the parameter norms (before the update)
 * and, after the update, the update:parameter ratios (DL4J UI's metric, here as the ratio of L2 norms per layer).
 *
 * <p>Layers are the model's layers that have trainable parameters (subsampling, activation, dropout layers have
 * none and do not appear), ordered by the position of their parameters in the flat parameter vector (input side
 * first). They are named {@code layer0 ... layerN} by their DL4J index in a {@code MultiLayerNetwork} and by their
 * layer (vertex) name in a {@code ComputationGraph}. Each parameter array of a layer ({@code W}, {@code b},
 * {@code RW}, {@code gamma}, ...) is found in the flat vector by the offset of its view, so that the norms are
 * right whatever the order of the parameter tables.
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
    public static final java.util.Set<String> RUNNING_STATISTICS = java.util.Set.of("mean", "var", "log10stdev");

    /** Bulk copies read host memory directly: only on the CPU backend (CUDA buffers may be stale on the host). */
    private static final boolean HOST_BUFFERS =
            !org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda");

    private final int numLayers;
    private final String[] layerNames;
    /** The DL4J layer count of a MultiLayerNetwork (the size of its activation list in fit), or -1 for a graph. */
    private final int modelLayers;
    /** For a graph: the vertex whose activations feed the output layer, or null. */
    private final String outputInput;
    /** The output layer, for its labels when no labels were given to {@link #beginStep}; null if none. */
    private final Layer outputLayer;
    /** For each parameter array in flat order: its layer, its start and its end (exclusive). */
    private final int[] sliceLayer;
    private final int[] sliceStart;
    private final int[] sliceEnd;
    private final int totalLength;

    private boolean sampled = true;
    private int[] labels;
    /** Classes predicted in the forward pass when the labels are read later from the output layer; or null. */
    private int[] predicted = new int[0];
    private int predictedRows;
    private float[] labelBuf = new float[0];
    private int batchSize;
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

    /** A listener for a {@link MultiLayerNetwork} or a {@link ComputationGraph}, initialised ({@code init()}). */
    public StepTelemetry(Model model) {
        Layer[] layers;
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
        List<Slice> all = slices(model, layers, flat);
        // Layers with trainable parameters, in the order of their first parameter in the flat vector.
        Map<String, Integer> firstOffset = new LinkedHashMap<>();
        for (Slice sl : all) {
            if (sl.trainable() && sl.end() > sl.start()) {
                firstOffset.merge(sl.layer(), sl.start(), Math::min);
            }
        }
        List<String> names = new ArrayList<>(firstOffset.keySet());
        names.sort(Comparator.comparingInt(firstOffset::get));
        this.layerNames = names.toArray(new String[0]);
        this.numLayers = layerNames.length;
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < layerNames.length; i++) {
            index.put(layerNames[i], i);
        }
        List<Slice> kept = all.stream().filter(sl -> sl.trainable() && index.containsKey(sl.layer()))
                .sorted(Comparator.comparingInt(Slice::start)).toList();
        sliceLayer = new int[kept.size()];
        sliceStart = new int[kept.size()];
        sliceEnd = new int[kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            sliceLayer[i] = index.get(kept.get(i).layer());
            sliceStart[i] = kept.get(i).start();
            sliceEnd[i] = kept.get(i).end();
        }
        int[] ow = {-1, -1, -1, -1};
        if (outputLayer != null && outputLayer.getClass() == OutputLayer.class) {
            Map<String, INDArray> pt = outputLayer.paramTable();
            INDArray w = pt.get("W");
            INDArray b = pt.get("b");
            Integer wStart = w == null ? null : offsetIn(flat, w);
            Integer bStart = b == null ? null : offsetIn(flat, b);
            if (w != null && w.ordering() == 'f' && wStart != null && bStart != null) {
                ow[0] = wStart;
                ow[1] = wStart + (int) w.length();
                ow[2] = bStart;
                ow[3] = bStart + (int) b.length();
            }
        }
        this.outW = ow[0] >= 0 && ow[2] >= 0 ? ow[0] : -1;
        this.outWEnd = ow[1];
        this.outB = ow[2];
        this.outBEnd = ow[3];
        paramBuf = new float[totalLength];
        gradBuf = new float[totalLength];
        gradSq = new double[numLayers];
        paramSq = new double[numLayers];
        updateSq = new double[numLayers];
    }

    /** One parameter array of a layer: where it lies in the flat vector, and whether gradients train it. */
    private record Slice(String layer, int start, int end, boolean trainable) {
    }

    /**
     * Every parameter array of every layer with its place in the flat vector, found from the offset of its view;
     * if the views do not tile the flat vector exactly, the parameter tables' order is taken as the layout.
     */
    private static List<Slice> slices(Model model, Layer[] layers, INDArray flat) {
        List<Slice> byOffset = new ArrayList<>();
        List<Slice> byOrder = new ArrayList<>();
        boolean offsetsOk = true;
        int sequential = 0;
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            String name = model instanceof MultiLayerNetwork ? layerName(layer.getIndex())
                    : layer.conf().getLayer().getLayerName();
            Map<String, INDArray> table = layer.paramTable();
            if (table == null) {
                continue;
            }
            for (Map.Entry<String, INDArray> e : table.entrySet()) {
                int len = (int) e.getValue().length();
                boolean trainable = !RUNNING_STATISTICS.contains(e.getKey());
                Integer start = offsetIn(flat, e.getValue());
                if (start == null) {
                    offsetsOk = false;
                } else {
                    byOffset.add(new Slice(name, start, start + len, trainable));
                }
                byOrder.add(new Slice(name, sequential, sequential + len, trainable));
                sequential += len;
            }
        }
        if (offsetsOk && tiles(byOffset, (int) flat.length())) {
            return byOffset;
        }
        if (sequential != flat.length()) {
            throw new IllegalStateException("parameter tables cover " + sequential + " of " + flat.length()
                    + " parameters");
        }
        return byOrder;
    }

    /** Whether the slices cover [0, total) exactly, without overlap. */
    private static boolean tiles(List<Slice> slices, int total) {
        List<Slice> sorted = slices.stream().sorted(Comparator.comparingInt(Slice::start)).toList();
        int next = 0;
        for (Slice s : sorted) {
            if (s.start() != next) {
                return false;
            }
            next = s.end();
        }
        return next == total;
    }

    /** Where a parameter view starts inside the flat vector, or null when it is not a contiguous view of it. */
    private static Integer offsetIn(INDArray flat, INDArray view) {
        try {
            if (view.data() == null || flat.data() == null || view.length() == 0) {
                return null;
            }
            long start = view.offset() - flat.offset();
            boolean contiguous = view.length() == 1 || view.elementWiseStride() == 1;
            if (start < 0 || start + view.length() > flat.length() || !contiguous) {
                return null;
            }
            return (int) start;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The name of layer {@code index} of a MultiLayerNetwork ({@code layer0}, {@code layer1}, ...). */
    public static String layerName(int index) {
        return "layer" + index;
    }

    /** The measured layers' names, input side first (the keys of every per-layer map). */
    public String[] layerNames() {
        return layerNames.clone();
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
        this.predictedRows = 0;
        this.batchSize = 0;
    }

    /** How many array copies so far could not use the bulk copy from native memory. */
    public long slowCopies() {
        return slowCopies;
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
        classify(activations.get(activations.size() - 1), withoutOutput);
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (!sampled || !(model instanceof ComputationGraph)) {
            return;
        }
        paramsBefore = copyFlat(model.params(), paramBuf) ? paramBuf : null;
        if (activations != null && outputInput != null) {
            classify(activations.get(outputInput), true);
        }
    }

    /**
     * The class of each example from the output layer's input {@code last} (or, when {@code beforeOutput} is false,
     * from the output activations themselves): compared with the labels at once when {@link #beginStep} gave them,
     * else kept until the labels can be read from the output layer.
     */
    private void classify(INDArray last, boolean beforeOutput) {
        predictedRows = 0;
        if (last == null || last.rank() != 2 || (labels != null && last.rows() != labels.length)) {
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
        if (beforeOutput && paramsBefore != null && outW >= 0) {
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
        } else if (!beforeOutput) {
            scores = h; // the list included the output layer's activations
            nOut = cols;
        } else {
            return;
        }
        if (nOut == 0) {
            return;
        }
        if (labels == null && predicted.length < rows) {
            predicted = new int[rows];
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
            if (labels == null) {
                predicted[i] = best;
            } else if (best == labels[i]) {
                correct++;
            }
        }
        if (labels == null) {
            predictedRows = rows;
        } else {
            accuracy = (double) correct / rows;
        }
    }

    /** The accuracy of the kept predictions against the output layer's labels (one-hot or class scores). */
    private void scorePredictions(Model model) {
        if (predictedRows == 0 || outputLayer == null) {
            return;
        }
        INDArray y = model instanceof MultiLayerNetwork net ? net.getLabels() : null;
        if (y == null && outputLayer instanceof IOutputLayer out) {
            y = out.getLabels();
        }
        int rows = predictedRows;
        predictedRows = 0;
        if (y == null || y.rank() != 2 || y.rows() != rows) {
            return;
        }
        int cols = (int) y.columns();
        if (labelBuf.length < rows * cols) {
            labelBuf = new float[rows * cols];
        }
        if (cols == 0 || !copyMatrix(y, labelBuf, rows, cols)) {
            return;
        }
        int correct = 0;
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (labelBuf[base + c] > labelBuf[base + best]) {
                    best = c;
                }
            }
            if (best == predicted[i]) {
                correct++;
            }
        }
        accuracy = (double) correct / rows;
    }

    /**
     * The labels of the batch are read here when they were not given: a graph's output layer holds them only during
     * the backward pass (they are gone by {@code onGradientCalculation}).
     */
    @Override
    public void onBackwardPass(Model model) {
        if (sampled) {
            scorePredictions(model);
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (!sampled) {
            return;
        }
        batchSize = labels != null ? labels.length : safeBatchSize(model);
        scorePredictions(model);
        if (!copyFlat(gradientView(model), gradBuf)) {
            return;
        }
        double total = sumSquares(gradBuf, gradSq);
        double batch = batchSize <= 0 ? 1 : batchSize;
        gradientNorm = Math.sqrt(total) / batch;
        gradientsSeen = true;
    }

    private static int safeBatchSize(Model model) {
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
        sumSquares(gradBuf, updateSq);
        sumSquares(w, paramSq);
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

        /** The accuracy, or null when unknown (a step event leaves it out). */
        public Double accuracyOrNull() {
            return Double.isNaN(accuracy) ? null : accuracy;
        }

        /** {@code values} (one of the per-layer arrays) keyed by the layers' names, input side first. */
        public static java.util.Map<String, Double> byLayer(String[] names, double[] values) {
            java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
            for (int l = 0; l < names.length; l++) {
                m.put(names[l], values[l]);
            }
            return m;
        }
    }
}
