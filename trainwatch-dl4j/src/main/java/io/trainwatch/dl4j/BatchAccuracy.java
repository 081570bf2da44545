package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The share of a mini-batch classified correctly, from the forward pass of {@code fit}: the class scores are the
 * last hidden activations times the output layer's {@code W} plus {@code b} (read from the flat parameters before
 * the update; softmax does not change the argmax), or the output activations themselves when DL4J hands them over.
 * The classes are compared with the labels given for the step, or, without them, with the labels the output layer
 * holds during the backward pass. Reuses its buffers: no allocation per step once they are large enough.
 */
final class BatchAccuracy {

    private final HostCopies copies;
    /** The output layer, for its labels when no labels were given; null if none. */
    private final Layer outputLayer;
    /** Where the output layer's W and b lie in the flat vector, or -1. */
    private final int outW;
    private final int outWEnd;
    private final int outB;
    private final int outBEnd;

    private int[] labels;
    /** Classes predicted in the forward pass when the labels are read later from the output layer. */
    private int[] predicted = new int[0];
    private int predictedRows;
    private float[] labelBuf = new float[0];
    private float[] hiddenBuf = new float[0];
    private float[] scoreBuf = new float[0];
    private double accuracy = Double.NaN;

    /** @param outputWeights {@link ParameterLayout#outputWeights}, or null when the scores cannot be computed */
    BatchAccuracy(HostCopies copies, Layer outputLayer, int[] outputWeights) {
        this.copies = copies;
        this.outputLayer = outputLayer;
        boolean known = outputWeights != null && outputWeights[0] >= 0 && outputWeights[2] >= 0;
        this.outW = known ? outputWeights[0] : -1;
        this.outWEnd = outputWeights == null ? -1 : outputWeights[1];
        this.outB = outputWeights == null ? -1 : outputWeights[2];
        this.outBEnd = outputWeights == null ? -1 : outputWeights[3];
    }

    /** Starts a step: the class of each example (or null: read from the output layer later). */
    void begin(int[] batchLabels) {
        this.labels = batchLabels;
        this.accuracy = Double.NaN;
        this.predictedRows = 0;
    }

    /** The labels given for the step, or null. */
    int[] labels() {
        return labels;
    }

    /** The accuracy measured in this step, or NaN. */
    double accuracy() {
        return accuracy;
    }

    /**
     * The class of each example from the output layer's input {@code last} (or, when {@code beforeOutput} is false,
     * from the output activations themselves): compared with the labels at once when {@link #begin} gave them,
     * else kept until the labels can be read from the output layer. {@code params} are the flat parameters before
     * the update, or null.
     */
    void classify(INDArray last, boolean beforeOutput, float[] params) {
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
        if (!copies.copyMatrix(last, h, rows, cols)) {
            return;
        }
        int nOut;
        float[] scores;
        if (beforeOutput && params != null && outW >= 0) {
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
            float[] w = params;
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
            int best = argMax(scores, i * nOut, nOut);
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
    void scorePredictions(Model model) {
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
        if (cols == 0 || !copies.copyMatrix(y, labelBuf, rows, cols)) {
            return;
        }
        int correct = 0;
        for (int i = 0; i < rows; i++) {
            if (argMax(labelBuf, i * cols, cols) == predicted[i]) {
                correct++;
            }
        }
        accuracy = (double) correct / rows;
    }

    /** The index (0..n-1) of the largest of {@code n} values from {@code base}; the first one on a tie. */
    private static int argMax(float[] values, int base, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (values[base + c] > values[base + best]) {
                best = c;
            }
        }
        return best;
    }
}
