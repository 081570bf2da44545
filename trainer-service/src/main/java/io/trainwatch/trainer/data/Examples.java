package io.trainwatch.trainer.data;

/**
 * Labelled examples on the Java heap: one row of features per example and its class index.
 *
 * @param x          features, one row per example (for shaped examples, the array flattened in {@code shape}'s
 *                   C order)
 * @param y          class index of each example, in [0, numClasses)
 * @param numClasses number of classes
 * @param shape      the shape of one example in Deeplearning4j's layout ({@code [channels, height, width]} for an
 *                   image, {@code [features, timeSteps]} for a sequence), or null for a flat feature vector
 */
public record Examples(float[][] x, int[] y, int numClasses, int[] shape) {

    public Examples {
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " feature rows but " + y.length + " labels");
        }
        shape = shape == null ? null : shape.clone();
    }

    /** Flat examples (a feature vector each). */
    public Examples(float[][] x, int[] y, int numClasses) {
        this(x, y, numClasses, null);
    }

    public int size() {
        return y.length;
    }

    public int numFeatures() {
        return x.length == 0 ? (shape == null ? 0 : product(shape)) : x[0].length;
    }

    /** The shape of one example, or null for a flat feature vector. */
    @Override
    public int[] shape() {
        return shape == null ? null : shape.clone();
    }

    /** The examples at the given indices, in that order. */
    public Examples select(int[] indices) {
        float[][] sx = new float[indices.length][];
        int[] sy = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            sx[i] = x[indices[i]];
            sy[i] = y[indices[i]];
        }
        return new Examples(sx, sy, numClasses, shape);
    }

    static int product(int[] dims) {
        int p = 1;
        for (int d : dims) {
            p *= d;
        }
        return p;
    }
}
