package io.trainwatch.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Points a Quarkus test at the JVM's one shared {@link TestKafka} broker through
 * {@code kafka.bootstrap.servers}; {@link #stop()} leaves the broker running for the next test class
 * (a shutdown hook stops it at JVM exit).
 *
 * <p>Use it as {@code @QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)}
 * or {@code @WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)}: with
 * any scope the broker starts once per JVM.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", TestKafka.bootstrapServers());
    }

    @Override
    public void stop() {
        // The broker is shared by every test class of the JVM: TestKafka's shutdown hook stops it.
    }
}
