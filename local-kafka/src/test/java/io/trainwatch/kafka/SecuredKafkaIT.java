package io.trainwatch.kafka;

import io.trainwatch.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** {@link TestKafka#startSecured}: SCRAM users over TLS produce and consume, a wrong password is refused. */
class SecuredKafkaIT {

    @Test
    void aUserWithItsPasswordProducesAndConsumesOverSaslSslAndAWrongPasswordIsRefused() throws Exception {
        String password = "pw-" + UUID.randomUUID();
        String topic = "secured-" + UUID.randomUUID();
        Path truststore;
        try (SecuredKafka kafka = TestKafka.startSecured(Map.of("alice", password))) {
            truststore = kafka.truststore();
            assertThat(truststore).isRegularFile();
            assertThat(java.nio.file.Files.readString(kafka.caCertificate()))
                    .as("the CA as PEM, for clients without PKCS12 (librdkafka)").startsWith("-----BEGIN CERTIFICATE-----");
            assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:").isNotEqualTo(kafka.internalBootstrapServers());
            try (Admin admin = Admin.create(kafka.clientConfig("alice", password))) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(Topics.TRAINING_EVENTS, topic);
            }

            Map<String, Object> producer = kafka.clientConfig("alice", password);
            producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            try (KafkaProducer<String, String> p = new KafkaProducer<>(producer)) {
                p.send(new ProducerRecord<>(topic, "k", "over TLS")).get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> consumer = kafka.clientConfig("alice", password);
            consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            List<String> read = new ArrayList<>();
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumer)) {
                TopicPartition tp = new TopicPartition(topic, 0);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (read.isEmpty() && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        read.add(r.value());
                    }
                }
            }
            assertThat(read).containsExactly("over TLS");

            Map<String, Object> wrong = kafka.clientConfig("alice", "not-" + password);
            try (Admin admin = Admin.create(wrong)) {
                Throwable refused = catchThrowable(() -> admin.describeCluster().nodes().get(20, TimeUnit.SECONDS));
                assertThat(refused).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }
        }
        assertThat(truststore).doesNotExist();
    }
}
