package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A trial of a study on {@link Topics#TUNER_TRIALS}, for a trainer worker to run: the sampled
 * {@code hyperparameters} applied over the study's {@code base} configuration (data set and model),
 * within {@code budget}. {@code origin} says why it exists: {@code random} search, a {@code refine}
 * round around the best trials, or a {@code remedy} for a diagnosed pathology.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "studyId", "trialId", "runId", "hyperparameters", "budget", "origin"})
public record Trial(
        int schemaVersion,
        String studyId,
        String trialId,
        String runId,
        Map<String, Object> hyperparameters,
        Budget budget,
        String origin,
        Map<String, Object> base,
        Instant timestamp) {

    public static final String RANDOM = "random";
    public static final String REFINE = "refine";
    public static final String REMEDY = "remedy";
    /**
     * A check before the search (the first steps of CS231n's tuning procedure: the initial loss, overfitting a
     * small subset, a learning-rate range test); alerts on it are expected, not pathologies of the study.
     */
    public static final String PREFLIGHT = "preflight";
    public static final Set<String> ORIGINS = Set.of(RANDOM, REFINE, REMEDY, PREFLIGHT);

    /** How long a trial may train: at most {@code maxSteps} steps and {@code maxEpochs} epochs (either may be null). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Budget(Long maxSteps, Integer maxEpochs) {
        public Budget {
            if (maxSteps != null && maxSteps <= 0) {
                throw new IllegalArgumentException("budget.maxSteps must be > 0");
            }
            if (maxEpochs != null && maxEpochs <= 0) {
                throw new IllegalArgumentException("budget.maxEpochs must be > 0");
            }
        }
    }

    public Trial {
        Contract.requireText("studyId", studyId);
        Contract.requireText("trialId", trialId);
        Contract.requireRunId(runId);
        Contract.requireOneOf("origin", origin, ORIGINS);
        if (budget == null) {
            throw new IllegalArgumentException("budget is required");
        }
        hyperparameters = Contract.orderedCopy(hyperparameters);
        base = Contract.orderedCopy(base);
    }
}
