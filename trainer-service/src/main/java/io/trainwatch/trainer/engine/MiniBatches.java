package io.trainwatch.trainer.engine;

import io.trainwatch.trainer.data.Datasets;
import io.trainwatch.trainer.data.Examples;
import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Random;

/** How a run's examples become mini-batches: the shuffled orders, the fixed subset, the DL4J data sets. */
final class MiniBatches {

    private MiniBatches() {
    }

    /**
     * The examples of the first {@code subsetBatches} mini-batches, in training order (drawn from the run's
     * shuffle, so fixed by the seed), or null without a subset. Throws when the training set is too small.
     */
    static int[] subsetOrder(RunSpec spec, int n, int batch, Random shuffle) {
        Integer k = spec.subsetBatches();
        if (k == null) {
            return null;
        }
        if ((long) k * batch > n) {
            throw new InvalidConfigException("subsetBatches", k + " batches of " + batch + " need " + (long) k * batch
                    + " training examples; the training set has " + n + " (at most " + n / batch + " batches)");
        }
        return Arrays.copyOf(Datasets.permutation(n, shuffle), k * batch);
    }

    /** A mini-batch of the examples at {@code idx}, features shaped {@code [batch, ...exampleShape]} (null: flat). */
    static DataSet dataSet(Examples data, int[] idx, int[] exampleShape) {
        int f = data.numFeatures();
        int c = data.numClasses();
        float[] x = new float[idx.length * f];
        float[] y = new float[idx.length * c];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(data.x()[idx[i]], 0, x, i * f, f);
            y[i * c + data.y()[idx[i]]] = 1f;
        }
        long[] shape = new long[]{idx.length, f};
        if (exampleShape != null) {
            shape = new long[exampleShape.length + 1];
            shape[0] = idx.length;
            for (int i = 0; i < exampleShape.length; i++) {
                shape[i + 1] = exampleShape[i];
            }
        }
        return new DataSet(Nd4j.create(x, shape, 'c'),
                Nd4j.create(y, new long[]{idx.length, c}, 'c'));
    }

    /** The classes of the examples at {@code idx}. */
    static int[] labels(Examples data, int[] idx) {
        int[] labels = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            labels[i] = data.y()[idx[i]];
        }
        return labels;
    }

    /** 0, 1, ..., n-1. */
    static int[] allIndices(int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return idx;
    }
}
