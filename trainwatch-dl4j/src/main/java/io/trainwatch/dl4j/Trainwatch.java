package io.trainwatch.dl4j;

import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * Where a Deeplearning4j program starts with Trainwatch:
 *
 * <pre>{@code
 * try (TrainwatchListener tw = Trainwatch.listener().runId("lenet-1").numClasses(10).loss("mcxent")
 *         .control("auto").build()) {
 *     net.addListeners(tw);
 *     net.fit(Trainwatch.iterator(trainData, tw), epochs);    // ends early, cleanly, on a stop command
 * }
 * }</pre>
 */
public final class Trainwatch {

    private Trainwatch() {
    }

    /** A listener builder; settings default to {@code KAFKA_*} / {@code -Dkafka.*}, the broker to 127.0.0.1:9092. */
    public static TrainwatchListener.Builder listener() {
        return new TrainwatchListener.Builder();
    }

    /** {@code data}, ending (no next batch, no reset) once the listener's run is asked to stop. */
    public static DataSetIterator iterator(DataSetIterator data, TrainwatchListener listener) {
        return new StoppableIterator(data, listener::stopRequested);
    }

    /** {@code data} (a ComputationGraph's multi-input data), ending once the listener's run is asked to stop. */
    public static MultiDataSetIterator iterator(MultiDataSetIterator data, TrainwatchListener listener) {
        return new StoppableMultiIterator(data, listener::stopRequested);
    }
}
