package io.trainwatch.trainer.model;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A {@link LearningRateSchedule} as a DL4J {@link ISchedule}: DL4J evaluates it at the network's iteration
 * count, which is the run's step number (one {@code fit(DataSet)} per step), so the updater uses
 * {@code schedule.rateAt(step, lr0)} at each step and {@code MultiLayerNetwork.getLearningRate} reports it.
 * Serialisable with the model (checkpoints): its fields are written by DL4J's JSON mapper.
 */
public final class Dl4jSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    @JsonProperty("type")
    private final String type;
    @JsonProperty("every")
    private final Integer every;
    @JsonProperty("factor")
    private final Double factor;
    @JsonProperty("gamma")
    private final Double gamma;
    @JsonProperty("from")
    private final Double from;
    @JsonProperty("to")
    private final Double to;
    @JsonProperty("steps")
    private final Integer steps;
    @JsonProperty("initialValue")
    private final double initialValue;
    /** The record the fields describe, built once: DL4J asks for the rate on every step of every layer. */
    @JsonIgnore
    private transient LearningRateSchedule schedule;

    @JsonCreator
    public Dl4jSchedule(@JsonProperty("type") String type, @JsonProperty("every") Integer every,
                        @JsonProperty("factor") Double factor, @JsonProperty("gamma") Double gamma,
                        @JsonProperty("from") Double from, @JsonProperty("to") Double to,
                        @JsonProperty("steps") Integer steps, @JsonProperty("initialValue") double initialValue) {
        this.type = type;
        this.every = every;
        this.factor = factor;
        this.gamma = gamma;
        this.from = from;
        this.to = to;
        this.steps = steps;
        this.initialValue = initialValue;
    }

    /** The DL4J schedule of {@code schedule} starting from {@code lr0}. */
    public static Dl4jSchedule of(LearningRateSchedule schedule, double lr0) {
        return new Dl4jSchedule(schedule.type(), schedule.every(), schedule.factor(), schedule.gamma(),
                schedule.from(), schedule.to(), schedule.steps(), lr0);
    }

    /** The schedule this evaluates. */
    public LearningRateSchedule schedule() {
        LearningRateSchedule s = schedule;
        if (s == null) {
            s = new LearningRateSchedule(type, every, factor, gamma, from, to, steps);
            schedule = s; // an immutable record: a race only builds an equal one twice
        }
        return s;
    }

    public double initialValue() {
        return initialValue;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return schedule().rateAt(iteration, initialValue);
    }

    @Override
    public ISchedule clone() {
        return new Dl4jSchedule(type, every, factor, gamma, from, to, steps, initialValue);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dl4jSchedule d && d.schedule().equals(schedule()) && d.initialValue == initialValue;
    }

    @Override
    public int hashCode() {
        return schedule().hashCode() * 31 + Double.hashCode(initialValue);
    }

    @Override
    public String toString() {
        return "Dl4jSchedule" + schedule().toMap() + "(lr0=" + initialValue + ")";
    }
}
