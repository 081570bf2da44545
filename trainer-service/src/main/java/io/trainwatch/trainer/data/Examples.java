package io.trainwatch.trainer.data;

/**
 * Labelled examples on the Java heap: one row of features per example and its class index.
 *
 * @param x          features, one row per example
 * @param y          class index of each example, in [0, numClasses)
 * @param numClasses number of classes
 */
public record Examples(float[][] x, int[] y, int numClasses) {

    public Examples {
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " feature rows but " + y.length + " labels");
        }
    }

    public int size() {
        return y.length;
    }

    public int numFeatures() {
        return x.length == 0 ? 0 : x[0].length;
    }

    /** The examples at the given indices, in that order. */
    public Examples select(int[] indices) {
        float[][] sx = new float[indices.length][];
        int[] sy = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            sx[i] = x[indices[i]];
            sy[i] = y[indices[i]];
        }
        return new Examples(sx, sy, numClasses);
    }
}
