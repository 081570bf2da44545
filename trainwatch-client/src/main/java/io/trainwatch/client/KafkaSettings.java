package io.trainwatch.client;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Kafka client settings of Trainwatch, read the same way by the services and by the client library: every
 * {@code kafka.*} property (or {@code KAFKA_*} environment variable) passes through to the Kafka clients without
 * its prefix, so the broker address and TLS/SASL are plain settings ({@code KAFKA_BOOTSTRAP_SERVERS},
 * {@code KAFKA_SECURITY_PROTOCOL=SASL_SSL}, {@code KAFKA_SASL_MECHANISM}, {@code KAFKA_SASL_JAAS_CONFIG},
 * {@code KAFKA_SSL_TRUSTSTORE_LOCATION}, ...). It also builds the producer, consumer and admin settings every
 * Trainwatch client uses. Immutable.
 */
public final class KafkaSettings {

    /** The prefix of the properties that pass through ({@code kafka.bootstrap.servers}). */
    public static final String PROPERTY_PREFIX = "kafka.";
    /** The prefix of the environment variables that pass through ({@code KAFKA_BOOTSTRAP_SERVERS}). */
    public static final String ENV_PREFIX = "KAFKA_";
    /** What an address-less program talks to: the local broker of {@code ./trainwatch up}. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    /**
     * Environment variables of Kafka's own scripts and images that are not client settings (they would only
     * make the clients warn about unknown configs).
     */
    private static final Set<String> NOT_CLIENT_SETTINGS = Set.of("KAFKA_HOME", "KAFKA_DEBUG", "KAFKA_OPTS",
            "KAFKA_HEAP_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JMX_OPTS", "KAFKA_GC_LOG_OPTS",
            "KAFKA_VERSION", "KAFKA_NODE_ID", "KAFKA_PROCESS_ROLES", "KAFKA_CLUSTER_ID");

    private final Map<String, Object> common;

    private KafkaSettings(Map<String, Object> common) {
        this.common = Map.copyOf(common);
    }

    /**
     * Settings given as client keys ({@code bootstrap.servers}, {@code security.protocol}), e.g. what Quarkus
     * collected from its {@code kafka.*} configuration. Null values are left out.
     */
    public static KafkaSettings of(Map<String, ?> clientSettings) {
        Map<String, Object> m = new HashMap<>();
        clientSettings.forEach((k, v) -> {
            if (k != null && v != null) {
                m.put(k, v);
            }
        });
        return new KafkaSettings(m);
    }

    /** The settings of this process: {@code KAFKA_*} environment variables, overridden by {@code -Dkafka.*}. */
    public static KafkaSettings fromEnvironment() {
        return from(System.getenv(), System.getProperties());
    }

    /**
     * Settings from environment variables ({@code KAFKA_SASL_JAAS_CONFIG} becomes {@code sasl.jaas.config}) and
     * properties ({@code kafka.sasl.jaas.config}); a property wins over the variable of the same setting.
     */
    public static KafkaSettings from(Map<String, String> environment, Properties properties) {
        Map<String, Object> m = new TreeMap<>();
        environment.forEach((k, v) -> {
            if (k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length() && !NOT_CLIENT_SETTINGS.contains(k)
                    && v != null) {
                m.put(k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        for (String k : properties.stringPropertyNames()) {
            if (k.startsWith(PROPERTY_PREFIX) && k.length() > PROPERTY_PREFIX.length()) {
                m.put(k.substring(PROPERTY_PREFIX.length()), properties.getProperty(k));
            }
        }
        return new KafkaSettings(m);
    }

    /** These settings with another value for one client setting. */
    public KafkaSettings with(String key, Object value) {
        Map<String, Object> m = new HashMap<>(common);
        m.put(key, value);
        return new KafkaSettings(m);
    }

    /** These settings with another broker address. */
    public KafkaSettings withBootstrapServers(String bootstrapServers) {
        return with(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }

    /** The pass-through settings, bootstrap servers included (an immutable map). */
    public Map<String, Object> common() {
        return common;
    }

    /** The broker address, or {@link #DEFAULT_BOOTSTRAP_SERVERS} when none is set. */
    public String bootstrapServers() {
        Object b = common.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        return b == null ? DEFAULT_BOOTSTRAP_SERVERS : String.valueOf(b);
    }

    /** An idempotent producer ({@code acks=all}) of String keys (runId) and JSON bytes. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> p = withAddress();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    /**
     * A consumer of String keys and raw bytes (so that unreadable records reach a dead-letter topic intact),
     * from the earliest offset, without auto-commit. It reads only committed records: the monitor writes
     * {@code training.alerts} in exactly-once transactions, and an alert of an aborted transaction must not
     * reach the tuner or chat. {@code groupId} null: no group (the caller assigns partitions itself).
     */
    public Map<String, Object> consumer(String groupId, String clientId) {
        Map<String, Object> c = withAddress();
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        } else {
            c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        }
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return c;
    }

    public Map<String, Object> admin(String clientId) {
        Map<String, Object> a = withAddress();
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return a;
    }

    private Map<String, Object> withAddress() {
        Map<String, Object> m = new HashMap<>(common);
        m.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        return m;
    }

    /** The settings with secrets (passwords, JAAS configurations) masked, for logs. */
    @Override
    public String toString() {
        Map<String, Object> shown = new TreeMap<>();
        common.forEach((k, v) -> shown.put(k, k.contains("password") || k.contains("jaas") || k.contains("secret")
                || k.contains("key") && !k.contains("serializer") ? "[hidden]" : v));
        return "KafkaSettings" + shown;
    }
}
