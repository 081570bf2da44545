package io.trainwatch.monitor.live;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SeriesTest {

    @Test
    void keepsEveryPointUntilHalfFullThenDecimatesUniformly() {
        Series s = new Series(100);
        for (int i = 0; i < 50; i++) {
            assertThat(s.add(i, i)).isTrue();
        }
        assertThat(s.size()).isEqualTo(50);
        assertThat(s.width()).isEqualTo(1);
        assertThat(s.steps()).startsWith(0, 1, 2).endsWith(48, 49);
        for (int i = 50; i < 10_000; i++) {
            s.add(i, Math.sin(i / 50.0));
            assertThat(s.size()).isLessThanOrEqualTo(100);
        }
        assertThat(s.size()).isBetween(50, 100);
        assertThat(Long.bitCount(s.width())).as("width is a power of two").isEqualTo(1);
        long[] steps = s.steps();
        for (int i = 1; i < steps.length; i++) {
            assertThat(steps[i]).isGreaterThan(steps[i - 1]);
        }
        assertThat(steps[0]).isLessThan(s.width());
        assertThat(steps[steps.length - 1]).isGreaterThan(10_000 - 2 * s.width());
        assertThat(s.lastStep()).isEqualTo(9_999);
    }

    @Test
    void aSpikeANaNAndMinusInfinitySurviveAnyDecimation() {
        Series s = new Series(40);
        for (int i = 0; i < 20_000; i++) {
            double v = i == 7_777 ? 1000 : i == 5_000 ? Double.NaN : i == 12_345 ? Double.NEGATIVE_INFINITY : 1.0 + (i % 7) * 1e-3;
            s.add(i, v);
        }
        assertThat(s.size()).isLessThanOrEqualTo(40);
        long[] steps = s.steps();
        float[] values = s.values();
        boolean spike = false;
        boolean nan = false;
        boolean minusInf = false;
        for (int i = 0; i < steps.length; i++) {
            spike |= steps[i] == 7_777 && values[i] == 1000f;
            nan |= steps[i] == 5_000 && Float.isNaN(values[i]);
            minusInf |= steps[i] == 12_345 && values[i] == Float.NEGATIVE_INFINITY;
        }
        assertThat(spike).as("the spike at 7777").isTrue();
        assertThat(nan).as("the NaN at 5000").isTrue();
        assertThat(minusInf).as("-Infinity at 12345").isTrue();
    }

    @Test
    void duplicateOlderAndNegativeStepsAreRefused() {
        Series s = new Series(10);
        assertThat(s.add(5, 1)).isTrue();
        assertThat(s.add(5, 2)).isFalse();
        assertThat(s.add(3, 2)).isFalse();
        assertThat(s.add(-1, 2)).isFalse();
        assertThat(s.size()).isEqualTo(1);
        assertThat(s.values()).containsExactly(1f);
        assertThat(s.add(6, 3)).isTrue();
        assertThat(s.steps()).containsExactly(5, 6);
    }

    @Test
    void sparseAndHugeStepsStayBounded() {
        Series sparse = new Series(4);
        for (long i = 0; i < 100; i++) {
            sparse.add(i * 100 + 99, i);
            assertThat(sparse.size()).isLessThanOrEqualTo(4);
        }
        assertThat(sparse.steps()).contains(9_999L);
        Series huge = new Series(4);
        huge.add(0, 1);
        huge.add(Long.MAX_VALUE / 3, 2);
        huge.add(Long.MAX_VALUE / 2, 3);
        huge.add(Long.MAX_VALUE - 1, 4);
        huge.add(Long.MAX_VALUE, 5);
        assertThat(huge.size()).isBetween(1, 4);
        assertThat(huge.lastStep()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aFlatBucketKeepsItsFirstAndLastStep() {
        Series s = new Series(4);
        for (int i = 0; i < 16; i++) {
            s.add(i, 2.0);
        }
        assertThat(s.steps()).contains(15L);
        assertThat(s.values()).containsOnly(2f);
    }

    @Test
    void memoryIsTwelveBytesAPointAtMost() {
        Series s = new Series(1000);
        assertThat(s.bytes()).isLessThan(600);
        for (int i = 0; i < 1_000_000; i++) {
            s.add(i, i);
        }
        assertThat(s.size()).isLessThanOrEqualTo(1000);
        assertThat(s.bytes()).isLessThanOrEqualTo(12L * 1002 + 200);
    }
}
