package io.trainwatch.monitor.stream;

import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumers of every service (the tuner, chat, the live page) read alerts as the monitor commits them: an
 * alert of an aborted transaction, which a killed monitor leaves on the topic and its successor writes again, is
 * never delivered.
 */
class ReadCommittedIT {

    @Test
    void anAbortedAlertIsNotDelivered() throws Exception {
        String topic = TestKafka.createTopic("read-committed-" + UUID.randomUUID().toString().substring(0, 8), 1);
        KafkaClients clients = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
        Map<String, Object> p = new HashMap<>(clients.producer("read-committed-test"));
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "read-committed-" + UUID.randomUUID());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "run", bytes("aborted")));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "run", bytes("committed")));
            producer.commitTransaction();
        }
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(clients.consumer("read-committed-"
                + UUID.randomUUID(), "read-committed-test"))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (read.isEmpty() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(read).containsExactly("committed");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
