package io.trainwatch.tuner.preflight;

import java.util.ArrayList;
import java.util.List;

/**
 * Step 3 of CS231n's tuning procedure (find the learning-rate range), the range test (Smith 2017,
 * section 3.3; fastai {@code lr_find}): the rate ramps geometrically, {@code lr_t = from * (to/from)^(t/(steps-1))}; each step's loss enters an exponential
 * moving average with bias correction ({@code avg = b*avg + (1-b)*loss}, {@code smoothed = avg / (1 - b^n)});
 * the test ends (and its trial is stopped) once the smoothed loss exceeds {@code divergeFactor} times its
 * minimum or is not finite, or when the ramp ends. The points [rate, smoothed loss] are kept, decimated to at
 * most {@link #MAX_POINTS}, and {@link RangePicker} chooses the search range from them.
 */
public final class RangeTestStep extends PreflightState.Step {

    /** Points kept for the plot (and the pick): when full, every other one is dropped and the stride doubles. */
    public static final int MAX_POINTS = 200;

    /** What one step did to the test. */
    public enum Outcome { IGNORED, CONTINUE, DIVERGED, RAMP_DONE }

    public double from = PreflightSpec.DEFAULT_FROM;
    public double to = PreflightSpec.DEFAULT_TO;
    public double smoothing = PreflightSpec.DEFAULT_SMOOTHING;
    public double divergeFactor = PreflightSpec.DEFAULT_DIVERGE_FACTOR;
    /** Losses averaged so far (the exponent of the bias correction). */
    public long n;
    public double avg;
    public Double minLoss;
    public Double minLossRate;
    public Double lastRate;
    public Double lastSmoothed;
    /** Points received (finite ones) and the decimation stride. */
    public long received;
    public long stride = 1;
    public List<double[]> points = new ArrayList<>();
    public double[] range;
    public Double steepestRate;
    /** Why the ramp ended: diverged (expected), ramp done, or the trial's end. */
    public String ended;

    @Override
    public int number() {
        return 3;
    }

    @Override
    public String name() {
        return PreflightState.LR_RANGE_TEST;
    }

    /** The rate of the ramp at {@code step} (then held at {@code to}). */
    public double rateAt(long step) {
        if (maxSteps <= 1) {
            return to;
        }
        double t = Math.min(1.0, Math.max(0, step) / (double) (maxSteps - 1));
        return from * Math.pow(to / from, t);
    }

    /**
     * Takes a step's loss at the rate the trainer reports (or the ramp's rate when it reports none). Repeated
     * and older steps are ignored; a gap just averages fewer losses.
     */
    public Outcome onStep(long step, Double rate, double loss) {
        if (!isRunning() || step <= lastStep || step < 0) {
            return Outcome.IGNORED;
        }
        lastStep = step;
        double r = rate != null && Double.isFinite(rate) && rate > 0 ? rate : rateAt(step);
        lastRate = r;
        if (!Double.isFinite(loss)) {
            lastSmoothed = null;
            ended = "the loss was not finite at rate " + fmt(r) + " (step " + step + ")";
            return Outcome.DIVERGED;
        }
        n++;
        avg = smoothing * avg + (1 - smoothing) * loss;
        double smoothed = avg / (1 - Math.pow(smoothing, n));
        if (!Double.isFinite(smoothed)) {
            lastSmoothed = null;
            ended = "the smoothed loss overflowed at rate " + fmt(r) + " (step " + step + ")";
            return Outcome.DIVERGED;
        }
        lastSmoothed = smoothed;
        if (minLoss == null || smoothed < minLoss) {
            minLoss = smoothed;
            minLossRate = r;
        }
        add(r, smoothed);
        if (smoothed > divergeFactor * minLoss) {
            ended = "the smoothed loss " + fmt(smoothed) + " exceeded " + PreflightState.factor(divergeFactor) + "x its minimum "
                    + fmt(minLoss) + " at rate " + fmt(r) + " (step " + step + ")";
            return Outcome.DIVERGED;
        }
        if (step + 1 >= maxSteps) {
            ended = "the ramp reached " + fmt(to) + " without diverging";
            return Outcome.RAMP_DONE;
        }
        return Outcome.CONTINUE;
    }

    private void add(double rate, double smoothed) {
        if (received++ % stride != 0) {
            return;
        }
        if (points.size() >= MAX_POINTS) {
            List<double[]> kept = new ArrayList<>(MAX_POINTS / 2 + 1);
            for (int i = 0; i < points.size(); i += 2) {
                kept.add(points.get(i));
            }
            points = kept;
            stride *= 2;
            if ((received - 1) % stride != 0) {
                return;
            }
        }
        points.add(new double[]{rate, smoothed});
    }

    /** Ends the test: picks the range from the points (passed) or says why none can be chosen (failed). */
    public void conclude(String why) {
        if (!isRunning()) {
            return;
        }
        if (ended == null) {
            ended = why;
        }
        RangePicker.Choice c = RangePicker.pick(points, minLossRate);
        steepestRate = c.steepestRate();
        if (c.range() == null) {
            end(PreflightState.FAILED, c.detail() + "; " + ended + "; the requested learning-rate range is kept");
            return;
        }
        range = c.range();
        end(PreflightState.PASSED, c.detail() + "; " + ended);
    }

    static String fmt(double v) {
        return io.trainwatch.tuner.search.Ranges.fmt(v);
    }
}
