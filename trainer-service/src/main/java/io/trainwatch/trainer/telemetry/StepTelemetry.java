package io.trainwatch.trainer.telemetry;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 * <p>Cost: each array is copied to the heap once and summed in Java, per parameter slice of the flat
 * vector, which is several times cheaper than a native {@code norm2} per array. Steps that are not sampled
 * cost nothing. Used on the training thread only.
 */
public final class StepTelemetry extends BaseTrainingListener {

    private final int numLayers;
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
    /** The flat parameters before this step's update (copied in the forward pass). */
    private float[] paramsBefore;
    /** Where the output layer's W and b lie in the flat vector, or -1. */
    private final int outW;
    private final int outWEnd;
    private final int outB;
    private final int outBEnd;

    /** A listener for {@code net}, whose flat parameter vector is laid out layer by layer as in its param table. */
    public StepTelemetry(MultiLayerNetwork net) {
        this.numLayers = net.getnLayers();
        Map<String, INDArray> table = net.paramTable();
        List<int[]> slices = new ArrayList<>();
        int offset = 0;
        int[] ow = {-1, -1, -1, -1};
        String outPrefix = (net.getnLayers() - 1) + "_";
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            if (e.getKey().equals(outPrefix + "W") && e.getValue().ordering() == 'f') {
                ow[0] = offset;
                ow[1] = offset + (int) e.getValue().length();
            } else if (e.getKey().equals(outPrefix + "b")) {
                ow[2] = offset;
                ow[3] = offset + (int) e.getValue().length();
            }
            int layer = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('_')));
            int len = (int) e.getValue().length();
            slices.add(new int[]{layer, offset, offset + len});
            offset += len;
        }
        this.totalLength = offset;
        this.outW = ow[0] >= 0 && ow[2] >= 0 ? ow[0] : -1;
        this.outWEnd = ow[1];
        this.outB = ow[2];
        this.outBEnd = ow[3];
        if (offset != net.numParams()) {
            throw new IllegalStateException("param table covers " + offset + " of " + net.numParams() + " parameters");
        }
        sliceLayer = new int[slices.size()];
        sliceStart = new int[slices.size()];
        sliceEnd = new int[slices.size()];
        for (int i = 0; i < slices.size(); i++) {
            sliceLayer[i] = slices.get(i)[0];
            sliceStart[i] = slices.get(i)[1];
            sliceEnd[i] = slices.get(i)[2];
        }
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

    public int numLayers() {
        return numLayers;
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        if (!sampled || labels == null || activations == null || activations.isEmpty()
                || !(model instanceof MultiLayerNetwork net)) {
            return;
        }
        // During fit DL4J hands over the input and the activations of every layer but the output layer:
        // the class scores are last-hidden x W + b of the output layer (softmax does not change the argmax).
        INDArray last = activations.get(activations.size() - 1);
        if (last.rank() != 2 || last.rows() != labels.length) {
            return;
        }
        paramsBefore = flat(net.params());
        float[][] h = last.toFloatMatrix();
        float[][] scores;
        if (activations.size() == numLayers && paramsBefore != null && outW >= 0) {
            // W is [nIn, nOut] in 'f' order inside the flat vector: element (k, c) at outW + k + c * nIn.
            int nIn = h[0].length;
            int nOut = (outWEnd - outW) / nIn;
            if (nIn * nOut != outWEnd - outW || outBEnd - outB != nOut) {
                return;
            }
            scores = new float[h.length][nOut];
            for (int i = 0; i < h.length; i++) {
                float[] row = scores[i];
                float[] hi = h[i];
                for (int c = 0; c < nOut; c++) {
                    float sum = paramsBefore[outB + c];
                    int col = outW + c * nIn;
                    for (int k = 0; k < nIn; k++) {
                        sum += hi[k] * paramsBefore[col + k];
                    }
                    row[c] = sum;
                }
            }
        } else {
            scores = h; // the list included the output layer's activations
        }
        int correct = 0;
        for (int i = 0; i < scores.length; i++) {
            int best = 0;
            for (int c = 1; c < scores[i].length; c++) {
                if (scores[i][c] > scores[i][best]) {
                    best = c;
                }
            }
            if (best == labels[i]) {
                correct++;
            }
        }
        accuracy = (double) correct / scores.length;
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (!sampled) {
            return;
        }
        float[] g = flat(model.gradient().gradient());
        if (g == null) {
            return;
        }
        double total = sumSquares(g, gradSq);
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
        float[] u = flat(model.gradient().gradient());
        float[] w = paramsBefore != null ? paramsBefore : flat(model.params());
        if (u == null || w == null) {
            return;
        }
        sumSquares(u, updateSq);
        sumSquares(w, paramSq);
        updateSeen = true;
    }

    private float[] flat(INDArray array) {
        if (array == null || array.length() != totalLength) {
            return null;
        }
        // One memcpy of the whole buffer when the array is the buffer (the flat params/gradients are).
        if (array.offset() == 0 && array.data().length() == totalLength
                && array.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT) {
            return array.data().asFloat();
        }
        return array.reshape(array.length()).toFloatVector();
    }

    private double sumSquares(float[] values, double[] perLayer) {
        java.util.Arrays.fill(perLayer, 0);
        double total = 0;
        for (int s = 0; s < sliceLayer.length; s++) {
            double sum = 0;
            for (int i = sliceStart[s]; i < sliceEnd[s]; i++) {
                double v = values[i];
                sum += v * v;
            }
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
