package io.trainwatch.tuner.preflight;

import java.util.List;

/**
 * Chooses the search's learning-rate range from a range test's points [rate, smoothed loss] (rates rising):
 * <ul>
 *   <li>the minimum: the rate where the smoothed loss is lowest (past it the loss rises: Smith 2017, section 3.3,
 *   "the maximum bound is where the loss stops falling");</li>
 *   <li>the steepest descent: the most negative slope of the smoothed loss against log10(rate), by central
 *   differences, at rates up to the minimum (fastai {@code lr_find}'s "steep" suggestion);</li>
 *   <li>the range: {@code [steepest / 10, min(steepest x 10, minimum / 3)]}, never below the ramp's first rate
 *   nor under the steepest rate: a decade either side of the steepest descent (CS231n samples rates
 *   log-uniformly over decades), capped a factor 3 below the minimum (Smith 2017: bounds 3-4x apart, "the
 *   loss at the minimum is about to blow up"; fastai's other suggestion, minimum / 10, is within the range
 *   whenever the steepest point is above it).</li>
 * </ul>
 * No range when there are fewer than {@link #MIN_POINTS} points, or when the smoothed loss never fell by
 * {@link #MIN_DROP} of its first value (no rate of the ramp trains the model).
 */
public final class RangePicker {

    public static final int MIN_POINTS = 5;
    /** The smoothed loss must fall by at least 10 % of its first value (ours) for a range to mean anything. */
    public static final double MIN_DROP = 0.10;
    /** A decade either side of the steepest descent. */
    public static final double AROUND_STEEPEST = 10;
    /** The upper bound stays a factor 3 below the minimum's rate (Smith 2017's 3-4x). */
    public static final double BELOW_MINIMUM = 3;

    /** A chosen range (null when none), the steepest rate (null when unknown) and a sentence. */
    public record Choice(double[] range, Double steepestRate, Double minLossRate, String detail) {
    }

    private RangePicker() {
    }

    public static Choice pick(List<double[]> points, Double minLossRateSeen) {
        int n = points == null ? 0 : points.size();
        if (n < MIN_POINTS) {
            return new Choice(null, null, minLossRateSeen, "too few points (" + n + ") to read the curve");
        }
        int iMin = 0;
        for (int i = 1; i < n; i++) {
            if (points.get(i)[1] < points.get(iMin)[1]) {
                iMin = i;
            }
        }
        double first = points.get(0)[1];
        double min = points.get(iMin)[1];
        double minRate = points.get(iMin)[0];
        if (!(first - min >= MIN_DROP * Math.abs(first))) {
            return new Choice(null, null, minRate, "the smoothed loss never fell by " + Math.round(MIN_DROP * 100)
                    + " % (from " + fmt(first) + " to at best " + fmt(min) + " at rate " + fmt(minRate)
                    + "): no rate of the ramp trains this model");
        }
        int iSteep = -1;
        double steepest = 0;
        for (int i = 1; i <= Math.min(iMin, n - 2); i++) {
            double dx = Math.log10(points.get(i + 1)[0]) - Math.log10(points.get(i - 1)[0]);
            if (!(dx > 0)) {
                continue;
            }
            double slope = (points.get(i + 1)[1] - points.get(i - 1)[1]) / dx;
            if (slope < steepest) {
                steepest = slope;
                iSteep = i;
            }
        }
        if (iSteep < 0) {
            // The minimum is at the first or last points: take the one-sided slope before the minimum.
            iSteep = Math.max(1, Math.min(iMin, n - 1));
        }
        double s = points.get(iSteep)[0];
        double lo = Math.max(s / AROUND_STEEPEST, points.get(0)[0]);
        double hi = Math.max(s, Math.min(s * AROUND_STEEPEST, minRate / BELOW_MINIMUM));
        if (!(hi > lo)) {
            hi = lo * AROUND_STEEPEST;
        }
        return new Choice(new double[]{lo, hi}, s, minRate, "steepest descent at rate " + fmt(s) + " (slope "
                + fmt(steepest) + " per decade), minimum smoothed loss " + fmt(min) + " at rate " + fmt(minRate)
                + ": range [" + fmt(lo) + ", " + fmt(hi) + "]");
    }

    private static String fmt(double v) {
        return io.trainwatch.tuner.search.Ranges.fmt(v);
    }
}
