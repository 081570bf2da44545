package io.trainwatch.dl4j;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A {@link DataSetIterator} that has no next batch once {@code stopped} says so, so that {@code fit(iterator)} and
 * {@code fit(iterator, epochs)} return after the step in progress. Never asynchronous: DL4J would otherwise prefetch
 * batches on another thread and ask {@code hasNext} ahead of the training.
 */
final class StoppableIterator implements DataSetIterator {

    private final DataSetIterator data;
    private final BooleanSupplier stopped;

    StoppableIterator(DataSetIterator data, BooleanSupplier stopped) {
        this.data = data;
        this.stopped = stopped;
    }

    @Override
    public boolean hasNext() {
        return !stopped.getAsBoolean() && data.hasNext();
    }

    @Override
    public DataSet next() {
        return data.next();
    }

    @Override
    public DataSet next(int num) {
        return data.next(num);
    }

    @Override
    public int inputColumns() {
        return data.inputColumns();
    }

    @Override
    public int totalOutcomes() {
        return data.totalOutcomes();
    }

    @Override
    public boolean resetSupported() {
        return data.resetSupported();
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        if (!stopped.getAsBoolean()) {
            data.reset();
        }
    }

    @Override
    public int batch() {
        return data.batch();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        data.setPreProcessor(preProcessor);
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return data.getPreProcessor();
    }

    @Override
    public List<String> getLabels() {
        return data.getLabels();
    }
}
