package io.trainwatch.trainer.data;

import io.trainwatch.trainer.model.DatasetSpec;
import io.trainwatch.trainer.model.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetsTest {

    private static DatasetSpec spec(String type, int classes, int samples) {
        return new DatasetSpec(type, classes, samples, 0.1, 20, null, null, 0.2, null);
    }

    @Test
    void irisComesFromTheBundledFileWithNoDownload() {
        Examples iris = Datasets.iris();
        assertThat(iris.size()).isEqualTo(150);
        assertThat(iris.numFeatures()).isEqualTo(4);
        assertThat(Arrays.stream(iris.y()).distinct().sorted().toArray()).containsExactly(0, 1, 2);
        String dir = System.getProperty(Datasets.RESOURCES_DIR_PROPERTY);
        if (dir != null) {
            assertThat(Path.of(dir, "data", "iris", "iris.dat")).exists();
        }
    }

    @Test
    void generatorsAreSeededAndBalanced() {
        for (String type : List.of("spirals", "blobs", "moons", "xor")) {
            PreparedData a = Datasets.prepare(spec(type, 3, 300), 7);
            PreparedData b = Datasets.prepare(spec(type, 3, 300), 7);
            PreparedData c = Datasets.prepare(spec(type, 3, 300), 8);
            assertThat(a.train().x()).as(type).isDeepEqualTo(b.train().x());
            assertThat(a.train().x()).as(type).isNotEqualTo(c.train().x());
            assertThat(a.train().size() + a.validation().size()).isEqualTo(300);
            assertThat(a.validation().size()).isEqualTo(60);
        }
        assertThat(Datasets.prepare(spec("moons", 2, 100), 1).numClasses()).isEqualTo(2);
        assertThat(Datasets.prepare(spec("blobs", 5, 100), 1).numFeatures()).isEqualTo(20);
    }

    @Test
    void trainingFeaturesAreStandardised() {
        Examples train = Datasets.prepare(spec("blobs", 5, 1000), 3).train();
        double mean = 0;
        double sq = 0;
        for (float[] row : train.x()) {
            mean += row[0];
            sq += row[0] * row[0];
        }
        mean /= train.size();
        assertThat(mean).isCloseTo(0, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(sq / train.size()).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-3));
    }

    @Test
    void aTrainSubsetKeepsValidationWhole() {
        PreparedData d = Datasets.prepare(new DatasetSpec("blobs", 5, 2000, 3.0, 20, null, null, 0.2, 64), 1);
        assertThat(d.train().size()).isEqualTo(64);
        assertThat(d.validation().size()).isEqualTo(400);
    }

    @Test
    void csvWithHeaderAndTextLabels(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("d.csv");
        Files.writeString(file, "a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n");
        Examples e = CsvData.read(file, "kind");
        assertThat(e.size()).isEqualTo(4);
        assertThat(e.numClasses()).isEqualTo(2);
        assertThat(e.y()).containsExactly(0, 1, 0, 1);
        assertThat(e.x()[1]).containsExactly(3f, 4f);
        Path noHeader = dir.resolve("n.csv");
        Files.writeString(noHeader, "1,0.5,2\n0,1.5,3\n1,2.5,4\n");
        Examples byIndex = CsvData.read(noHeader, "0");
        assertThat(byIndex.numFeatures()).isEqualTo(2);
        assertThat(byIndex.y()).containsExactly(1, 0, 1);
        assertThat(byIndex.x()[0]).containsExactly(0.5f, 2f);
    }

    @Test
    void csvErrorsNameTheProblem(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "1,2,0\n3,x,1\n5,6,0\n");
        assertThatThrownBy(() -> CsvData.read(bad, null)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("line 2");
        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "1,2,0\n3,1\n");
        assertThatThrownBy(() -> CsvData.read(ragged, null)).hasMessageContaining("columns");
        Path nan = dir.resolve("nan.csv");
        Files.writeString(nan, "1,NaN,0\n3,4,1\n");
        assertThatThrownBy(() -> CsvData.read(nan, null)).hasMessageContaining("finite");
        Path one = dir.resolve("one.csv");
        Files.writeString(one, "1,2,0\n3,4,0\n");
        assertThatThrownBy(() -> CsvData.read(one, null)).hasMessageContaining("2 classes");
        assertThatThrownBy(() -> CsvData.read(dir.resolve("missing.csv"), null))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> CsvData.read(bad, "nope")).hasMessageContaining("no column");
    }

    @Test
    void syntheticImagesAreSeededChannelFirstAndLearnableByPosition() {
        DatasetSpec spec = new DatasetSpec("images", 4, 200, 0.3, 0, null, null, 0.2, null, List.of(28, 28, 1), null);
        PreparedData a = Datasets.prepare(spec, 5);
        PreparedData b = Datasets.prepare(spec, 5);
        PreparedData c = Datasets.prepare(spec, 6);
        assertThat(a.train().x()).isDeepEqualTo(b.train().x());
        assertThat(a.train().x()[0]).isNotEqualTo(c.train().x()[0]);
        assertThat(a.exampleShape()).containsExactly(1, 28, 28);
        assertThat(a.numFeatures()).isEqualTo(784);
        assertThat(a.numClasses()).isEqualTo(4);
        assertThat(a.train().size() + a.validation().size()).isEqualTo(200);
        // Colour images: three channels, each class with its own colour; the blob is brightest near its centre.
        Examples colour = SyntheticImages.blobs(32, 32, 3, 3, 30, 0.0, 1);
        assertThat(colour.shape()).containsExactly(3, 32, 32);
        assertThat(colour.x()[0]).hasSize(3 * 32 * 32);
        // class 0 sits right of the centre (angle 0): its brightest pixel is in the right half
        int best = 0;
        for (int p = 0; p < 32 * 32; p++) {
            if (colour.x()[0][p] > colour.x()[0][best]) {
                best = p;
            }
        }
        assertThat(best % 32).isGreaterThan(16);
    }

    @Test
    void csvWithADeclaredShapeBecomesTensors(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("seq.csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            // 3 time steps x 2 features, row-major [T, F]: t0f0, t0f1, t1f0, t1f1, t2f0, t2f1, label
            sb.append(i).append(',').append(i + 0.5).append(",1,2,3,4,").append(i % 2).append('\n');
        }
        Files.writeString(file, sb.toString());
        DatasetSpec spec = new DatasetSpec("csv", 0, 0, 0, 0, file.toString(), null, 0.2, null, List.of(3, 2), null);
        PreparedData d = Datasets.prepare(spec, 1);
        assertThat(d.exampleShape()).containsExactly(2, 3);
        Examples raw = TensorData.reshape(CsvData.read(file, null), new int[]{3, 2});
        assertThat(raw.x()[4]).containsExactly(4f, 1f, 3f, 4.5f, 2f, 4f);
        DatasetSpec wrong = new DatasetSpec("csv", 0, 0, 0, 0, file.toString(), null, 0.2, null, List.of(4, 2), null);
        assertThatThrownBy(() -> Datasets.prepare(wrong, 1)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("dataset.shape: [4, 2] holds 8 values but each row has 6 features");
    }
}
