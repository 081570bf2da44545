package io.trainwatch.trainer.model;

import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies a run's explicit hyperparameters over the layers of a DL4J configuration (the fields in
 * {@link Dl4jModels#OVERRIDES} that the run config gives): the updater or its rate, schedule and momentum, L2,
 * dropout.
 */
final class Dl4jOverrides {

    private Dl4jOverrides() {
    }

    /** Applies the spec's explicit hyperparameters to one layer of the configuration. */
    static void override(RunSpec spec, Dl4jModel m, Layer layer, boolean dropoutApplies) {
        if (m.overrides("dropout") && dropoutApplies && layer instanceof BaseLayer) {
            layer.setIDropout(spec.dropout() > 0 ? new Dropout(1.0 - spec.dropout()) : null);
        }
        if (!(layer instanceof BaseLayer b)) {
            return;
        }
        if (m.overrides("optimizer")) {
            b.setIUpdater(ModelFactory.updater(spec));
            if (b.getBiasUpdater() != null) {
                b.setBiasUpdater(ModelFactory.updater(spec));
            }
        } else if (m.overrides("learningRate") || m.overrides("schedule") || m.overrides("lrSchedule")
                || m.overrides("momentum")) {
            b.setIUpdater(withRate(b.getIUpdater(), spec));
            if (b.getBiasUpdater() != null) {
                b.setBiasUpdater(withRate(b.getBiasUpdater(), spec));
            }
        }
        if (m.overrides("l2")) {
            List<Regularization> regs = new ArrayList<>();
            if (b.getRegularization() != null) {
                for (Regularization r : b.getRegularization()) {
                    if (!(r instanceof L2Regularization) && !(r instanceof WeightDecay)) {
                        regs.add(r);
                    }
                }
            }
            if (spec.l2() > 0) {
                regs.add(new L2Regularization(spec.l2()));
            }
            b.setRegularization(regs);
        }
    }

    /** A copy of a layer's own updater with the spec's learning rate (or schedule) and momentum. */
    private static IUpdater withRate(IUpdater updater, RunSpec spec) {
        if (updater == null) {
            return null;
        }
        IUpdater u = updater.clone();
        if (u instanceof Nesterovs n && spec.model().overrides("momentum")) {
            n.setMomentum(spec.momentum());
        }
        if (spec.model().overrides("learningRate") || spec.model().overrides("schedule")
                || spec.model().overrides("lrSchedule")) {
            if (!u.hasLearningRate()) {
                throw new InvalidConfigException("learningRate", "the configuration's updater "
                        + u.getClass().getSimpleName() + " has no learning rate");
            }
            ISchedule schedule = ModelFactory.schedule(spec);
            u.setLrAndSchedule(spec.learningRate(), schedule);
        }
        return u;
    }

}
