package io.trainwatch.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Reads and sets the learning rate of a DL4J {@link MultiLayerNetwork} or {@link ComputationGraph}: the one place
 * that knows where a model keeps it (the listener and the trainer service both use it).
 */
public final class LearningRates {

    private LearningRates() {
    }

    /**
     * The rate in force (a schedule's value at the current iteration) of the first layer that has parameters and an
     * updater with a rate (a pooling layer has none), or null.
     */
    public static Double of(Model m) {
        try {
            if (m instanceof MultiLayerNetwork net) {
                for (int i = 0; i < net.getnLayers(); i++) {
                    if (net.getLayer(i).numParams() > 0) {
                        Double r = net.getLearningRate(i);
                        if (r != null) {
                            return r;
                        }
                    }
                }
            } else if (m instanceof ComputationGraph graph) {
                for (Layer l : graph.getLayers()) {
                    if (l.numParams() > 0) {
                        Double r = graph.getLearningRate(l.conf().getLayer().getLayerName());
                        if (r != null) {
                            return r;
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
        return null;
    }

    /**
     * Sets a constant learning rate on every layer; DL4J drops any schedule. Only between two steps (the
     * training thread, outside {@code fit}).
     */
    public static void set(Model m, double rate) {
        if (m instanceof MultiLayerNetwork net) {
            net.setLearningRate(rate);
        } else if (m instanceof ComputationGraph graph) {
            graph.setLearningRate(rate);
        } else {
            throw new IllegalArgumentException("a MultiLayerNetwork or a ComputationGraph is needed, not "
                    + (m == null ? "null" : m.getClass().getName()));
        }
    }
}
