package io.trainwatch.kafka;

import io.trainwatch.events.Topics;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real single-node Apache Kafka broker (KRaft, broker and controller in one process) for the
 * local run, and creates the topics of {@link Topics#ALL}.
 *
 * <p>Settings, each from the command line ({@code --data-dir DIR --host H --port P
 * --controller-port P}), else a system property ({@code trainwatch.kafka.data-dir}, {@code .host},
 * {@code .port}, {@code .controller-port}), else an environment variable
 * ({@code TRAINWATCH_KAFKA_DATA_DIR}, {@code _HOST}, {@code _PORT}, {@code _CONTROLLER_PORT}), else
 * the defaults {@code .trainwatch/kafka}, {@code 127.0.0.1}, {@code 9092}, {@code 9093}.
 *
 * <p>The storage is formatted on the first start only: the cluster id lives in
 * {@code <data-dir>/logs/meta.properties}, so a restart keeps the topics and their records. When the
 * broker takes clients and every topic exists, it prints {@value #READY_PREFIX}{@code host:port}
 * on stdout; SIGTERM shuts it down cleanly.
 */
public final class LocalKafka {

    /** Start of the one line that tells a launcher the broker is usable. */
    public static final String READY_PREFIX = "Kafka ready on ";

    /** The log4j 2 configuration of the standalone broker: Kafka at WARN, our own lines at INFO. */
    static final String LOG_CONFIG = "log4j2-local-kafka.xml";

    static {
        // Before the first logger exists: Kafka's slf4j 1.7 binding is log4j 2 (see the pom).
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        }
        // Our own shutdown hook stops the broker; log4j must still be there to log it.
        System.setProperty("log4j2.shutdownHookEnabled", "false");
    }

    private static final Logger LOG = LoggerFactory.getLogger(LocalKafka.class);

    /** Where and how the broker runs. */
    record Settings(Path dataDir, String host, int port, int controllerPort) {

        String bootstrapServers() {
            return host + ":" + port;
        }

        Path logDir() {
            return dataDir.resolve("logs");
        }

        static Settings from(String[] args, Map<String, String> env) {
            Map<String, String> cli = parseArgs(args);
            String dataDir = pick(cli, env, "data-dir", ".trainwatch/kafka");
            String host = pick(cli, env, "host", "127.0.0.1");
            int port = parsePort("port", pick(cli, env, "port", "9092"));
            int controllerPort = parsePort("controller-port", pick(cli, env, "controller-port", "9093"));
            if (port == controllerPort) {
                throw new IllegalArgumentException("port and controller-port must differ, both are " + port);
            }
            return new Settings(Path.of(dataDir).toAbsolutePath().normalize(), host, port, controllerPort);
        }

        private static String pick(Map<String, String> cli, Map<String, String> env, String name, String fallback) {
            if (cli.containsKey(name)) {
                return cli.get(name);
            }
            String prop = System.getProperty("trainwatch.kafka." + name);
            if (prop != null && !prop.isBlank()) {
                return prop.trim();
            }
            String var = env.get("TRAINWATCH_KAFKA_" + name.toUpperCase().replace('-', '_'));
            if (var != null && !var.isBlank()) {
                return var.trim();
            }
            return fallback;
        }

        private static Map<String, String> parseArgs(String[] args) {
            Set<String> known = Set.of("data-dir", "host", "port", "controller-port");
            Map<String, String> values = new TreeMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                }
                String name = arg.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("missing value after " + arg);
                }
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name + " (known: " + known + ")");
                }
                values.put(name, value);
            }
            return values;
        }

        private static int parsePort(String name, String value) {
            try {
                int port = Integer.parseInt(value.trim());
                if (port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a port number, not '" + value + "'");
            }
        }
    }

    private LocalKafka() {
    }

    public static void main(String[] args) {
        Settings settings;
        try {
            settings = Settings.from(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("local-kafka: " + e.getMessage());
            System.err.println("usage: LocalKafka [--data-dir DIR] [--host HOST] [--port PORT] [--controller-port PORT]");
            System.exit(2);
            return;
        }
        try {
            run(settings);
        } catch (IllegalStateException e) {
            LOG.error("Kafka did not start: {}", e.getMessage());
            System.exit(1);
        } catch (Throwable e) {
            LOG.error("Kafka did not start: {}", e.toString(), e);
            System.exit(1);
        }
    }

    private static void run(Settings settings) throws Exception {
        long started = System.nanoTime();
        requireFree(settings.host(), settings.port(), "port");
        requireFree(settings.host(), settings.controllerPort(), "controller port");

        Properties props = serverProperties(settings);
        Files.createDirectories(settings.logDir());
        writeProperties(props, settings.dataDir().resolve("server.properties"));
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        formatIfNeeded(settings);

        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        Thread hook = new Thread(() -> {
            LOG.info("Stopping Kafka on {}", settings.bootstrapServers());
            server.shutdown();
            server.awaitShutdown();
            LOG.info("Kafka stopped");
        }, "local-kafka-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        server.startup();

        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000))) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            java.util.List<String> created = Topics.createMissing(admin, java.time.Duration.ofSeconds(60));
            if (!created.isEmpty()) {
                LOG.info("Created topics {}", created);
            }
        }
        LOG.info("Kafka started in {} ms, data in {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                settings.dataDir());
        System.out.println(READY_PREFIX + settings.bootstrapServers());
        System.out.flush();
        server.awaitShutdown();
    }

    /** The broker's configuration: one node, replication factor 1 everywhere, no topic auto-creation. */
    static Properties serverProperties(Settings s) {
        return BrokerProperties.singleNode(s.host(), s.port(), s.controllerPort(), s.logDir());
    }

    /** Formats the log directory unless an earlier start did: the cluster id is kept in meta.properties. */
    static void formatIfNeeded(Settings s) throws Exception {
        Path meta = s.logDir().resolve("meta.properties");
        if (Files.exists(meta)) {
            LOG.info("Reusing Kafka storage {} ({})", s.logDir(), clusterIdLine(meta));
            return;
        }
        String clusterId = BrokerProperties.format(s.logDir());
        LOG.info("Formatted Kafka storage {} with cluster id {}", s.logDir(), clusterId);
    }

    private static String clusterIdLine(Path meta) throws IOException {
        return Files.readAllLines(meta).stream().filter(l -> l.startsWith("cluster.id="))
                .findFirst().orElse("no cluster.id");
    }

    private static void requireFree(String host, int port, String what) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new IllegalStateException(what + " " + host + ":" + port + " is already in use ("
                    + e.getMessage() + "): is another broker running? Pick another with --"
                    + (what.equals("port") ? "port" : "controller-port"), e);
        }
    }

    private static void writeProperties(Properties props, Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props.store(w, "Generated by io.trainwatch.kafka.LocalKafka at each start; edits are overwritten");
        }
    }
}
