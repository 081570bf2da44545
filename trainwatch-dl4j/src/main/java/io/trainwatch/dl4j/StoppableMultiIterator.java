package io.trainwatch.dl4j;

import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

import java.util.function.BooleanSupplier;

/** A {@link MultiDataSetIterator} that has no next batch once {@code stopped} says so; never asynchronous. */
final class StoppableMultiIterator implements MultiDataSetIterator {

    private final MultiDataSetIterator data;
    private final BooleanSupplier stopped;

    StoppableMultiIterator(MultiDataSetIterator data, BooleanSupplier stopped) {
        this.data = data;
        this.stopped = stopped;
    }

    @Override
    public boolean hasNext() {
        return !stopped.getAsBoolean() && data.hasNext();
    }

    @Override
    public MultiDataSet next() {
        return data.next();
    }

    @Override
    public MultiDataSet next(int num) {
        return data.next(num);
    }

    @Override
    public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
        data.setPreProcessor(preProcessor);
    }

    @Override
    public MultiDataSetPreProcessor getPreProcessor() {
        return data.getPreProcessor();
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
}
