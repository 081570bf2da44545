package io.trainwatch.dl4j;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.adapter.MultiDataSetIteratorAdapter;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A ComputationGraph trained with {@code fit(MultiDataSetIterator, epochs)} through {@link Trainwatch#iterator}:
 * a stop asked during training ends fit after the step in progress, and the graph's steps are counted by the
 * listener (no broker needed: with none, nothing waits for it).
 */
class GraphStopTest {

    @Test
    void aStopEndsFitOfAGraph() {
        ComputationGraphConfiguration conf = LayerTypesTelemetryTest.base().graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        TrainwatchListener tw = Trainwatch.listener().bootstrapServers("127.0.0.1:1").numClasses(3).build();
        graph.addListeners(tw);
        MultiDataSetIteratorAdapter data = new MultiDataSetIteratorAdapter(
                new ListDataSetIterator<>(ListenerKafkaIT.batches(20, 8), 8)) {
            @Override
            public MultiDataSet next() {
                if (tw.steps() == 3) {
                    tw.requestStop("enough");
                }
                return super.next();
            }
        };
        graph.fit(Trainwatch.iterator(data, tw), 2);
        assertThat(tw.steps()).as("the step in progress when the stop came was the last").isEqualTo(4);
        assertThat(tw.run().lastStep()).isEqualTo(3);
        tw.client().close(Duration.ofMillis(200));
        tw.close();
        assertThat(tw.run().isFinished()).isTrue();
    }
}
