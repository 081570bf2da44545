package io.trainwatch.dl4j;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.kafka.TestKafka;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The listener over the real broker: a {@code set-learning-rate} written to {@code tuner.commands} while
 * {@code fit} runs changes the rate used from the next step on (checked on SGD's actual updates) and is confirmed
 * by {@code command-applied}; a suggestion is handed to the suggestion listener and not applied; a {@code stop}
 * ends {@code fit(iterator, epochs)} after the step in progress, and {@code close()} reports {@code stopped}.
 */
class ListenerKafkaIT {

    @Test
    void aCommandChangesTheRateAtTheNextStepAndAStopEndsFit() throws Exception {
        String runId = "dl4j-it-" + System.nanoTime();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        List<TunerCommand> suggestions = new CopyOnWriteArrayList<>();
        TrainwatchListener tw = Trainwatch.listener().runId(runId).bootstrapServers(TestKafka.bootstrapServers())
                .numClasses(3).loss("mcxent").dataset("random").control("auto").suggestions(suggestions::add).build();
        net.addListeners(tw);
        await().atMost(Duration.ofSeconds(60)).until(() -> tw.client().commandsReady());

        // Before step 5 the tuner decays the rate (and suggests another); before step 12 it stops the run.
        DataSetIterator gated = new ListDataSetIterator<>(batches(60, 8), 8) {
            @Override
            public DataSet next() {
                if (tw.steps() == 5) {
                    send(command(runId, "c1", TunerCommand.SET_LEARNING_RATE, 0.01, null));
                    send(command(runId, "s1", TunerCommand.SET_LEARNING_RATE, 0.9, TunerCommand.SUGGEST));
                    await().atMost(Duration.ofSeconds(30)).until(() -> tw.run().hasPendingCommand()
                            && suggestions.size() == 1);
                } else if (tw.steps() == 12) {
                    send(command(runId, "c2", TunerCommand.STOP, null, null));
                    await().atMost(Duration.ofSeconds(30)).until(() -> tw.run().hasPendingCommand());
                }
                return super.next();
            }
        };
        net.fit(Trainwatch.iterator(gated, tw), 3);
        tw.close();

        assertThat(tw.steps()).as("fit ended after the step in progress when the stop came").isEqualTo(13);
        assertThat(tw.stopRequested()).isTrue();
        assertThat(net.getLearningRate(0)).isEqualTo(0.01);

        List<TrainingEvent> events = read(runId);
        RunStarted started = (RunStarted) events.get(0);
        assertThat(started.control().mode()).isEqualTo("auto");
        assertThat(started.config().numClasses()).isEqualTo(3);
        assertThat(started.config().lossFunction()).isEqualTo("cross-entropy");
        assertThat(started.config().optimizer()).isEqualTo("sgd");
        assertThat(started.config().batchSize()).isEqualTo(8);
        assertThat(started.config().layers()).extracting(l -> l.name() + ":" + l.type() + ":" + l.nIn() + ":" + l.nOut())
                .containsExactly("layer0:dense:4:8", "layer1:output:8:3");

        List<StepEvent> steps = events.stream().filter(e -> e instanceof StepEvent).map(e -> (StepEvent) e).toList();
        assertThat(steps).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        List<CommandApplied> applied = events.stream().filter(e -> e instanceof CommandApplied)
                .map(e -> (CommandApplied) e).toList();
        assertThat(applied).extracting(CommandApplied::commandId).containsExactly("c1", "c2");
        assertThat(applied.get(0).step()).isEqualTo(6);
        assertThat(applied.get(0).details()).containsEntry("previousLearningRate", 0.1).containsEntry("learningRate", 0.01);
        for (StepEvent s : steps) {
            double rate = s.step() < 6 ? 0.1 : 0.01;
            assertThat(s.learningRate()).as("rate of step %d", s.step()).isEqualTo(rate);
            // SGD: the update of each layer is rate x its mean gradient: the rate was really used at that step.
            for (String layer : List.of("layer0", "layer1")) {
                double update = s.updateRatios().get(layer) * s.parameterNorms().get(layer);
                assertThat(update).as("update of %s at step %d", layer, s.step())
                        .isCloseTo(rate * s.layerGradientNorms().get(layer), within(1e-6 + 1e-3 * update));
            }
            assertThat(s.accuracy()).isBetween(0.0, 1.0);
            assertThat(s.stepMillis()).isPositive();
        }
        assertThat(suggestions).extracting(TunerCommand::commandId).containsExactly("s1");
        RunFinished finished = (RunFinished) events.get(events.size() - 1);
        assertThat(finished.status()).isEqualTo(RunFinished.STOPPED);
        assertThat(finished.reason()).contains("c2");
        assertThat(finished.step()).isEqualTo(12);
        assertThat(finished.droppedEvents()).isZero();
    }

    static List<DataSet> batches(int n, int size) {
        Random r = new Random(9);
        List<DataSet> list = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            INDArray x = Nd4j.rand(size, 4);
            INDArray y = Nd4j.zeros(size, 3);
            for (int i = 0; i < size; i++) {
                y.putScalar(i, r.nextInt(3), 1.0);
            }
            list.add(new DataSet(x, y));
        }
        // ListDataSetIterator takes single examples: split the batches back into rows.
        List<DataSet> rows = new ArrayList<>();
        for (DataSet d : list) {
            rows.addAll(d.asList());
        }
        return rows;
    }

    static TunerCommand command(String runId, String id, String type, Double rate, String mode) {
        return new TunerCommand(Contract.SCHEMA_VERSION, id, runId, type, rate, "test", null, Instant.now(), null,
                null, mode);
    }

    static void send(TunerCommand c) {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(TestKafka.producerConfig())) {
            p.send(new ProducerRecord<>(Topics.TUNER_COMMANDS, c.runId(),
                    new String(EventCodec.write(c), StandardCharsets.UTF_8))).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The run's events on {@code training.events}, in order, up to its run-finished. */
    static List<TrainingEvent> read(String runId) {
        Map<String, Object> config = TestKafka.consumerConfig("read-" + runId);
        config.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        List<TrainingEvent> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> tps = consumer.partitionsFor(Topics.TRAINING_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && (got.isEmpty() || !(got.get(got.size() - 1) instanceof RunFinished))) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        got.add(EventCodec.readTrainingEvent(r.value()).value());
                    }
                }
            }
        }
        assertThat(got).isNotEmpty();
        assertThat(got.get(got.size() - 1)).isInstanceOf(RunFinished.class);
        return got;
    }
}
