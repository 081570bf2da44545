package io.trainwatch.examples.cnn;

import io.trainwatch.dl4j.Trainwatch;
import io.trainwatch.dl4j.TrainwatchListener;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A training program of its own, as a user writes one: a small convolutional network (conv-pool-conv-pool-dense-
 * softmax) on synthetic images (each class a Gaussian blob at its own place on a ring, with noise; nothing to
 * download), trained batch by batch with {@code fit(DataSet)}, validated every few steps. The three Trainwatch
 * lines are the listener's {@code try}, {@code addListeners} and the stop check; everything else is plain DL4J.
 *
 * <pre>
 * java -cp ... io.trainwatch.examples.cnn.TrainCnn [--bootstrap 127.0.0.1:9092] [--run-id ID] [--control auto|suggest|off]
 *     [--steps 600] [--size 16] [--classes 4] [--batch 32] [--learning-rate 0.002] [--validate-every 25]
 *     [--pathology none|diverge|plateau] [--seed 7]
 * </pre>
 * {@code --pathology diverge} trains with plain SGD at rate 50 (the loss explodes within a few steps: the monitor
 * reports exploding gradients and divergence, and a tuner steering the run in {@code auto} stops it);
 * {@code plateau} with a rate too small to learn in the budget (the loss stays flat: a plateau, and in {@code auto}
 * a learning-rate decay). Exits 0 when the run finished (completed or stopped by the tuner), 1 on a bad argument.
 */
public final class TrainCnn {

    private TrainCnn() {
    }

    public static void main(String[] args) {
        Map<String, String> o;
        try {
            o = options(args);
        } catch (IllegalArgumentException e) {
            System.err.println("TrainCnn: " + e.getMessage());
            System.exit(1);
            return;
        }
        String bootstrap = o.get("bootstrap");
        String runId = o.getOrDefault("run-id", "cnn-" + Long.toString(System.currentTimeMillis(), 36));
        String control = o.get("control");
        int steps = Integer.parseInt(o.get("steps"));
        int size = Integer.parseInt(o.get("size"));
        int classes = Integer.parseInt(o.get("classes"));
        int batch = Integer.parseInt(o.get("batch"));
        int validateEvery = Integer.parseInt(o.get("validate-every"));
        long seed = Long.parseLong(o.get("seed"));
        String pathology = o.get("pathology");

        IUpdater updater = switch (pathology) {
            case "diverge" -> new Sgd(50.0);
            case "plateau" -> new Adam(1e-6);
            default -> new Adam(Double.parseDouble(o.get("learning-rate")));
        };
        MultiLayerNetwork net = new MultiLayerNetwork(cnn(size, classes, updater, seed));
        net.init();
        DataSet train = images(size, classes, 2048, seed);
        DataSet validation = images(size, classes, 256, seed + 1);
        List<DataSet> batches = train.batchBy(batch);

        TrainwatchListener.Builder b = Trainwatch.listener().runId(runId).numClasses(classes).loss("mcxent")
                .dataset("synthetic blobs " + size + "x" + size + "x1, " + classes + " classes");
        if (bootstrap != null) {
            b.bootstrapServers(bootstrap);
        }
        if (control != null) {
            b.control(control);
        }
        System.out.printf("run %s: %d steps of a %dx%d CNN, control %s%n", runId, steps, size, size,
                control == null ? "not declared (off)" : control);
        try (TrainwatchListener tw = b.build()) {
            net.addListeners(tw);
            long step = 0;
            int epoch = 0;
            training:
            while (step < steps) {
                for (DataSet ds : batches) {
                    if (step >= steps || tw.stopRequested()) {
                        break training;
                    }
                    net.fit(ds);
                    step++;
                    if (step % validateEvery == 0 || step == steps) {
                        double vLoss = net.score(validation, false);
                        double vAcc = accuracy(net, validation);
                        tw.run().validation(step - 1, epoch, net.score(), null, vLoss, vAcc);
                        System.out.printf("step %d: loss %.4f, validation loss %.4f, accuracy %.3f, lr %s%n", step - 1,
                                net.score(), vLoss, vAcc, tw.learningRate());
                    }
                }
                epoch++;
            }
            System.out.printf("run %s: %s after %d steps%n", runId,
                    tw.stopRequested() ? "stopped by the tuner" : "done", step);
        }
    }

    static MultiLayerConfiguration cnn(int size, int classes, IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).updater(updater).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                .setInputType(InputType.convolutional(size, size, 1)).build();
    }

    /** {@code n} seeded images in NCHW: class c is a Gaussian blob centred on the ring at angle 2 pi c / classes. */
    static DataSet images(int size, int classes, int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * size * size];
        float[] y = new float[n * classes];
        double radius = size / 4.0;
        double sigma = size / 7.0;
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(classes);
            y[i * classes + c] = 1;
            double angle = 2 * Math.PI * c / classes;
            double cx = size / 2.0 + radius * Math.cos(angle) + r.nextGaussian();
            double cy = size / 2.0 + radius * Math.sin(angle) + r.nextGaussian();
            for (int py = 0; py < size; py++) {
                for (int px = 0; px < size; px++) {
                    double d2 = (px - cx) * (px - cx) + (py - cy) * (py - cy);
                    x[i * size * size + py * size + px] =
                            (float) (Math.exp(-d2 / (2 * sigma * sigma)) + 0.3 * r.nextGaussian());
                }
            }
        }
        return new DataSet(Nd4j.create(x, new long[]{n, 1, size, size}, 'c'), Nd4j.create(y, new long[]{n, classes}, 'c'));
    }

    private static double accuracy(MultiLayerNetwork net, DataSet set) {
        INDArray predicted = Nd4j.argMax(net.output(set.getFeatures(), false), 1);
        INDArray actual = Nd4j.argMax(set.getLabels(), 1);
        long correct = 0;
        for (int i = 0; i < predicted.length(); i++) {
            correct += predicted.getLong(i) == actual.getLong(i) ? 1 : 0;
        }
        return predicted.length() == 0 ? Double.NaN : (double) correct / predicted.length();
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("steps", "600");
        o.put("size", "16");
        o.put("classes", "4");
        o.put("batch", "32");
        o.put("learning-rate", "0.002");
        o.put("validate-every", "25");
        o.put("seed", "7");
        o.put("pathology", "none");
        List<String> known = new ArrayList<>(o.keySet());
        known.addAll(List.of("bootstrap", "run-id", "control"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                throw new IllegalArgumentException("options: --" + String.join(", --", known));
            }
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --NAME VALUE, got '" + args[i] + "'");
            }
            String name = args[i].substring(2);
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + " (known: --" + String.join(", --", known) + ")");
            }
            o.put(name, args[++i]);
        }
        if (!List.of("none", "diverge", "plateau").contains(o.get("pathology"))) {
            throw new IllegalArgumentException("--pathology must be none, diverge or plateau, was '" + o.get("pathology") + "'");
        }
        if (o.containsKey("control") && !List.of("auto", "suggest", "off").contains(o.get("control"))) {
            throw new IllegalArgumentException("--control must be auto, suggest or off, was '" + o.get("control") + "'");
        }
        for (String k : List.of("steps", "size", "classes", "batch", "validate-every")) {
            try {
                if (Integer.parseInt(o.get(k)) < 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + k + " must be a whole number >= 1, was '" + o.get(k) + "'");
            }
        }
        return o;
    }
}
