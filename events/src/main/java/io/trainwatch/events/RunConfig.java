package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * The configuration of a run as announced in {@code run-started}. Every field but {@code layers} may be
 * null for a trainer that does not know it; {@code lossFunction} and {@code numClasses} enable the checks
 * that need them (for example the initial loss against ln(C) for {@link LossFunctions#CROSS_ENTROPY}).
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
        Long seed) {

    public RunConfig {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }
}
