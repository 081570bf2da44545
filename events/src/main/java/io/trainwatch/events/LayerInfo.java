package io.trainwatch.events;

/** One layer of a model as announced in {@code run-started}: name, type, shape, activation and init. */
public record LayerInfo(String name, String type, Integer nIn, Integer nOut, String activation, String weightInit) {
}
