package io.trainwatch.trainer.data;

/**
 * A run's data, split and standardised (features scaled with the training set's mean and deviation).
 *
 * @param train       the training examples
 * @param validation  the held-out examples
 * @param description what it is, for {@code run-started}
 */
public record PreparedData(Examples train, Examples validation, String description) {

    public int numFeatures() {
        return train.numFeatures();
    }

    public int numClasses() {
        return train.numClasses();
    }

    /** The shape of one example in Deeplearning4j's layout, or null for flat feature vectors. */
    public int[] exampleShape() {
        return train.shape();
    }
}
