package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration of a run as announced in {@code run-started}. Every field but {@code layers} may be
 * null for a trainer that does not know it; {@code lossFunction} and {@code numClasses} enable the checks
 * that need them (for example the initial loss against ln(C) for {@link LossFunctions#CROSS_ENTROPY}).
 *
 * <p>{@code batchNorm} (a batch-normalisation layer after each hidden dense layer), {@code schedule} (the
 * learning-rate schedule as configured, e.g. {@code {"type": "range", "from": 1e-6, "to": 10, "steps": 200}})
 * and {@code subsetBatches} (training on only the first N mini-batches) are null when the trainer does not
 * report them; the trainer-service README defines their values.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunConfig(
        String scenario,
        String dataset,
        Integer numClasses,
        String lossFunction,
        List<LayerInfo> layers,
        String optimizer,
        Double learningRate,
        Integer batchSize,
        Integer epochs,
        Double l2,
        Double dropout,
        Long seed,
        Boolean batchNorm,
        Map<String, Object> schedule,
        Integer subsetBatches) {

    public RunConfig {
        layers = layers == null ? List.of() : List.copyOf(layers);
        schedule = schedule == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(schedule));
    }

    /** A configuration without batch normalisation, schedule or subset (as announced before they existed). */
    public RunConfig(String scenario, String dataset, Integer numClasses, String lossFunction, List<LayerInfo> layers,
                     String optimizer, Double learningRate, Integer batchSize, Integer epochs, Double l2,
                     Double dropout, Long seed) {
        this(scenario, dataset, numClasses, lossFunction, layers, optimizer, learningRate, batchSize, epochs, l2,
                dropout, seed, null, null, null);
    }
}
