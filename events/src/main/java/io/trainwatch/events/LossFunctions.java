package io.trainwatch.events;

import java.util.Locale;

/** The loss-function names of the contract, and the mapping from framework names to them. */
public final class LossFunctions {

    /** Softmax cross-entropy; its value at chance over C classes is ln(C). */
    public static final String CROSS_ENTROPY = "cross-entropy";
    public static final String BINARY_CROSS_ENTROPY = "binary-cross-entropy";
    public static final String MSE = "mse";

    private LossFunctions() {
    }

    /**
     * The contract name for a framework's loss name (DL4J's {@code MCXENT} and {@code NEGATIVELOGLIKELIHOOD},
     * PyTorch's {@code CrossEntropyLoss}, Keras' {@code categorical_crossentropy}, ...); unknown names are
     * returned lower-cased, which simply disables the checks that need a known loss.
     */
    public static String normalize(String name) {
        if (name == null) {
            return null;
        }
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return switch (n) {
            case "cross-entropy", "mcxent", "negativeloglikelihood", "crossentropyloss", "nllloss",
                    "categorical-crossentropy", "sparse-categorical-crossentropy", "softmax-cross-entropy" ->
                    CROSS_ENTROPY;
            case "binary-cross-entropy", "xent", "bceloss", "bcewithlogitsloss", "binary-crossentropy" ->
                    BINARY_CROSS_ENTROPY;
            case "mse", "squared-loss", "mseloss", "mean-squared-error", "l2" -> MSE;
            default -> n;
        };
    }

    /** The loss at chance level, ln(C), for softmax cross-entropy over {@code numClasses}; NaN otherwise. */
    public static double chanceLoss(String lossFunction, Integer numClasses) {
        if (CROSS_ENTROPY.equals(normalize(lossFunction)) && numClasses != null && numClasses >= 2) {
            return Math.log(numClasses);
        }
        return Double.NaN;
    }
}
