package io.trainwatch.trainer.model;

import io.trainwatch.events.RunControl;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * A validated run configuration: an MLP classifier (or a network given as DL4J configuration JSON), its optimiser and regularisation, the data and the
 * length of the run. Built only by {@link RunSpecParser}, which names the wrong field of a bad config.
 *
 * @param scenario           the preset it came from, or null
 * @param dataset            where the examples come from
 * @param hiddenLayers       widths of the hidden layers, input side first (may be empty: logistic regression)
 * @param activation         hidden activation (DL4J {@code Activation} name, lower case)
 * @param weightInit         weight initialisation: a DL4J {@code WeightInit} name, or {@code normal} with {@code initStd}
 * @param initStd            standard deviation of the {@code normal} init, else null
 * @param optimizer          sgd, momentum, nesterov, adam, rmsprop or adagrad
 * @param momentum           momentum of {@code momentum}/{@code nesterov}
 * @param learningRate       initial learning rate
 * @param lrSchedule         optional step changes of the learning rate: iteration -> rate (with 0 -> learningRate)
 * @param l2                 L2 weight decay coefficient
 * @param dropout            probability of dropping a hidden unit (0 = off)
 * @param batchSize          mini-batch size
 * @param epochs             passes over the training set
 * @param maxSteps           an upper bound on optimisation steps, or null
 * @param seed               seed of data generation, split, shuffling and initialisation
 * @param loss               mcxent, negativeloglikelihood or mse
 * @param validateEverySteps validation every N steps in addition to every epoch end (0 = epoch ends only)
 * @param sampleEvery        publish every N-th step event (1 = every step)
 * @param schedule           optional learning-rate schedule (constant, step, exponential, range), or null;
 *                           never together with {@code lrSchedule}
 * @param batchNorm          a batch-normalisation layer after each hidden dense layer
 * @param subsetBatches      train only on the first N mini-batches (fixed by the seed), cycling over them; or null
 * @param control            how a tuner may steer the run, as declared in {@code run-started} (default auto)
 * @param model              a network given as DL4J configuration JSON instead of the MLP fields, or null
 */
public record RunSpec(
        String scenario,
        DatasetSpec dataset,
        List<Integer> hiddenLayers,
        String activation,
        String weightInit,
        Double initStd,
        String optimizer,
        double momentum,
        double learningRate,
        NavigableMap<Integer, Double> lrSchedule,
        double l2,
        double dropout,
        int batchSize,
        int epochs,
        Long maxSteps,
        long seed,
        String loss,
        int validateEverySteps,
        int sampleEvery,
        LearningRateSchedule schedule,
        boolean batchNorm,
        Integer subsetBatches,
        RunControl control,
        Dl4jModel model) {

    public RunSpec {
        control = control == null ? RunControl.of(RunControl.AUTO) : control;
        hiddenLayers = List.copyOf(hiddenLayers);
        lrSchedule = lrSchedule == null ? null : java.util.Collections.unmodifiableNavigableMap(new java.util.TreeMap<>(lrSchedule));
    }

    /** This spec with at most {@code steps} steps (and enough epochs to reach them). */
    public RunSpec withMaxSteps(long steps) {
        return new RunSpec(scenario, dataset, hiddenLayers, activation, weightInit, initStd, optimizer, momentum,
                learningRate, lrSchedule, l2, dropout, batchSize, Math.max(epochs, 1_000_000), steps, seed, loss,
                validateEverySteps, sampleEvery, schedule, batchNorm, subsetBatches, control, model);
    }

    /**
     * This spec within a trial budget: at most {@code maxSteps} steps (null = no step limit) and at most
     * {@code maxEpochs} epochs (null = the spec's own epochs, or unlimited when only steps are given).
     */
    public RunSpec withBudget(Long budgetSteps, Integer budgetEpochs) {
        long steps = budgetSteps == null ? (maxSteps == null ? Long.MAX_VALUE : maxSteps)
                : Math.min(budgetSteps, maxSteps == null ? Long.MAX_VALUE : maxSteps);
        int ep = budgetEpochs != null ? budgetEpochs : budgetSteps != null ? 1_000_000 : epochs;
        return new RunSpec(scenario, dataset, hiddenLayers, activation, weightInit, initStd, optimizer, momentum,
                learningRate, lrSchedule, l2, dropout, batchSize, ep, steps == Long.MAX_VALUE ? null : steps, seed,
                loss, validateEverySteps, sampleEvery, schedule, batchNorm, subsetBatches, control, model);
    }

    /** This spec with another control (study trials are always {@code auto}: they are the tuner's own). */
    public RunSpec withControl(RunControl c) {
        return new RunSpec(scenario, dataset, hiddenLayers, activation, weightInit, initStd, optimizer, momentum,
                learningRate, lrSchedule, l2, dropout, batchSize, epochs, maxSteps, seed, loss, validateEverySteps,
                sampleEvery, schedule, batchNorm, subsetBatches, c, model);
    }

    /** An MLP spec (no DL4J configuration) that declares {@code auto} control, as every spec was before. */
    public RunSpec(String scenario, DatasetSpec dataset, List<Integer> hiddenLayers, String activation, String weightInit,
                   Double initStd, String optimizer, double momentum, double learningRate,
                   NavigableMap<Integer, Double> lrSchedule, double l2, double dropout, int batchSize, int epochs,
                   Long maxSteps, long seed, String loss, int validateEverySteps, int sampleEvery,
                   LearningRateSchedule schedule, boolean batchNorm, Integer subsetBatches) {
        this(scenario, dataset, hiddenLayers, activation, weightInit, initStd, optimizer, momentum, learningRate,
                lrSchedule, l2, dropout, batchSize, epochs, maxSteps, seed, loss, validateEverySteps, sampleEvery,
                schedule, batchNorm, subsetBatches, null, null);
    }

    /** The learning-rate schedule as a plain map, or null. */
    public Map<Integer, Double> scheduleOrNull() {
        return lrSchedule;
    }

    /**
     * The schedule as announced in {@code run-started}: {@code schedule} as configured, {@code lrSchedule} as
     * {@code {"type": "map", "rates": {step: rate}}}, or null for a constant {@code learningRate}.
     */
    public Map<String, Object> scheduleAnnouncement() {
        if (schedule != null) {
            return schedule.toMap();
        }
        if (lrSchedule != null) {
            Map<String, Object> rates = new java.util.LinkedHashMap<>();
            lrSchedule.forEach((k, v) -> rates.put(String.valueOf(k), v));
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("type", "map");
            m.put("rates", rates);
            return m;
        }
        return null;
    }

    /** The rate the schedule (or {@code lrSchedule}) prescribes at step {@code t}; {@code learningRate} without one. */
    public double scheduledRate(long t) {
        if (schedule != null) {
            return schedule.rateAt(t, learningRate);
        }
        if (lrSchedule != null) {
            Map.Entry<Integer, Double> e = lrSchedule.floorEntry((int) Math.min(Integer.MAX_VALUE, Math.max(0, t)));
            return e == null ? learningRate : e.getValue();
        }
        return learningRate;
    }
}
