package io.trainwatch.tuner.steer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.trainwatch.events.ValidationEvent;

/**
 * One validation of a steered run, as {@code GET /runs/{id}/validations} lists it (the trainer's
 * {@code GET /runs/{id}/validations} has the same fields): the step it was measured after, its epoch, the
 * validation loss and accuracy, and the training loss and accuracy measured at the same point.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"step", "epoch", "validationLoss", "validationAccuracy", "trainLoss", "trainAccuracy"})
public record ValidationPoint(long step, int epoch, Double validationLoss, Double validationAccuracy, Double trainLoss,
                              Double trainAccuracy) {

    public static ValidationPoint of(ValidationEvent v) {
        return new ValidationPoint(v.step(), v.epoch(), v.validationLoss(), v.validationAccuracy(), v.trainLoss(),
                v.trainAccuracy());
    }
}
