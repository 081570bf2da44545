package io.trainwatch.trainer.model;

import io.trainwatch.trainer.data.TensorData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.trainwatch.trainer.model.ConfigFields.fixed;
import static io.trainwatch.trainer.model.ConfigFields.integer;
import static io.trainwatch.trainer.model.ConfigFields.number;
import static io.trainwatch.trainer.model.ConfigFields.oneOf;
import static io.trainwatch.trainer.model.ConfigFields.text;

/** Reads a run configuration's {@code dataset} (an object or a data set's name) into a {@link DatasetSpec}. */
final class DatasetSpecParser {

    static final Set<String> DATASET_FIELDS = Set.of("type", "classes", "samples", "noise", "features", "path",
            "labelColumn", "validationFraction", "trainSubset", "shape", "labels");
    /** The most examples a generated data set may have (a guard against a request that eats the heap). */
    static final int MAX_SAMPLES = 200_000;

    private DatasetSpecParser() {
    }

    /** The data set of a run: spirals (3 classes, 900 examples) when absent. */
    static DatasetSpec dataset(Object value) {
        if (value == null) {
            return new DatasetSpec(DatasetSpec.SPIRALS, 3, 900, 0.2, 2, null, null, 0.2, null);
        }
        if (value instanceof String s) {
            return dataset(Map.of("type", s));
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new InvalidConfigException("dataset", "must be an object or a data set name");
        }
        Map<String, Object> d = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!DATASET_FIELDS.contains(key)) {
                throw new InvalidConfigException("dataset." + key, "unknown field (known: "
                        + new TreeSet<>(DATASET_FIELDS) + ")");
            }
            d.put("dataset." + key, e.getValue());
        }
        String type = oneOf(d, "dataset.type", null, DatasetSpec.TYPES);
        boolean twoClass = type.equals(DatasetSpec.MOONS) || type.equals(DatasetSpec.XOR);
        boolean images = type.equals(DatasetSpec.IMAGES);
        boolean file = type.equals(DatasetSpec.CSV) || type.equals(DatasetSpec.NPY);
        int classes = switch (type) {
            case DatasetSpec.IRIS -> 3;
            case DatasetSpec.CSV, DatasetSpec.NPY -> 0; // read from the file
            default -> twoClass ? fixed(d, "dataset.classes", 2) : integer(d, "dataset.classes",
                    type.equals(DatasetSpec.BLOBS) ? 5 : images ? 4 : 3, 2, 100);
        };
        int samples = integer(d, "dataset.samples", type.equals(DatasetSpec.BLOBS) ? 2000 : images ? 1000 : 900, 10,
                MAX_SAMPLES);
        double noise = number(d, "dataset.noise", type.equals(DatasetSpec.BLOBS) ? 1.0 : images ? 0.3 : 0.2, 0, 100);
        int features = type.equals(DatasetSpec.BLOBS) ? integer(d, "dataset.features", 20, 1, 10_000)
                : type.equals(DatasetSpec.IRIS) ? 4 : 2;
        if (!type.equals(DatasetSpec.BLOBS) && d.get("dataset.features") != null) {
            throw new InvalidConfigException("dataset.features", "only applies to blobs");
        }
        List<Integer> shape = null;
        if (images) {
            shape = shape(d.get("dataset.shape"), true);
            features = shape.get(0) * shape.get(1) * shape.get(2);
            if ((long) samples * features > TensorData.MAX_VALUES) {
                throw new InvalidConfigException("dataset.samples", samples + " images of " + shape + " are "
                        + (long) samples * features + " values, more than " + TensorData.MAX_VALUES);
            }
        } else if (type.equals(DatasetSpec.CSV) && d.get("dataset.shape") != null) {
            shape = shape(d.get("dataset.shape"), false);
        } else if (d.get("dataset.shape") != null) {
            throw new InvalidConfigException("dataset.shape", "only applies to images and csv (an npy file has its own)");
        }
        String path = null;
        String labelColumn = null;
        String labels = null;
        if (file) {
            path = text(d, "dataset.path");
        } else if (d.get("dataset.path") != null) {
            throw new InvalidConfigException("dataset.path", "only applies to csv and npy");
        }
        if (type.equals(DatasetSpec.CSV)) {
            labelColumn = d.get("dataset.labelColumn") == null ? null : String.valueOf(d.get("dataset.labelColumn"));
        }
        if (type.equals(DatasetSpec.NPY)) {
            labels = text(d, "dataset.labels");
        } else if (d.get("dataset.labels") != null) {
            throw new InvalidConfigException("dataset.labels", "only applies to npy");
        }
        double validation = number(d, "dataset.validationFraction", 0.2, 0.01, 0.9);
        Integer subset = d.get("dataset.trainSubset") == null ? null
                : integer(d, "dataset.trainSubset", 0, 2, MAX_SAMPLES);
        return new DatasetSpec(type, classes, samples, noise, features, path, labelColumn, validation, subset, shape,
                labels);
    }

    /**
     * {@code dataset.shape}: {@code [height, width, channels]} of synthetic images (default [28, 28, 1]; sides 4 to
     * 256, 1 to 4 channels), or 1 to 3 positive dimensions of a csv row.
     */
    private static List<Integer> shape(Object value, boolean image) {
        if (value == null) {
            return List.of(28, 28, 1);
        }
        if (!(value instanceof List<?> list) || list.isEmpty() || list.size() > 3 || (image && list.size() != 3)) {
            throw new InvalidConfigException("dataset.shape", image
                    ? "must be [height, width, channels], e.g. [28, 28, 1] or [32, 32, 3]"
                    : "must be a list of 1 to 3 dimensions: [features], [timeSteps, features] or [height, width, channels]");
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            int max = image ? (i == 2 ? 4 : 256) : 1_000_000;
            int min = image && i < 2 ? 4 : 1;
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < min
                    || n.intValue() > max) {
                throw new InvalidConfigException("dataset.shape[" + i + "]", "must be a whole number in [" + min + ", "
                        + max + "], was " + v);
            }
            dims.add(n.intValue());
        }
        return dims;
    }
}
