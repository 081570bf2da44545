package io.trainwatch.trainer.scenario;

import java.util.Map;

/**
 * A named preset that reproduces one training behaviour for real.
 *
 * @param name         the name used by {@code POST /runs {"scenario": ...}} and {@code trainwatch train --scenario}
 * @param pathology    the detector it should trigger ({@code none} for healthy)
 * @param description  what is wrong with it and what shows it
 * @param defaultSteps how many steps it trains when no {@code steps} is given
 * @param config       the run configuration (the same JSON as {@code POST /runs})
 */
public record Scenario(String name, String pathology, String description, int defaultSteps, Map<String, Object> config) {
}
