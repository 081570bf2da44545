package io.trainwatch.client;

import io.trainwatch.events.Topics;
import io.trainwatch.kafka.BrokerProperties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real one-node KRaft broker in this JVM on ports chosen up front, so that a client can be pointed at it before
 * it runs and it can be stopped and started again on the same address and storage (the shared test broker of
 * {@code TestKafka} picks its ports at start and is never stopped). The settings are those of the local broker
 * ({@code LocalKafka}): local-kafka's {@link BrokerProperties}.
 */
final class StoppableBroker implements AutoCloseable {

    private final int port;
    private final int controllerPort;
    private final Path logDir;
    private boolean formatted;
    private KafkaRaftServer server;

    StoppableBroker() throws IOException {
        this.port = freePort();
        int c = freePort();
        while (c == port) {
            c = freePort();
        }
        this.controllerPort = c;
        this.logDir = Files.createTempDirectory("trainwatch-stoppable-kafka-");
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker (formatting its storage the first time) and creates the contract's topics. */
    void start() throws Exception {
        Properties p = BrokerProperties.singleNode("127.0.0.1", port, controllerPort, logDir);
        if (!formatted) {
            BrokerProperties.format(logDir);
            formatted = true;
        }
        server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
        server.startup();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000))) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            Topics.createMissing(admin, Duration.ofSeconds(60));
        }
    }

    void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        try (var files = Files.walk(logDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
