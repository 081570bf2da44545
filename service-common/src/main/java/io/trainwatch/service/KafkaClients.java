package io.trainwatch.service;

import io.smallrye.common.annotation.Identifier;
import io.trainwatch.client.KafkaSettings;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;

/**
 * Client settings for every Kafka client of a service: everything under {@code kafka.} in the
 * configuration (bootstrap servers, and TLS/SASL settings such as {@code kafka.security.protocol},
 * {@code kafka.sasl.mechanism}, {@code kafka.sasl.jaas.config}, {@code kafka.ssl.truststore.location},
 * or their {@code KAFKA_*} environment variables) passes through unchanged. The settings of each kind of
 * client are built by {@link KafkaSettings} of trainwatch-client, which programs using the client read the same
 * way.
 */
@ApplicationScoped
public class KafkaClients {

    private final KafkaSettings settings;

    public KafkaClients(@Identifier("default-kafka-broker") Map<String, Object> config) {
        this.settings = KafkaSettings.of(config);
    }

    /** The settings as the client library sees them. */
    public KafkaSettings settings() {
        return settings;
    }

    /** The pass-through settings, bootstrap servers included. */
    public Map<String, Object> common() {
        return settings.common();
    }

    public String bootstrapServers() {
        return settings.bootstrapServers();
    }

    /** An idempotent producer of String keys (runId) and JSON bytes. */
    public Map<String, Object> producer(String clientId) {
        return settings.producer(clientId);
    }

    /**
     * A consumer of String keys and raw bytes, so that unreadable records reach the DLQ intact. It reads only
     * committed records: the monitor writes {@code training.alerts} in exactly-once transactions, and an alert of a
     * transaction aborted by a killed monitor (which its successor writes again) must not reach the tuner or chat.
     */
    public Map<String, Object> consumer(String groupId, String clientId) {
        return settings.consumer(groupId, clientId);
    }

    public Map<String, Object> admin(String clientId) {
        return settings.admin(clientId);
    }
}
