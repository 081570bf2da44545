package io.trainwatch.tuner.steer;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunControl;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.TrialState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the tuner knows of a run outside its studies that asked to be steered ({@code control.mode} auto or
 * suggest in its {@code run-started}): the declared control, the objective its validations are read by, and
 * the same per-run bookkeeping a trial has ({@link TrialState}: learning-rate history, commands in flight,
 * decisions), and its last {@link #VALIDATIONS_KEPT} validations. Mutated only by the run-steering engine;
 * stored as one document in the compacted studies topic under the key {@link #KEY_PREFIX}{@code runId}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class SteeredRun {

    /** The key prefix of steered runs in the studies topic (study ids cannot contain ':'). */
    public static final String KEY_PREFIX = "run:";

    /**
     * How many validations a run keeps for {@code GET /runs/{id}/validations}, the oldest dropped first (as the
     * trainer's REST API; ~130 bytes each, so the document stays well under Kafka's 1 MB message limit).
     */
    public static final int VALIDATIONS_KEPT = 1000;

    public int schemaVersion = Contract.SCHEMA_VERSION;
    public String runId;
    public RunControl control;
    /** What the validations are read by: validation loss when the run reports it, else validation accuracy. */
    public Objective objective;
    public Instant startedAt;
    public Instant updatedAt;
    /** The run's own state, as a trial's: status, rates, decays, pending commands, decisions. */
    public TrialState state = new TrialState();
    /** Suggestions published (mode suggest). */
    public int suggestions;
    /** The run's validations in step order, the last {@link #VALIDATIONS_KEPT}. */
    public List<ValidationPoint> validations = new ArrayList<>();

    /** Keeps a validation, dropping the oldest beyond {@link #VALIDATIONS_KEPT}. */
    public void addValidation(ValidationPoint v) {
        validations.add(v);
        if (validations.size() > VALIDATIONS_KEPT) {
            validations.subList(0, validations.size() - VALIDATIONS_KEPT).clear();
        }
    }

    @JsonIgnore
    public String key() {
        return KEY_PREFIX + runId;
    }

    @JsonIgnore
    public boolean isActive() {
        return state.isActive();
    }

    @JsonIgnore
    public boolean applies() {
        return control.applies();
    }
}
