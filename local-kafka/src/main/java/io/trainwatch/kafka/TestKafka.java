package io.trainwatch.kafka;

import io.trainwatch.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.server.common.MetadataVersion;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

/**
 * One real Apache Kafka broker per test JVM (KRaft, one combined node, in-process), started on first
 * use with every topic of {@link Topics#ALL}, shared by all test classes and stopped at JVM exit.
 *
 * <p>Quarkus runs tests in class loaders of their own, one per application start. So that those
 * share the one broker too, every copy of this class hands over to the copy loaded by the system
 * class loader, which lives as long as the JVM.
 */
public final class TestKafka {

    /** The Kafka logger categories held at WARN (at INFO they print ~1,700 lines per test run). */
    private static final List<String> KAFKA_CATEGORIES = List.of("kafka", "org.apache.kafka", "state.change.logger");

    /** JUL keeps loggers weakly: the levels set on them last only as long as these references. */
    private static final List<java.util.logging.Logger> QUIETED = new ArrayList<>();

    /** The broker listener of the shared broker (PLAINTEXT): the name Kafka's test kit gives it by default. */
    private static final String SHARED_LISTENER = "EXTERNAL";

    private static String bootstrapServers;

    private TestKafka() {
    }

    /** The broker's address, {@code host:port}; starts the broker on the first call in this JVM. */
    public static String bootstrapServers() {
        ClassLoader system = ClassLoader.getSystemClassLoader();
        if (TestKafka.class.getClassLoader() != system) {
            Class<?> shared;
            try {
                shared = Class.forName(TestKafka.class.getName(), true, system);
            } catch (ClassNotFoundException | LinkageError e) {
                shared = TestKafka.class; // not on the system class path: this copy runs the broker
            }
            if (shared != TestKafka.class) {
                try {
                    return (String) shared.getMethod("bootstrapServers").invoke(null);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot reach the shared TestKafka", e);
                }
            }
        }
        return startOnce();
    }

    /** Settings for {@code Admin.create}. A new mutable map on each call. */
    public static Map<String, Object> adminConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return config;
    }

    /** Settings for a {@code KafkaProducer<String, String>} that waits for the broker's acknowledgement. */
    public static Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return config;
    }

    /** Settings for a {@code KafkaConsumer<String, String>} in {@code group} that reads from the start. */
    public static Map<String, Object> consumerConfig(String group) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return config;
    }

    /**
     * Creates a topic with {@code partitions} partitions (replication factor 1) unless it exists;
     * returns its name. Topic auto-creation is off, as on the local broker.
     */
    public static String createTopic(String name, int partitions) {
        try (Admin admin = Admin.create(adminConfig())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name, e);
        }
        return name;
    }

    private static synchronized String startOnce() {
        if (bootstrapServers == null) {
            // Kafka loads some classes by name through the context class loader (the share-group
            // persister, for one), and its threads inherit the loader from the thread that makes them:
            // under Quarkus that would be a test class loader, not the one that loaded Kafka here.
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(TestKafka.class.getClassLoader());
            try {
                long started = System.nanoTime();
                bootstrapServers = startCluster(SHARED_LISTENER, Map.of())
                        .cluster().bootstrapServers();
                System.out.printf("TestKafka: broker on %s, ready in %d ms%n", bootstrapServers,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
        return bootstrapServers;
    }

    /**
     * A broker with a SASL_SSL client listener (SCRAM-SHA-512 over TLS, a throw-away CA made here) and the given
     * SCRAM users, apart from the shared one: see {@link SecuredKafka}. The caller closes it.
     */
    public static SecuredKafka startSecured(Map<String, String> users) {
        return SecuredKafka.start(users);
    }

    /** A started cluster and the shutdown hook that stops it when the JVM exits. */
    record Started(KafkaClusterTestKit cluster, Thread shutdownHook) {
    }

    /**
     * Starts a one-node cluster whose broker listener (PLAINTEXT, used between broker and clients of the
     * test setup) is {@code brokerListener}, with {@code extraConfig} on top of the settings below, creates the
     * contract's topics and registers a shutdown hook that stops it.
     */
    static Started startCluster(String brokerListener, Map<String, String> extraConfig) {
        quietKafkaLogs();
        KafkaClusterTestKit cluster = null;
        try {
            // Our own temporary directory: the default one comes with Kafka's shutdown hook that deletes
            // it while the broker may still be writing, and Kafka then halts the JVM with status 1.
            Path baseDirectory = Files.createTempDirectory("trainwatch-test-kafka-");
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setBaseDirectory(baseDirectory)
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBrokerListenerName(new ListenerName(brokerListener))
                    .setBootstrapMetadataVersion(MetadataVersion.LATEST_PRODUCTION) // as LocalKafka
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("transaction.state.log.num.partitions", "1")
                    .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                    .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "false");
            extraConfig.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            String servers = cluster.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
                Topics.createMissing(admin, java.time.Duration.ofSeconds(60));
            }
            KafkaClusterTestKit toClose = cluster;
            Thread hook = new Thread(() -> {
                // The JVM is going away: a fault while the broker stops must not turn the test
                // run's exit status into 1 (Kafka halts the JVM on some faults).
                Exit.setHaltProcedure((status, message) ->
                        System.err.println("TestKafka: ignored halt(" + status + ") while stopping: " + message));
                Exit.setExitProcedure((status, message) ->
                        System.err.println("TestKafka: ignored exit(" + status + ") while stopping: " + message));
                try {
                    toClose.close(); // also deletes the base directory
                } catch (Exception e) {
                    System.err.println("TestKafka: broker did not stop cleanly: " + e);
                }
            }, "test-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            return new Started(cluster, hook);
        } catch (Exception e) {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("the test Kafka broker did not start", e);
        }
    }

    /**
     * Holds Kafka's categories at WARN unless something set their level already. This reaches the
     * JBoss LogManager of Quarkus tests (which has JUL's loggers) before Quarkus configures logging;
     * where log4j 2 is the binding (this module), {@code log4j2-test.xml} does the same.
     */
    private static void quietKafkaLogs() {
        for (String category : KAFKA_CATEGORIES) {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(category);
            if (logger.getLevel() == null) {
                logger.setLevel(Level.WARNING);
            }
            QUIETED.add(logger);
        }
    }
}
