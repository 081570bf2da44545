package io.trainwatch.monitor.engine;

import io.trainwatch.events.DetectorName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The state codec keys per-detector data by {@link DetectorName#code()}: bytes of layout version 1 (by position)
 * still restore, version 2 round-trips, and a detector code it does not know is skipped.
 */
class RunStateCodecTest {

    /** Bytes after the per-detector block: the fields appended to the layout after it. */
    private static final int AFTER_DETECTORS = Long.BYTES + 3 * Double.BYTES + 1 + Integer.BYTES + Long.BYTES
            + RunMonitorTest.LATER_BYTES;
    private static final int PAIR = 1 + Long.BYTES + 1 + 1;

    @Test
    void bytesOfVersion1RestoreToTheSameState() throws Exception {
        RunState source = filled();
        byte[] v1 = RunStateVersion1Writer.write(source);
        assertThat(v1[0]).isEqualTo((byte) 1);
        RunState back = RunStateCodec.read(v1);
        assertThat(back).isNotNull();
        assertSame(back, source);
    }

    @Test
    void version2RoundTripsAndIsKeyedByCode() throws Exception {
        RunState source = filled();
        byte[] v2 = RunStateCodec.write(source);
        assertThat(v2[0]).isEqualTo(RunStateCodec.VERSION).isEqualTo((byte) 2);
        assertSame(RunStateCodec.read(v2), source);
        int block = v2.length - AFTER_DETECTORS - 1 - DetectorName.values().length * PAIR;
        assertThat(v2[block]).isEqualTo((byte) DetectorName.values().length);
        for (int k = 0; k < DetectorName.values().length; k++) {
            assertThat(DetectorName.fromCode(v2[block + 1 + k * PAIR])).isPresent();
        }
    }

    @Test
    void anUnknownDetectorCodeIsSkippedAndAMissingDetectorHasNoEpisode() throws Exception {
        RunState source = filled();
        byte[] v2 = RunStateCodec.write(source);
        int block = v2.length - AFTER_DETECTORS - 1 - DetectorName.values().length * PAIR;
        byte[] pairs = Arrays.copyOfRange(v2, block + 1, block + 1 + DetectorName.values().length * PAIR);
        // A detector from a later version (code 200) first, and the last known detector left out.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(v2, 0, block);
        out.write(DetectorName.values().length);
        out.write(new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0, 42, 2, 1});
        out.write(pairs, 0, pairs.length - PAIR);
        out.write(v2, v2.length - AFTER_DETECTORS, AFTER_DETECTORS);
        RunState back = RunStateCodec.read(out.toByteArray());
        assertThat(back).isNotNull();
        DetectorName missing = DetectorName.fromCode(pairs[pairs.length - PAIR]).orElseThrow();
        int m = RunState.index(missing);
        assertThat(back.episodeStart[m]).isEqualTo(-1);
        assertThat(back.active(m)).isFalse();
        for (DetectorName d : DetectorName.values()) {
            int i = RunState.index(d);
            if (d != missing) {
                assertThat(back.episodeStart[i]).as(d.id()).isEqualTo(source.episodeStart[i]);
                assertThat(back.episodeSeverity[i]).as(d.id()).isEqualTo(source.episodeSeverity[i]);
                assertThat(back.active(i)).as(d.id()).isEqualTo(source.active(i));
            }
        }
        assertThat(back.l2).isEqualTo(source.l2); // the fields after the block are read where they are
    }

    /** Every persisted field of {@code back} equals {@code source}'s, per-detector data included. */
    private static void assertSame(RunState back, RunState source) {
        assertThat(back.activeMask).isEqualTo(source.activeMask);
        assertThat(back.episodeStart).containsExactly(source.episodeStart);
        assertThat(back.episodeSeverity).containsExactly(source.episodeSeverity);
        assertThat(RunStateCodec.write(back)).isEqualTo(RunStateCodec.write(source));
        assertThat(RunStateVersion1Writer.write(back)).isEqualTo(RunStateVersion1Writer.write(source));
    }

    /** A state whose every field holds a distinct value; some detectors active, with distinct episodes. */
    private static RunState filled() throws Exception {
        RunState s = new RunState("run-a");
        int n = 1;
        for (Field f : RunState.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            Class<?> t = f.getType();
            n++;
            if (t == double.class) {
                f.setDouble(s, n + 0.25);
            } else if (t == long.class) {
                f.setLong(s, 1000L + n);
            } else if (t == int.class) {
                f.setInt(s, 100 + n);
            } else if (t == byte.class) {
                f.setByte(s, (byte) n);
            } else if (t == boolean.class) {
                f.setBoolean(s, true);
            } else if (t == String.class && !f.getName().equals("runId")) {
                f.set(s, "s" + n);
            } else if (t == float[].class) {
                float[] a = (float[]) f.get(s);
                for (int i = 0; i < a.length; i++) {
                    a[i] = n + i;
                }
            }
        }
        s.activeMask = 0;
        for (DetectorName d : DetectorName.values()) {
            int i = RunState.index(d);
            s.episodeStart[i] = 500L + 10 * d.code();
            s.episodeSeverity[i] = (byte) (d.code() % 3);
            s.setActive(i, d.code() % 2 == 1);
        }
        return s;
    }
}
