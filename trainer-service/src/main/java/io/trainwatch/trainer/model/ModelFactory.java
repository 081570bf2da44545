package io.trainwatch.trainer.model;

import io.trainwatch.events.LayerInfo;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.trainwatch.dl4j.StepTelemetry.layerName;

/**
 * Builds the Deeplearning4j MLP classifier of a {@link RunSpec}; layers are named {@code layer0} .. {@code layerN}
 * in DL4J's order, input side first, so that the per-layer maps of the telemetry match {@link #describe}.
 *
 * <p>With {@code batchNorm} each hidden layer is a dense layer with its activation followed by its own
 * {@code BatchNormalization} layer (dense(act) -> BN; two named layers). That arrangement was measured against
 * the original paper's dense(identity) -> BN -> activation (which needs a third, parameterless DL4J layer)
 * and against no BN: see the trainer README.
 *
 * <p>Dropout (probability {@code dropout} of dropping a hidden unit) is DL4J's inverted dropout on a layer's
 * input: it is set on every layer whose input is a hidden layer's output (the dense layers after the first and
 * the output layer), never on the input features nor on a BN layer's input; 0 turns it off.
 */
public final class ModelFactory {

    private ModelFactory() {
    }

    /** A new, initialised network for {@code numFeatures} inputs and {@code numClasses} outputs. */
    public static MultiLayerNetwork build(RunSpec spec, int numFeatures, int numClasses) {
        IWeightInit init = weightInit(spec);
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .updater(updater(spec))
                .weightInit(init)
                .l2(spec.l2());
        NeuralNetConfiguration.ListBuilder list = base.list();
        int nIn = numFeatures;
        int i = 0;
        boolean hiddenInput = false; // whether layer i's input is a hidden layer's output
        for (int width : spec.hiddenLayers()) {
            DenseLayer.Builder dense = new DenseLayer.Builder().name(layerName(i)).nIn(nIn).nOut(width)
                    .activation(activation(spec.activation()));
            if (hiddenInput && spec.dropout() > 0) {
                dense.dropOut(1.0 - spec.dropout()); // DL4J takes the probability of keeping a unit
            }
            list.layer(i, dense.build());
            i++;
            if (spec.batchNorm()) {
                list.layer(i, new BatchNormalization.Builder().name(layerName(i)).nIn(width).nOut(width).build());
                i++;
            }
            nIn = width;
            hiddenInput = true;
        }
        LossFunctions.LossFunction loss = lossFunction(spec.loss());
        OutputLayer.Builder output = new OutputLayer.Builder(loss).name(layerName(i)).nIn(nIn).nOut(numClasses)
                .activation(Activation.SOFTMAX);
        if (hiddenInput && spec.dropout() > 0) {
            output.dropOut(1.0 - spec.dropout());
        }
        list.layer(i, output.build());
        MultiLayerConfiguration conf = list.build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** The layers as announced in {@code run-started}, input side first. */
    public static List<LayerInfo> describe(RunSpec spec, int numFeatures, int numClasses) {
        List<LayerInfo> layers = new ArrayList<>();
        int nIn = numFeatures;
        String init = spec.initStd() == null ? spec.weightInit() : spec.weightInit() + "(std=" + spec.initStd() + ")";
        int i = 0;
        for (int width : spec.hiddenLayers()) {
            layers.add(new LayerInfo(layerName(i), "dense", nIn, width, spec.activation(), init));
            i++;
            if (spec.batchNorm()) {
                layers.add(new LayerInfo(layerName(i), "batchnorm", width, width, "identity", "gamma=1,beta=0"));
                i++;
            }
            nIn = width;
        }
        layers.add(new LayerInfo(layerName(i), "output", nIn, numClasses, "softmax", init));
        return layers;
    }

    /** The DL4J loss of a spec's {@code loss}. */
    public static LossFunctions.LossFunction lossFunction(String loss) {
        return switch (loss) {
            case "negativeloglikelihood" -> LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD;
            case "mse" -> LossFunctions.LossFunction.MSE;
            default -> LossFunctions.LossFunction.MCXENT;
        };
    }

    static Activation activation(String name) {
        return switch (name) {
            case "leakyrelu" -> Activation.LEAKYRELU;
            default -> Activation.valueOf(name.toUpperCase(Locale.ROOT));
        };
    }

    static IWeightInit weightInit(RunSpec spec) {
        return switch (spec.weightInit()) {
            case "normal" -> new WeightInitDistribution(new NormalDistribution(0, spec.initStd()));
            case "uniform" -> new WeightInitDistribution(new UniformDistribution(-spec.initStd(), spec.initStd()));
            default -> WeightInit.valueOf(spec.weightInit().toUpperCase(Locale.ROOT)).getWeightInitFunction();
        };
    }

    /** The optimiser with the spec's learning rate or schedule. */
    static IUpdater updater(RunSpec spec) {
        ISchedule schedule = schedule(spec);
        double lr = spec.learningRate();
        return switch (spec.optimizer()) {
            case "sgd" -> schedule == null ? new Sgd(lr) : new Sgd(schedule);
            case "momentum", "nesterov" -> schedule == null ? new Nesterovs(lr, spec.momentum())
                    : new Nesterovs(schedule, spec.momentum());
            case "rmsprop" -> schedule == null ? new RmsProp(lr) : new RmsProp(schedule);
            case "adagrad" -> schedule == null ? new AdaGrad(lr) : new AdaGrad(schedule);
            default -> schedule == null ? new Adam(lr) : new Adam(schedule);
        };
    }

    static ISchedule schedule(RunSpec spec) {
        if (spec.schedule() != null && !LearningRateSchedule.CONSTANT.equals(spec.schedule().type())) {
            return Dl4jSchedule.of(spec.schedule(), spec.learningRate());
        }
        if (spec.lrSchedule() == null) {
            return null;
        }
        Map<Integer, Double> values = new HashMap<>(spec.lrSchedule());
        return new MapSchedule(ScheduleType.ITERATION, values);
    }
}
