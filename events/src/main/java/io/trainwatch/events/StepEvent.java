package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Map;

/**
 * One optimisation step. {@code loss} may be NaN or infinite (that is what divergence looks like);
 * optional metrics are null when the trainer does not report them. Layer maps keep their order, from
 * the input layer to the output layer, as immutable {@link LayerMap}s.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "runId", "timestamp", "studyId", "trialId", "step", "epoch", "loss"})
public record StepEvent(
        int schemaVersion,
        String runId,
        Instant timestamp,
        String studyId,
        String trialId,
        long step,
        int epoch,
        double loss,
        Double accuracy,
        Double learningRate,
        Double gradientNorm,
        Map<String, Double> layerGradientNorms,
        Map<String, Double> parameterNorms,
        Map<String, Double> updateRatios,
        Double stepMillis,
        Double examplesPerSecond) implements TrainingEvent {

    public StepEvent {
        Contract.requireRunId(runId);
        Contract.requireTimestamp(timestamp);
        Contract.requireNonNegative("step", step);
        Contract.requireNonNegative("epoch", epoch);
        layerGradientNorms = LayerMap.copyOf(layerGradientNorms);
        parameterNorms = LayerMap.copyOf(parameterNorms);
        updateRatios = LayerMap.copyOf(updateRatios);
    }

    @Override
    @JsonProperty("type")
    public String type() {
        return STEP;
    }

    @Override
    public long stepOrMinusOne() {
        return step;
    }
}
