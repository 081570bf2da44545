package io.trainwatch.tuner.study;

/**
 * What a study may spend: {@code trials} in all, at most {@code concurrentTrials} at once,
 * {@code stepsPerTrial} steps per trial of the first (coarse) round, {@code rounds} rounds of search
 * (the first random, the others refined), each refined round training {@code refineStepsFactor} times
 * longer than the one before (CS231n's tuning procedure: search coarse to fine, training longer at each stage;
 * the request's default is 1, so that the budget written, trials x stepsPerTrial, is the budget spent at most).
 */
public record StudyBudget(int trials, int concurrentTrials, long stepsPerTrial, int rounds, double refineStepsFactor) {

    /** The steps a trial of round {@code round} (0-based) may train. */
    public long stepsForRound(int round) {
        double steps = stepsPerTrial * Math.pow(refineStepsFactor, round);
        return (long) Math.min(1e9, Math.max(1, Math.round(steps)));
    }

    /** The steps the search may spend: each round's trials times the steps a trial of that round may train. */
    public long plannedSteps() {
        int[] perRound = trialsPerRound();
        long total = 0;
        for (int i = 0; i < perRound.length; i++) {
            total += perRound[i] * stepsForRound(i);
        }
        return total;
    }

    /**
     * The number of trials in each round: the first (coarse) round takes half the budget (at least one
     * trial per concurrent slot where the budget allows), the refined rounds share the rest equally.
     */
    public int[] trialsPerRound() {
        int r = Math.max(1, Math.min(rounds, trials));
        int[] out = new int[r];
        if (r == 1) {
            out[0] = trials;
            return out;
        }
        int first = Math.max((trials + 1) / 2, Math.min(concurrentTrials, trials - (r - 1)));
        first = Math.min(first, trials - (r - 1));
        out[0] = first;
        int rest = trials - first;
        for (int i = 1; i < r; i++) {
            out[i] = rest / (r - 1) + (i - 1 < rest % (r - 1) ? 1 : 0);
        }
        return out;
    }
}
