package io.trainwatch.trainer.model;

import java.util.List;
import java.util.Set;

/**
 * Where a run's examples come from: a synthetic generator ({@code spirals}, {@code blobs}, {@code moons},
 * {@code xor}, {@code images}), the bundled {@code iris} set, or a user {@code csv} or {@code npy} file; plus the
 * validation split.
 *
 * @param type            the data set kind
 * @param classes         number of classes (synthetic generators; moons and xor always have 2)
 * @param samples         total examples generated (synthetic)
 * @param noise           noise level: Gaussian standard deviation around the clean shape (synthetic)
 * @param features        input dimension of {@code blobs} (the others are 2-D, iris is 4-D)
 * @param path            file of a {@code csv} data set
 * @param labelColumn     label column of a {@code csv} data set: a header name or a 0-based index; default the last
 * @param validationFraction share of the examples held out for validation
 * @param trainSubset     when set, train on only this many examples (the overfitting scenario)
 * @param shape           the shape of one example in NumPy's layout: {@code [height, width, channels]} of
 *                        {@code images}, or the declared shape of a {@code csv} row's features; null = flat
 * @param labels          the {@code .npy} file of class indices of an {@code npy} data set
 */
public record DatasetSpec(
        String type,
        int classes,
        int samples,
        double noise,
        int features,
        String path,
        String labelColumn,
        double validationFraction,
        Integer trainSubset,
        List<Integer> shape,
        String labels) {

    public static final String SPIRALS = "spirals";
    public static final String BLOBS = "blobs";
    public static final String MOONS = "moons";
    public static final String XOR = "xor";
    public static final String IRIS = "iris";
    public static final String CSV = "csv";
    public static final String IMAGES = "images";
    public static final String NPY = "npy";
    public static final Set<String> TYPES = Set.of(SPIRALS, BLOBS, MOONS, XOR, IRIS, CSV, IMAGES, NPY);

    public DatasetSpec {
        shape = shape == null ? null : List.copyOf(shape);
    }

    /** A data set of flat feature vectors (every type but {@code images}, {@code npy} and a shaped {@code csv}). */
    public DatasetSpec(String type, int classes, int samples, double noise, int features, String path,
                       String labelColumn, double validationFraction, Integer trainSubset) {
        this(type, classes, samples, noise, features, path, labelColumn, validationFraction, trainSubset, null, null);
    }

    /** A short description for {@code run-started}'s {@code dataset}, e.g. {@code spirals(classes=3,samples=900,noise=0.2)}. */
    public String describe() {
        return switch (type) {
            case IRIS -> "iris";
            case CSV -> "csv(" + path + (shape == null ? "" : ",shape=" + shape) + ")";
            case NPY -> "npy(" + path + "," + labels + ")";
            case IMAGES -> "images(shape=" + shape + ",classes=" + classes + ",samples=" + samples + ",noise=" + noise + ")";
            case BLOBS -> "blobs(classes=" + classes + ",features=" + features + ",samples=" + samples + ",noise=" + noise + ")";
            case MOONS, XOR -> type + "(samples=" + samples + ",noise=" + noise + ")";
            default -> type + "(classes=" + classes + ",samples=" + samples + ",noise=" + noise + ")";
        } + (trainSubset == null ? "" : "[train=" + trainSubset + "]");
    }
}
