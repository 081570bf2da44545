package io.trainwatch.trainer.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyReaderTest {

    /** A .npy file written per the format: magic, version, little-endian header length, dict padded to 64, data. */
    static byte[] npy(int major, String descr, String shape, boolean fortran, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': ("
                + shape + "), }";
        int prefix = major == 1 ? 10 : 12;
        int total = prefix + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        int len = header.length();
        if (major == 1) {
            out.writeBytes(new byte[]{(byte) len, (byte) (len >> 8)});
        } else {
            out.writeBytes(new byte[]{(byte) len, (byte) (len >> 8), (byte) (len >> 16), (byte) (len >> 24)});
        }
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] le(int size, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (size) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong((long) v);
            }
        }
        return b.array();
    }

    @Test
    void readsFloat32AndFloat64InCOrder() {
        ByteBuffer f4 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[]{0.5f, -1f, 2f, 3.25f, 1e-3f, 7f}) {
            f4.putFloat(v);
        }
        NpyReader.NpyArray a = NpyReader.parse(npy(1, "<f4", "2, 3", false, f4.array()));
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.dtype()).isEqualTo("f4");
        assertThat(a.values()).containsExactly(0.5, -1, 2, 3.25, (double) 1e-3f, 7);

        ByteBuffer f8 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(Math.PI).putDouble(-1e300);
        NpyReader.NpyArray b = NpyReader.parse(npy(2, "<f8", "2,", false, f8.array()));
        assertThat(b.shape()).containsExactly(2);
        assertThat(b.values()).containsExactly(Math.PI, -1e300);
    }

    @Test
    void readsSignedUnsignedAndBoolIntegers() {
        assertThat(NpyReader.parse(npy(1, "<i8", "3,", false, le(8, -5, 0, 1L << 40))).values())
                .containsExactly(-5, 0, (double) (1L << 40));
        assertThat(NpyReader.parse(npy(1, "<i4", "2,", false, le(4, -7, 9))).values()).containsExactly(-7, 9);
        assertThat(NpyReader.parse(npy(1, "<i2", "2,", false, le(2, -300, 300))).values()).containsExactly(-300, 300);
        assertThat(NpyReader.parse(npy(1, "|i1", "2,", false, le(1, -1, 5))).values()).containsExactly(-1, 5);
        assertThat(NpyReader.parse(npy(1, "|u1", "2,", false, new byte[]{(byte) 255, 3})).values()).containsExactly(255, 3);
        assertThat(NpyReader.parse(npy(3, "<u2", "1,", false, new byte[]{(byte) 0xFF, (byte) 0xFF})).values())
                .containsExactly(65535);
        assertThat(NpyReader.parse(npy(1, "|b1", "3,", false, new byte[]{1, 0, 1})).values()).containsExactly(1, 0, 1);
        NpyReader.NpyArray scalar = NpyReader.parse(npy(1, "<f8", "", false, le(8, 0)));
        assertThat(scalar.shape()).isEmpty();
        assertThat(scalar.size()).isEqualTo(1);
    }

    @Test
    void refusesWhatItCannotReadWithAReason() {
        assertThatThrownBy(() -> NpyReader.parse("not numpy at all".getBytes()))
                .hasMessageContaining("does not start with \\x93NUMPY");
        assertThatThrownBy(() -> NpyReader.parse(npy(1, "<f4", "2, 3", true, new byte[24])))
                .hasMessageContaining("fortran_order");
        assertThatThrownBy(() -> NpyReader.parse(npy(1, ">f4", "1,", false, new byte[4])))
                .hasMessageContaining("big-endian");
        assertThatThrownBy(() -> NpyReader.parse(npy(1, "<c16", "1,", false, new byte[16])))
                .hasMessageContaining("unsupported dtype '<c16'");
        assertThatThrownBy(() -> NpyReader.parse(npy(1, "<f4", "2, 3", false, new byte[20])))
                .hasMessageContaining("cut short");
        byte[] v9 = npy(1, "<f4", "1,", false, new byte[4]);
        v9[6] = 9;
        assertThatThrownBy(() -> NpyReader.parse(v9)).hasMessageContaining("version 9.0");
    }

    @Test
    void readsFilesWrittenByNumpy() throws Exception {
        Path dir = Path.of("src/test/resources/npy");
        NpyReader.NpyArray images = NpyReader.read(dir.resolve("images-f4.npy"));
        assertThat(images.shape()).containsExactly(6, 4, 3, 2);
        assertThat(images.dtype()).isEqualTo("f4");
        for (int i = 0; i < 144; i++) {
            assertThat(images.values()[i]).isEqualTo((double) (float) (i / 10.0f));
        }
        assertThat(NpyReader.read(dir.resolve("labels-i8.npy")).values()).containsExactly(0, 1, 2, 0, 1, 2);
        NpyReader.NpyArray seq = NpyReader.read(dir.resolve("seq-f8.npy"));
        assertThat(seq.shape()).containsExactly(6, 5, 2);
        assertThat(seq.values()[59]).isEqualTo(59.0);
        assertThat(NpyReader.read(dir.resolve("labels-u1.npy")).values()).containsExactly(1, 0, 1, 0, 1, 0);
        assertThatThrownBy(() -> NpyReader.read(dir.resolve("fortran.npy"))).hasMessageContaining("fortran_order");
        assertThat(NpyReader.readHeader(dir.resolve("images-f4.npy")).shape()).containsExactly(6, 4, 3, 2);
    }

    @Test
    void tensorDataPutsImagesChannelsFirstAndSequencesFeaturesFirst(@TempDir Path tmp) throws Exception {
        Path dir = Path.of("src/test/resources/npy");
        Examples images = TensorData.readNpy(dir.resolve("images-f4.npy"), dir.resolve("labels-i8.npy"));
        assertThat(images.shape()).containsExactly(2, 4, 3); // [C, H, W] from [H, W, C] = [4, 3, 2]
        assertThat(images.numClasses()).isEqualTo(3);
        // example 1, channel 1, row 2, column 0: NumPy x[1, 2, 0, 1] = (1*24 + 2*6 + 0*2 + 1) / 10
        assertThat(images.x()[1][(1 * 4 + 2) * 3]).isEqualTo(3.7f);
        Examples seq = TensorData.readNpy(dir.resolve("seq-f8.npy"), dir.resolve("labels-u1.npy"));
        assertThat(seq.shape()).containsExactly(2, 5); // [F, T] from [T, F] = [5, 2]
        // example 2, feature 1, time 3: NumPy x[2, 3, 1] = 2*10 + 3*2 + 1
        assertThat(seq.x()[2][5 + 3]).isEqualTo(27f);
        Path bad = tmp.resolve("labels.npy");
        Files.write(bad, npy(1, "<f8", "6,", false, le(8, 0, 1, 2, 0, 1, 2)).clone());
        Files.write(bad, npy(1, "<f4", "5,", false, new byte[20]));
        assertThatThrownBy(() -> TensorData.readNpy(dir.resolve("images-f4.npy"), bad))
                .hasMessage("dataset.labels: 5 labels for 6 examples");
    }
}
