package io.trainwatch.trainer.model;

import java.util.Set;

/**
 * A model given as Deeplearning4j's own configuration JSON ({@code MultiLayerConfiguration.toJson()} or
 * {@code ComputationGraphConfiguration.toJson()}), as validated by {@link Dl4jModels#parse}; the network is
 * built from it for each run, with the run's hyperparameters applied on top ({@link Dl4jModels#build}).
 *
 * @param kind         {@link #MULTILAYER} or {@link #GRAPH}
 * @param json         the configuration JSON
 * @param overrides    the run-config fields given explicitly, which replace the configuration's own values
 *                     (a subset of {@link Dl4jModels#OVERRIDES})
 * @param learningRate the configuration's own learning rate (of its first layer with an updater), or NaN
 * @param optimizer    the configuration's own optimiser, in the run config's names ({@code adam}, {@code sgd}...)
 */
public record Dl4jModel(String kind, String json, Set<String> overrides, double learningRate, String optimizer) {

    public static final String MULTILAYER = "multilayer";
    public static final String GRAPH = "graph";

    public Dl4jModel {
        overrides = Set.copyOf(overrides);
    }

    /** Whether the run config gave {@code field} explicitly (so that it overrides the configuration). */
    public boolean overrides(String field) {
        return overrides.contains(field);
    }
}
