package io.trainwatch.client;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The one reader of Kafka settings: environment variables and properties, TLS/SASL passed through. */
class KafkaSettingsTest {

    @Test
    void environmentVariablesAndPropertiesBecomeClientSettings() {
        Properties props = new Properties();
        props.setProperty("kafka.sasl.mechanism", "SCRAM-SHA-512");
        props.setProperty("kafka.bootstrap.servers", "from-property:9093");
        props.setProperty("other.setting", "x");
        KafkaSettings s = KafkaSettings.from(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "from-env:9092",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/ts.p12",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "PATH", "/bin"), props);

        assertThat(s.common()).containsOnly(
                Map.entry("bootstrap.servers", "from-property:9093"),
                Map.entry("security.protocol", "SASL_SSL"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"),
                Map.entry("ssl.truststore.location", "/etc/ts.p12"));
        assertThat(s.bootstrapServers()).isEqualTo("from-property:9093");
        assertThat(s.toString()).doesNotContain("ScramLoginModule").contains("SASL_SSL");
    }

    @Test
    void everyClientGetsTheSecuritySettingsAndItsOwnFixedOnes() {
        KafkaSettings s = KafkaSettings.of(Map.of("bootstrap.servers", "b:1", "security.protocol", "SSL"));
        assertThat(s.producer("p")).containsEntry("security.protocol", "SSL").containsEntry("enable.idempotence", true)
                .containsEntry("acks", "all").containsEntry("client.id", "p").containsEntry("bootstrap.servers", "b:1");
        assertThat(s.consumer("g", "c")).containsEntry("security.protocol", "SSL").containsEntry("group.id", "g")
                .containsEntry("isolation.level", "read_committed").containsEntry("enable.auto.commit", false);
        assertThat(s.consumer(null, "c")).doesNotContainKey("group.id");
        assertThat(s.admin("a")).containsEntry("security.protocol", "SSL").containsEntry("client.id", "a");
    }

    @Test
    void withoutAnAddressTheLocalBrokerIsUsed() {
        KafkaSettings s = KafkaSettings.of(Map.of());
        assertThat(s.bootstrapServers()).isEqualTo(KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS);
        assertThat(s.producer("p")).containsEntry("bootstrap.servers", KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS);
        assertThat(s.withBootstrapServers("x:1").bootstrapServers()).isEqualTo("x:1");
    }
}
