package io.trainwatch.dl4j;

import io.trainwatch.kafka.TestKafka;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listener's overhead on a LeNet-sized CNN (conv 5x5x20, max-pool, conv 5x5x50, max-pool, dense 500, softmax
 * 10: 431,080 parameters; Adam) on synthetic 28x28 images, batch 64: step time of {@code fit} with the
 * {@link TrainwatchListener} (every step measured and published) against the same network without it, in one JVM.
 * Both are warmed up, then run in alternating blocks (ABBA, so that load changes on a shared machine hit both
 * alike); it prints the medians, their ratio, the median of the per-pair ratios of block medians, p99 and the load
 * average. Once with the real broker, once with none. Run with
 * {@code mvn -B -o -pl trainwatch-dl4j -am test -Dtest=CnnListenerBenchmark -DexcludedGroups= -Dgroups=slow
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code -Dbench.blocks=20 -Dbench.blockSteps=5 -Dbench.warmup=10}).
 */
@Tag("slow")
class CnnListenerBenchmark {

    static final int BLOCKS = Integer.getInteger("bench.blocks", 20);
    static final int BLOCK_STEPS = Integer.getInteger("bench.blockSteps", 5);
    static final int WARMUP = Integer.getInteger("bench.warmup", 10);
    static final int BATCH = 64;

    @Test
    void overheadWithTheBrokerUp() {
        measure(TestKafka.bootstrapServers(), "broker up");
    }

    @Test
    void overheadWithTheBrokerDown() {
        measure("127.0.0.1:1", "broker down");
    }

    static MultiLayerNetwork lenet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(12).weightInit(WeightInit.XAVIER)
                .updater(new Adam(1e-3)).list()
                .layer(new ConvolutionLayer.Builder(5, 5).nIn(1).stride(1, 1).nOut(20).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).stride(1, 1).nOut(50).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().activation(Activation.RELU).nOut(500).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private void measure(String bootstrap, String label) {
        Random random = new Random(4);
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            INDArray x = Nd4j.rand(BATCH, 28 * 28);
            INDArray y = Nd4j.zeros(BATCH, 10);
            for (int i = 0; i < BATCH; i++) {
                y.putScalar(i, random.nextInt(10), 1.0);
            }
            batches.add(new DataSet(x, y));
        }
        MultiLayerNetwork plain = lenet();
        MultiLayerNetwork watched = lenet();
        TrainwatchListener tw = Trainwatch.listener().runId("bench-cnn-" + label.replace(' ', '-') + "-" + System.nanoTime())
                .bootstrapServers(bootstrap).numClasses(10).loss("negativeloglikelihood").dataset("synthetic 28x28")
                .control("off").build();
        watched.addListeners(tw);
        String loadBefore = loadAverage();
        int[] next = {0};
        for (int i = 0; i < WARMUP; i++) {
            plain.fit(batches.get(next[0]++ % batches.size()));
            watched.fit(batches.get(next[0]++ % batches.size()));
        }
        double[] a = new double[BLOCKS * BLOCK_STEPS];
        double[] b = new double[BLOCKS * BLOCK_STEPS];
        double[] pairRatios = new double[BLOCKS];
        for (int p = 0; p < BLOCKS; p++) {
            boolean aFirst = p % 2 == 0;
            for (int half = 0; half < 2; half++) {
                boolean runA = (half == 0) == aFirst;
                MultiLayerNetwork net = runA ? plain : watched;
                double[] into = runA ? a : b;
                for (int s = 0; s < BLOCK_STEPS; s++) {
                    DataSet d = batches.get(next[0]++ % batches.size());
                    long t0 = System.nanoTime();
                    net.fit(d);
                    into[p * BLOCK_STEPS + s] = (System.nanoTime() - t0) / 1e6;
                }
            }
            pairRatios[p] = median(Arrays.copyOfRange(b, p * BLOCK_STEPS, (p + 1) * BLOCK_STEPS))
                    / median(Arrays.copyOfRange(a, p * BLOCK_STEPS, (p + 1) * BLOCK_STEPS));
        }
        tw.close();
        String loadAfter = loadAverage();
        double medianA = median(a);
        double medianB = median(b);
        System.out.printf(Locale.ROOT,
                "CNN listener overhead (%s): LeNet %d params, batch %d, %d x %d steps per variant after %d warm-up%n"
                        + "  median A (no listener) %.2f ms, median B (listener) %.2f ms, ratio B/A %.3f, "
                        + "median pair ratio %.3f%n  p99 A %.2f ms, p99 B %.2f ms; load %s -> %s; dropped %d%n",
                label, plain.numParams(), BATCH, BLOCKS, BLOCK_STEPS, WARMUP, medianA, medianB, medianB / medianA,
                median(pairRatios), percentile(a, 0.99), percentile(b, 0.99), loadBefore, loadAfter,
                tw.client().buffer().droppedTotal());
        assertThat(tw.steps()).isEqualTo(WARMUP + (long) BLOCKS * BLOCK_STEPS);
    }

    static double median(double[] v) {
        return percentile(v, 0.5);
    }

    static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * (s.length - 1) + 0.5))];
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }
}
