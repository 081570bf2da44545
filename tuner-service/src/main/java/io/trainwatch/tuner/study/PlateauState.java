package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The learning-rate bookkeeping of one trial (or steered run) under the plateau and raise-back reactions: the
 * decays so far and their cooldown, the raise-back, the validation objective's recent improvement (Keras
 * {@code ReduceLROnPlateau}'s {@code min_delta} and patience), a decay deferred while validation improved, and
 * the run's own limits. Written into the trial's document at the trial's level ({@code @JsonUnwrapped}), as
 * before it had a class of its own, so that stored documents read the same.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class PlateauState {

    /** The rate before the last change (what a raise-back goes back to). */
    public Double previousLearningRate;
    public int decays;
    public int decaysWithoutImprovement;
    /** The trial's best value when it was last decayed. */
    public Double bestAtLastDecay;
    public Long lastDecayStep;
    /** Scales the cooldown; grows after a decay that came too early. */
    public double waitMultiplier = 1.0;
    /** Whether the rate was raised back once already. */
    public boolean raisedBack;
    /** Validations seen (finite objective values), for the "still improving" check. */
    public int validations;
    /** The objective's best, raised only by more than the policy's validation min-delta (as Keras tracks it). */
    public Double deltaBest;
    /** The number ({@link #validations}) of the last validation that raised {@link #deltaBest}; 0 when none did. */
    public int lastImprovingValidation;
    /** A plateau alert deferred while the validation objective improved: reconsidered at the next validation. */
    public String deferredPlateauAlertId;
    public Long deferredPlateauStep;
    public Double deferredPlateauRate;
    /** A per-run limit on learning-rate decays (a steered run's {@code control.maxDecays}); null: none. */
    public Integer maxDecays;
    /*
     * The fields below came later: left out of the document while unset, so that documents stored before them are
     * written back unchanged.
     */
    /** Mid-run raises of a rate the monitor found too low ({@code raise-learning-rate}). */
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    public int raises;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Long lastRaiseStep;
    /** The best value and the validations seen at the last raise, for its outcome; null once the outcome is told. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Double bestAtLastRaise;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Integer validationsAtLastRaise;
    /** An underfitting stop deferred while the trial is young or its validation improves: reconsidered at validations. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public String deferredUnderfittingAlertId;
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public Long deferredUnderfittingStep;
    /** A per-run floor of the learning rate (a steered run's {@code control.minLearningRate}); null: the policy's. */
    public Double minLearningRate;
}
