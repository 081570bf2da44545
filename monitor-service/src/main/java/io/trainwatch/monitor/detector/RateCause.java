package io.trainwatch.monitor.detector;

import io.trainwatch.monitor.engine.RunState;

/**
 * When the learning rate, not the network, is the cause: a rate too low (small update:parameter ratios while the
 * gradients still reach the first layer) or too high (a validation accuracy that swings from one validation to the
 * next). The DL4J training UI's guidance: an update:parameter ratio of about 1e-3 is healthy, below 1e-4 the layer
 * learns too slowly, above 1e-2 it is unstable. The detectors that meet these signatures (vanishing-gradients,
 * plateau, underfitting) state the rate as the cause, with {@code raise-learning-rate} or {@code decay-learning-rate}
 * as the suggested action, rather than blame the activations, the capacity or the regularisation.
 */
public final class RateCause {

    /**
     * A smoothed first/last layer ratio (of gradient norms, or of update ratios when no norms are reported) at or below
     * this is evidence that the gradient fades on its way to the first layer; above it, a small update ratio is the
     * rate's. Recorded and synthetic vanishing runs sit at 1e-9 to 1e-10; a healthy ReLU/He network at a low rate at
     * about 0.2.
     */
    public static final double FADING = 0.1;
    static final double LOG_FADING = Math.log10(FADING);

    private RateCause() {
    }

    /**
     * Whether the smoothed first/last layer ratios say the gradient fades before the first layer: the gradient-norm
     * ratio when the run reports layer norms, else the update-ratio ratio; false when neither is known.
     */
    static boolean fading(RunState s) {
        if (!Double.isNaN(s.emaLogRatio)) {
            return s.emaLogRatio <= LOG_FADING;
        }
        return !Double.isNaN(s.emaLogUpdateFirst) && !Double.isNaN(s.emaLogUpdateLast)
                && s.emaLogUpdateFirst - s.emaLogUpdateLast <= LOG_FADING;
    }

    /**
     * The smoothed update:parameter ratio that says the rate is too low: the output layer's slow EMA, or the first
     * layer's when its gradients do not fade, whichever is smaller, when it is below {@code min}; NaN otherwise.
     */
    static double lowUpdateRatio(RunState s, double min) {
        double low = Double.NaN;
        if (!Double.isNaN(s.emaLogUpdateSlow)) {
            low = s.emaLogUpdateSlow;
        }
        if (!Double.isNaN(s.emaLogUpdateFirst) && !fading(s) && (Double.isNaN(low) || s.emaLogUpdateFirst < low)) {
            low = s.emaLogUpdateFirst;
        }
        return !Double.isNaN(low) && low < Math.log10(min) ? Math.pow(10, low) : Double.NaN;
    }

    /** The sentence and remedy for a rate too low. */
    static String tooLow(double updateRatio) {
        return String.format("the update:parameter ratio is %.2g (about 1e-3 is healthy, DL4J's training-UI guidance): "
                + "the learning rate is too low; raise it", updateRatio);
    }

    /** The remedy for a rate too low. */
    static String raiseRemedy(double updateRatio) {
        String sentence = tooLow(updateRatio);
        return Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1)
                + " (x3 to x10, or run a learning-rate range test), rather than change the model.";
    }

    /** The sentence for a rate too high: the loss/accuracy oscillates. */
    static String oscillates(double learningRate, double swing) {
        String at = Double.isFinite(learningRate) ? String.format("at learning rate %.3g", learningRate)
                : "at the current learning rate";
        return String.format("the loss/accuracy oscillates %s (the validation accuracy swings by %.2f between "
                + "validations): lower the learning rate", at, swing);
    }

    /** The remedy for a rate too high. */
    static String decayRemedy(double learningRate, double swing) {
        return "Not a model too small: " + oscillates(learningRate, swing) + " (x0.1, or a decay schedule); a bigger "
                + "model or less regularisation would not help.";
    }
}
