package io.trainwatch.trainer.data;

import io.trainwatch.trainer.model.InvalidConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Numeric-tensor data sets: a NumPy {@code .npy} feature array with a {@code .npy} label vector, or a CSV whose
 * feature columns are declared to be a tensor. One example's features are given in the usual NumPy layout and
 * turned into Deeplearning4j's: {@code [features]} stays flat, a sequence {@code [timeSteps, features]} becomes
 * {@code [features, timeSteps]} (DL4J's NCW recurrent layout) and an image {@code [height, width, channels]}
 * (channels last, as NumPy and Keras store images) becomes {@code [channels, height, width]} (NCHW).
 */
public final class TensorData {

    /** The most values a data set may hold (200 MB of floats on the heap). */
    public static final long MAX_VALUES = 50_000_000L;

    private TensorData() {
    }

    /** Features from {@code featuresPath} ({@code [N, ...]}), class indices from {@code labelsPath} ({@code [N]}). */
    public static Examples readNpy(Path featuresPath, Path labelsPath) {
        NpyReader.NpyArray features = load(featuresPath, "dataset.path");
        NpyReader.NpyArray labels = load(labelsPath, "dataset.labels");
        long[] fs = features.shape();
        if (fs.length < 2 || fs.length > 4) {
            throw new InvalidConfigException("dataset.path", "the feature array must be [examples, features], "
                    + "[examples, timeSteps, features] or [examples, height, width, channels]; it is "
                    + Arrays.toString(fs));
        }
        long[] ls = labels.shape();
        boolean column = ls.length == 2 && ls[1] == 1;
        if (!(ls.length == 1 || column)) {
            throw new InvalidConfigException("dataset.labels", "must be a vector of class indices [examples], is "
                    + Arrays.toString(ls));
        }
        if (ls[0] != fs[0]) {
            throw new InvalidConfigException("dataset.labels", ls[0] + " labels for " + fs[0] + " examples");
        }
        int n = (int) fs[0];
        int[] userShape = new int[fs.length - 1];
        for (int i = 1; i < fs.length; i++) {
            userShape[i - 1] = (int) fs[i];
        }
        int per = Examples.product(userShape);
        if (n < 2 || per < 1) {
            throw new InvalidConfigException("dataset.path", "needs at least 2 examples of at least 1 value, shape is "
                    + Arrays.toString(fs));
        }
        float[][] x = new float[n][];
        double[] v = features.values();
        float[] row = new float[per];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < per; j++) {
                double d = v[i * per + j];
                if (!Double.isFinite(d)) {
                    throw new InvalidConfigException("dataset.path", "example " + i + " has a non-finite value " + d);
                }
                row[j] = (float) d;
            }
            x[i] = toDl4j(row, userShape);
        }
        int[] y = new int[n];
        int max = 0;
        for (int i = 0; i < n; i++) {
            double d = labels.values()[i];
            if (d != Math.rint(d) || d < 0 || d >= CsvData.MAX_CLASSES) {
                throw new InvalidConfigException("dataset.labels", "label " + i + " is " + d + ", not a class index in [0, "
                        + CsvData.MAX_CLASSES + ")");
            }
            y[i] = (int) d;
            max = Math.max(max, y[i]);
        }
        if (max < 1) {
            throw new InvalidConfigException("dataset.labels", "needs at least 2 classes, found 1");
        }
        return new Examples(x, y, max + 1, dl4jShape(userShape));
    }

    /** The per-example shape of a {@code .npy} feature file, in the user's layout, read from its header only. */
    public static int[] npyExampleShape(Path featuresPath) {
        try {
            NpyReader.Header h = NpyReader.readHeader(featuresPath);
            int[] s = new int[Math.max(0, h.shape().length - 1)];
            for (int i = 1; i < h.shape().length; i++) {
                s[i - 1] = (int) h.shape()[i];
            }
            return s;
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidConfigException("dataset.path", "cannot read " + featuresPath + ": " + e.getMessage());
        }
    }

    /** Flat examples (a CSV's feature columns) reshaped to {@code userShape} and put in Deeplearning4j's layout. */
    public static Examples reshape(Examples flat, int[] userShape) {
        int per = Examples.product(userShape);
        if (flat.numFeatures() != per) {
            throw new InvalidConfigException("dataset.shape", Arrays.toString(userShape) + " holds " + per
                    + " values but each row has " + flat.numFeatures() + " features");
        }
        float[][] x = new float[flat.size()][];
        for (int i = 0; i < flat.size(); i++) {
            x[i] = toDl4j(flat.x()[i], userShape);
        }
        return new Examples(x, flat.y(), flat.numClasses(), dl4jShape(userShape));
    }

    /** Deeplearning4j's shape of one example given as {@code userShape} (see the class comment), or null if flat. */
    public static int[] dl4jShape(int[] userShape) {
        return switch (userShape.length) {
            case 1 -> null;
            case 2 -> new int[]{userShape[1], userShape[0]};
            case 3 -> new int[]{userShape[2], userShape[0], userShape[1]};
            default -> throw new InvalidConfigException("dataset.shape", "must have 1 to 3 dimensions, has "
                    + userShape.length);
        };
    }

    /** One example from the user's layout to Deeplearning4j's (a new array). */
    static float[] toDl4j(float[] row, int[] userShape) {
        float[] out = new float[row.length];
        if (userShape.length == 1) {
            System.arraycopy(row, 0, out, 0, row.length);
        } else if (userShape.length == 2) { // [T, F] -> [F, T]
            int t = userShape[0];
            int f = userShape[1];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < f; j++) {
                    out[j * t + i] = row[i * f + j];
                }
            }
        } else { // [H, W, C] -> [C, H, W]
            int h = userShape[0];
            int w = userShape[1];
            int c = userShape[2];
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    for (int k = 0; k < c; k++) {
                        out[(k * h + i) * w + j] = row[(i * w + j) * c + k];
                    }
                }
            }
        }
        return out;
    }

    private static NpyReader.NpyArray load(Path path, String field) {
        try {
            if (!Files.isRegularFile(path)) {
                throw new InvalidConfigException(field, "no such file: " + path);
            }
            NpyReader.Header h = NpyReader.readHeader(path);
            long n = 1;
            for (long d : h.shape()) {
                n *= d;
            }
            if (n > MAX_VALUES) {
                throw new InvalidConfigException(field, "holds " + n + " values, more than " + MAX_VALUES);
            }
            return NpyReader.read(path);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidConfigException(field, "cannot read " + path + ": " + e.getMessage());
        }
    }
}
