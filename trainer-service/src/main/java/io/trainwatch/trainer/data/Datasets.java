package io.trainwatch.trainer.data;

import io.trainwatch.trainer.model.DatasetSpec;
import io.trainwatch.trainer.model.InvalidConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

/** Loads or generates a run's data with no download, splits it (seeded) and standardises it. */
public final class Datasets {

    /** Where DL4J keeps the bundled Iris file ({@code org.deeplearning4j.resources.directory}). */
    public static final String RESOURCES_DIR_PROPERTY = "org.deeplearning4j.resources.directory";

    private Datasets() {
    }

    /** The examples of a spec, split into training and validation with {@code seed}. */
    public static PreparedData prepare(DatasetSpec spec, long seed) {
        Examples all = switch (spec.type()) {
            case DatasetSpec.SPIRALS -> Synthetic.spirals(spec.classes(), spec.samples(), spec.noise(), seed);
            case DatasetSpec.BLOBS -> Synthetic.blobs(spec.classes(), spec.features(), spec.samples(), spec.noise(), seed);
            case DatasetSpec.MOONS -> Synthetic.moons(spec.samples(), spec.noise(), seed);
            case DatasetSpec.XOR -> Synthetic.xor(spec.samples(), spec.noise(), seed);
            case DatasetSpec.IRIS -> iris();
            case DatasetSpec.CSV -> spec.shape() == null ? CsvData.read(Path.of(spec.path()), spec.labelColumn())
                    : TensorData.reshape(CsvData.read(Path.of(spec.path()), spec.labelColumn()), ints(spec.shape()));
            case DatasetSpec.IMAGES -> SyntheticImages.blobs(spec.shape().get(0), spec.shape().get(1),
                    spec.shape().get(2), spec.classes(), spec.samples(), spec.noise(), seed);
            case DatasetSpec.NPY -> TensorData.readNpy(Path.of(spec.path()), Path.of(spec.labels()));
            default -> throw new InvalidConfigException("dataset.type", "unknown type " + spec.type());
        };
        return split(all, spec.validationFraction(), spec.trainSubset(), seed, spec.describe());
    }

    private static int[] ints(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A seeded shuffle-and-split; the training part optionally cut to {@code trainSubset}; features standardised. */
    public static PreparedData split(Examples all, double validationFraction, Integer trainSubset, long seed,
                                     String description) {
        int n = all.size();
        int[] order = permutation(n, new Random(seed ^ 0x5DEECE66DL));
        int nVal = Math.max(1, (int) Math.round(n * validationFraction));
        int nTrain = n - nVal;
        if (nTrain < 1) {
            throw new InvalidConfigException("dataset.validationFraction", "leaves no training examples out of " + n);
        }
        if (trainSubset != null) {
            nTrain = Math.min(nTrain, trainSubset);
        }
        int[] val = java.util.Arrays.copyOfRange(order, 0, nVal);
        int[] train = java.util.Arrays.copyOfRange(order, nVal, nVal + nTrain);
        Examples tr = all.select(train);
        Examples va = all.select(val);
        return new PreparedData(standardise(tr, tr), standardise(va, tr), description);
    }

    /** A random order of 0..n-1 (Fisher-Yates) drawn from {@code random}: the split's and the training's shuffles. */
    public static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** {@code data} scaled with the mean and standard deviation of {@code reference}, feature by feature. */
    static Examples standardise(Examples data, Examples reference) {
        int f = reference.numFeatures();
        double[] mean = new double[f];
        double[] sd = new double[f];
        for (float[] row : reference.x()) {
            for (int j = 0; j < f; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < f; j++) {
            mean[j] /= Math.max(1, reference.size());
        }
        for (float[] row : reference.x()) {
            for (int j = 0; j < f; j++) {
                sd[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
            }
        }
        for (int j = 0; j < f; j++) {
            sd[j] = Math.sqrt(sd[j] / Math.max(1, reference.size()));
            if (sd[j] < 1e-12) {
                sd[j] = 1;
            }
        }
        float[][] x = new float[data.size()][f];
        for (int i = 0; i < data.size(); i++) {
            for (int j = 0; j < f; j++) {
                x[i][j] = (float) ((data.x()[i][j] - mean[j]) / sd[j]);
            }
        }
        return new Examples(x, data.y(), data.numClasses(), data.shape());
    }

    /**
     * Iris (150 examples, 4 features, 3 classes) from the copy bundled inside the DL4J jar; also copies it to
     * {@code <resources dir>/data/iris/iris.dat}, where DL4J's own {@code IrisDataSetIterator} looks before it
     * would download it.
     */
    public static Examples iris() {
        byte[] bytes;
        try (InputStream in = Datasets.class.getClassLoader().getResourceAsStream("iris.dat")) {
            if (in == null) {
                throw new IllegalStateException("iris.dat is not on the class path (deeplearning4j-core)");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled iris.dat", e);
        }
        copyForDl4j(bytes);
        List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        float[][] x = new float[lines.size()][4];
        int[] y = new int[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",");
            for (int j = 0; j < 4; j++) {
                x[i][j] = Float.parseFloat(cells[j].trim());
            }
            y[i] = Integer.parseInt(cells[4].trim());
        }
        return new Examples(x, y, 3);
    }

    private static void copyForDl4j(byte[] bytes) {
        String dir = System.getProperty(RESOURCES_DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            return;
        }
        Path target = Path.of(dir, "data", "iris", "iris.dat");
        try {
            if (!Files.exists(target)) {
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), "iris", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            // Only DL4J's own iterator needs the copy; our loader has read the bytes already.
        }
    }
}
