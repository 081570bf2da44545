package io.trainwatch.monitor.live;

import java.util.Arrays;

/**
 * One bounded, decimated time series of a run (step, value), for the live charts. Points fall into
 * buckets of {@code width} consecutive steps; a bucket keeps its minimum and its maximum (at most two
 * points), so a spike or a NaN survives any decimation. When there would be more than {@code maxPoints / 2}
 * buckets the width doubles and neighbouring buckets merge: memory stays at most {@code maxPoints} points
 * (12 bytes each) and the resolution stays uniform over the whole run. Steps must increase: a duplicate or
 * an older step is refused. Values are floats (7 digits are plenty for a chart); NaN and infinities are kept.
 * Not thread-safe: the {@link LiveStore} guards it.
 */
public final class Series {

    private final int maxBuckets;
    private long[] steps;
    private float[] values;
    private int n;
    private long width = 1;
    private int buckets;
    private long lastKey = -1;
    private int lastStart;
    private long lastStep = -1;

    public Series(int maxPoints) {
        int cap = Math.max(4, maxPoints & ~1);
        this.maxBuckets = cap / 2;
        int initial = Math.min(cap, 32);
        this.steps = new long[initial];
        this.values = new float[initial];
    }

    /** Adds a point; false (and nothing changes) when {@code step} is not after the last step added. */
    public boolean add(long step, double value) {
        if (step < 0 || step <= lastStep) {
            return false;
        }
        lastStep = step;
        float v = (float) value;
        long key = step / width;
        while (key != lastKey && buckets >= maxBuckets && width <= Long.MAX_VALUE / 2) {
            compact();
            key = step / width;
        }
        if (key == lastKey) {
            mergeIntoLast(step, v);
        } else {
            ensure(n + 1);
            lastStart = n;
            steps[n] = step;
            values[n] = v;
            n++;
            buckets++;
            lastKey = key;
        }
        return true;
    }

    /** Points kept. */
    public int size() {
        return n;
    }

    /** Steps per bucket: 1 until the series first filled up. */
    public long width() {
        return width;
    }

    /** The last step added (kept or not), or -1. */
    public long lastStep() {
        return lastStep;
    }

    public long[] steps() {
        return Arrays.copyOf(steps, n);
    }

    public float[] values() {
        return Arrays.copyOf(values, n);
    }

    /** The heap this series holds: its two arrays and the object itself (approximate, 64-bit JVM). */
    public long bytes() {
        return 16L + 8L * steps.length + 16L + 4L * values.length + 16L + 48L;
    }

    private void mergeIntoLast(long step, float v) {
        // Candidates: the bucket's one or two points and the new one, in step order.
        int count = n - lastStart;
        long[] cs = new long[count + 1];
        float[] cv = new float[count + 1];
        System.arraycopy(steps, lastStart, cs, 0, count);
        System.arraycopy(values, lastStart, cv, 0, count);
        cs[count] = step;
        cv[count] = v;
        n = lastStart;
        writeMinMax(cs, cv, 0, count + 1);
    }

    /** Doubles the bucket width and merges neighbouring buckets in place. */
    private void compact() {
        width *= 2;
        long[] s = Arrays.copyOf(steps, n);
        float[] v = Arrays.copyOf(values, n);
        int read = 0;
        n = 0;
        buckets = 0;
        while (read < s.length) {
            long key = s[read] / width;
            int end = read;
            while (end < s.length && s[end] / width == key) {
                end++;
            }
            lastStart = n;
            writeMinMax(s, v, read, end);
            buckets++;
            lastKey = key;
            read = end;
        }
    }

    /** Appends the minimum and the maximum of {@code [from, to)} in step order (one point when they coincide). */
    private void writeMinMax(long[] s, float[] v, int from, int to) {
        int min = from;
        int max = from;
        for (int i = from + 1; i < to; i++) {
            if (Float.compare(v[i], v[min]) < 0) {
                min = i;
            }
            if (Float.compare(v[i], v[max]) >= 0) {
                max = i; // ties: the later point, so a flat bucket keeps its first and last step
            }
        }
        ensure(n + 2);
        int first = Math.min(min, max);
        int second = Math.max(min, max);
        steps[n] = s[first];
        values[n] = v[first];
        n++;
        if (second != first) {
            steps[n] = s[second];
            values[n] = v[second];
            n++;
        }
    }

    private void ensure(int size) {
        if (size > steps.length) {
            int grown = Math.max(size, Math.min(steps.length * 2, maxBuckets * 2 + 2));
            steps = Arrays.copyOf(steps, grown);
            values = Arrays.copyOf(values, grown);
        }
    }
}
