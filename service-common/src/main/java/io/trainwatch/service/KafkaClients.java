package io.trainwatch.service;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Map;

/**
 * Client settings for every Kafka client of a service: everything under {@code kafka.} in the
 * configuration (bootstrap servers, and TLS/SASL settings such as {@code kafka.security.protocol},
 * {@code kafka.sasl.mechanism}, {@code kafka.sasl.jaas.config}, {@code kafka.ssl.truststore.location},
 * or their {@code KAFKA_*} environment variables) passes through unchanged.
 */
@ApplicationScoped
public class KafkaClients {

    private final Map<String, Object> common;

    public KafkaClients(@Identifier("default-kafka-broker") Map<String, Object> config) {
        this.common = Map.copyOf(config);
    }

    /** The pass-through settings, bootstrap servers included. */
    public Map<String, Object> common() {
        return common;
    }

    public String bootstrapServers() {
        return String.valueOf(common.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    /** An idempotent producer of String keys (runId) and JSON bytes. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> p = new HashMap<>(common);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    /**
     * A consumer of String keys and raw bytes, so that unreadable records reach the DLQ intact. It reads only
     * committed records: the monitor writes {@code training.alerts} in exactly-once transactions, and an alert of a
     * transaction aborted by a killed monitor (which its successor writes again) must not reach the tuner or chat.
     */
    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> c = new HashMap<>(common);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return c;
    }

    public Map<String, Object> admin(String clientId) {
        Map<String, Object> a = new HashMap<>(common);
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return a;
    }
}
