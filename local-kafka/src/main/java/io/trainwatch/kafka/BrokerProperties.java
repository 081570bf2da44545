package io.trainwatch.kafka;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The configuration of a one-node KRaft broker (broker and controller in one process) with a PLAINTEXT client
 * listener, and the formatting of its storage: what {@link LocalKafka} runs, and what a test's broker that must be
 * stopped and started again on the same address uses (trainwatch-client's {@code StoppableBroker}), so that both run
 * with the same settings. Replication factor 1 everywhere, {@code group.initial.rebalance.delay.ms=0},
 * {@code auto.create.topics.enable=false}.
 */
public final class BrokerProperties {

    /** The node id of the one node. */
    public static final int NODE_ID = 1;
    /** The controller's listener (PLAINTEXT, never advertised to clients). */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** The clients' and the broker's listener. */
    public static final String BROKER_LISTENER = "PLAINTEXT";

    private BrokerProperties() {
    }

    /**
     * Clients on {@code host:port}, the controller on {@code host:controllerPort}, data and metadata in
     * {@code logDir}.
     */
    public static Properties singleNode(String host, int port, int controllerPort, Path logDir) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", Integer.toString(NODE_ID));
        p.setProperty("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        p.setProperty("listeners", BROKER_LISTENER + "://" + host + ":" + port + ","
                + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        p.setProperty("advertised.listeners", BROKER_LISTENER + "://" + host + ":" + port);
        p.setProperty("listener.security.protocol.map",
                BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
        p.setProperty("inter.broker.listener.name", BROKER_LISTENER);
        p.setProperty("log.dirs", logDir.toString());
        p.setProperty("metadata.log.dir", logDir.toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        return p;
    }

    /**
     * Formats {@code logDir} for {@link #singleNode} with a new cluster id (nothing happens if it is formatted
     * already); returns the id.
     */
    public static String format(Path logDir) throws Exception {
        String clusterId = Uuid.randomUuid().toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Formatter()
                .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setIgnoreFormatted(true)
                .run();
        return clusterId;
    }
}
