package io.trainwatch.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.network.ListenerName;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A test broker whose clients must use TLS and SCRAM-SHA-512 ({@code SASL_SSL}), started by
 * {@link TestKafka#startSecured(Map)}: one KRaft node like the shared {@link TestKafka} broker (same settings, same
 * topics), with three listeners:
 * <ul>
 *   <li>{@code SECURED} ({@code SASL_SSL} on 127.0.0.1): what {@link #bootstrapServers()} names, for the clients
 *       under test. Its certificate is signed by a throw-away CA made at start with the JDK's {@code keytool}
 *       (PKCS12 stores in a temporary directory: {@link #truststore()}); the certificate names
 *       {@code localhost} and {@code 127.0.0.1}, so clients verify the host name as they do by default.</li>
 *   <li>{@code INTERNAL} (PLAINTEXT): between the broker and its own setup (topics, SCRAM users); only
 *       {@link #internalBootstrapServers()} hands it out.</li>
 *   <li>{@code CONTROLLER} (PLAINTEXT): the KRaft controller, never advertised to clients.</li>
 * </ul>
 * The SCRAM users are written with {@code Admin.alterUserScramCredentials} over the internal listener; the
 * start returns once the first user can log in over {@code SECURED}. {@link #close()} stops the broker and deletes
 * the stores; a shutdown hook does it at JVM exit otherwise.
 *
 * <p>{@link #main} runs one as a process of its own, for clients that are not Java (the Python client's tests):
 * it prints the CA's certificate (PEM, {@link #caCertificate()}) and then {@link LocalKafka#READY_PREFIX} and the
 * {@code SASL_SSL} address, and stops on SIGTERM.
 */
public final class SecuredKafka implements AutoCloseable {

    /** The client listener: SCRAM-SHA-512 over TLS. */
    public static final String SECURED_LISTENER = "SECURED";
    /** The broker listener of the setup: PLAINTEXT, not for the clients under test. */
    public static final String INTERNAL_LISTENER = "INTERNAL";
    /** The SASL mechanism of {@link #SECURED_LISTENER}. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /** The mechanism {@link #main}'s broker also takes, for clients whose SCRAM a Kafka 4 broker rejects. */
    public static final String PLAIN = "PLAIN";

    private static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final int SCRAM_ITERATIONS = 4096;

    private final TestKafka.Started started;
    private final Path tlsDir;
    private final Path truststore;
    private final String storePassword;
    private final String bootstrapServers;

    private SecuredKafka(TestKafka.Started started, Path tlsDir, Path truststore, String storePassword,
                         String bootstrapServers) {
        this.started = started;
        this.tlsDir = tlsDir;
        this.truststore = truststore;
        this.storePassword = storePassword;
        this.bootstrapServers = bootstrapServers;
    }

    static SecuredKafka start(Map<String, String> users) {
        return start(users, false);
    }

    /**
     * As {@link #start(Map)}; with {@code plainToo}, the secured listener also takes SASL/PLAIN (over the same TLS)
     * for the same users and passwords: for clients whose SCRAM a Kafka 4 broker rejects (librdkafka before 2.6.1).
     */
    static SecuredKafka start(Map<String, String> users, boolean plainToo) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a secured broker needs at least one SCRAM user");
        }
        long begin = System.nanoTime();
        Path tlsDir;
        String storePassword = "store-" + UUID.randomUUID();
        try {
            tlsDir = Files.createTempDirectory("trainwatch-test-tls-");
            makeStores(tlsDir, storePassword);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the test CA and broker certificate", e);
        }
        String secured = "listener.name." + SECURED_LISTENER.toLowerCase() + ".";
        Map<String, String> config = new HashMap<>();
        config.put("listeners", INTERNAL_LISTENER + "://localhost:0,CONTROLLER://localhost:0,"
                + SECURED_LISTENER + "://127.0.0.1:0");
        config.put("listener.security.protocol.map", INTERNAL_LISTENER + ":PLAINTEXT,CONTROLLER:PLAINTEXT,"
                + SECURED_LISTENER + ":SASL_SSL");
        config.put(secured + "sasl.enabled.mechanisms", plainToo ? MECHANISM + "," + PLAIN : MECHANISM);
        config.put(secured + MECHANISM.toLowerCase() + ".sasl.jaas.config", SCRAM_LOGIN_MODULE + " required;");
        if (plainToo) {
            StringBuilder jaas = new StringBuilder(PLAIN_LOGIN_MODULE + " required");
            users.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"")
                    .append(password.replace("\\", "\\\\").replace("\"", "\\\"")).append('"'));
            config.put(secured + PLAIN.toLowerCase() + ".sasl.jaas.config", jaas.append(';').toString());
        }
        config.put(secured + "ssl.keystore.type", "PKCS12");
        config.put(secured + "ssl.keystore.location", tlsDir.resolve("broker.p12").toString());
        config.put(secured + "ssl.keystore.password", storePassword);
        config.put(secured + "ssl.key.password", storePassword);
        TestKafka.Started started = null;
        try {
            started = TestKafka.startCluster(INTERNAL_LISTENER, config);
            int port = started.cluster().brokers().values().iterator().next()
                    .boundPort(new ListenerName(SECURED_LISTENER));
            SecuredKafka kafka = new SecuredKafka(started, tlsDir, tlsDir.resolve("truststore.p12"), storePassword,
                    "127.0.0.1:" + port);
            kafka.addUsers(users);
            Map.Entry<String, String> first = users.entrySet().iterator().next();
            kafka.awaitLogin(first.getKey(), first.getValue());
            System.out.printf("TestKafka: secured broker on %s (SASL_SSL, %s), ready in %d ms%n",
                    kafka.bootstrapServers, plainToo ? MECHANISM + " and " + PLAIN : MECHANISM,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
            return kafka;
        } catch (RuntimeException e) {
            if (started != null) {
                stop(started);
            }
            deleteQuietly(tlsDir);
            throw e;
        }
    }

    /** The {@code SASL_SSL} listener, {@code 127.0.0.1:PORT}: what the clients under test use. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The PLAINTEXT listener of the setup (topics, users): not for the clients under test. */
    public String internalBootstrapServers() {
        return started.cluster().bootstrapServers();
    }

    /** The PKCS12 truststore that holds the throw-away CA. */
    public Path truststore() {
        return truststore;
    }

    /** The throw-away CA's certificate as a PEM file, for clients that take no PKCS12 truststore (librdkafka). */
    public Path caCertificate() {
        return tlsDir.resolve("ca.crt");
    }

    /** The password of {@link #truststore()}. */
    public String truststorePassword() {
        return storePassword;
    }

    /**
     * Settings for any Kafka client on {@link #bootstrapServers()} as {@code user}: {@code SASL_SSL},
     * {@value #MECHANISM}, the SCRAM login and the truststore. A new mutable map on each call.
     */
    public Map<String, Object> clientConfig(String user, String password) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        config.put(SaslConfigs.SASL_MECHANISM, MECHANISM);
        config.put(SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(user, password));
        config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.toString());
        config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, storePassword);
        config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        return config;
    }

    /** The client's {@code sasl.jaas.config} of a SCRAM login. */
    public static String jaasConfig(String user, String password) {
        return SCRAM_LOGIN_MODULE + " required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /** Stops the broker and deletes its data and the TLS stores. */
    @Override
    public void close() {
        stop(started);
        deleteQuietly(tlsDir);
    }

    /** Start of the line of {@link #main} that names the CA's certificate (PEM). */
    public static final String CA_PREFIX = "CA certificate: ";
    /** The environment variable that holds the SCRAM password of {@link #main}'s user. */
    public static final String PASSWORD_ENV = "TRAINWATCH_KAFKA_PASSWORD";

    /**
     * A secured broker as a process: {@code SecuredKafka [--user NAME]} (default {@code trainwatch}) with the user's
     * password in {@value #PASSWORD_ENV}, so that it shows on no command line and in no output. Its secured listener
     * takes {@value #MECHANISM} and {@value #PLAIN}: librdkafka before 2.6.1 (Debian 12 has 2.0.2) sends a SCRAM
     * proof that Kafka 4 rejects as invalid credentials (fixed in librdkafka 2.6.1, pull request 4895), so such a
     * client can only log in with PLAIN, which is safe over TLS. Prints
     * {@value #CA_PREFIX}{@code PATH} and then {@link LocalKafka#READY_PREFIX}{@code 127.0.0.1:PORT} (the
     * {@code SASL_SSL} listener; the broker uses free ports); SIGTERM stops it and deletes the stores.
     */
    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", LocalKafka.LOG_CONFIG); // Kafka at WARN, as LocalKafka
        }
        String user = "trainwatch";
        if (args.length == 2 && args[0].equals("--user") && !args[1].isBlank()) {
            user = args[1];
        } else if (args.length != 0) {
            System.err.println("usage: " + PASSWORD_ENV + "=... SecuredKafka [--user NAME]");
            System.exit(2);
        }
        String password = System.getenv(PASSWORD_ENV);
        if (password == null || password.isEmpty()) {
            System.err.println("secured-kafka: set " + PASSWORD_ENV + " to the password of user " + user);
            System.exit(2);
        }
        SecuredKafka kafka = start(Map.of(user, password), true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(kafka.tlsDir), "secured-kafka-stores"));
        System.out.println(CA_PREFIX + kafka.caCertificate());
        System.out.println(LocalKafka.READY_PREFIX + kafka.bootstrapServers());
        System.out.flush();
        try {
            Thread.currentThread().join(); // until SIGTERM: the shutdown hooks stop the broker
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stop(TestKafka.Started started) {
        try {
            Runtime.getRuntime().removeShutdownHook(started.shutdownHook());
        } catch (IllegalStateException e) {
            return; // the JVM is already shutting down: the hook stops the broker
        }
        try {
            started.cluster().close(); // also deletes its data
        } catch (Exception e) {
            System.err.println("TestKafka: secured broker did not stop cleanly: " + e);
        }
    }

    private void addUsers(Map<String, String> users) {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        users.forEach((user, password) -> upserts.add(new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                password.getBytes(StandardCharsets.UTF_8))));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers()))) {
            admin.alterUserScramCredentials(upserts).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the SCRAM users " + users.keySet(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code user} can log in over the secured listener (the broker learns new users from its metadata). */
    private void awaitLogin(String user, String password) {
        Map<String, Object> config = clientConfig(user, password);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Admin admin = Admin.create(config)) {
                admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("user " + user + " cannot log in over " + bootstrapServers, e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * A CA (basic constraints CA:true) and a broker key pair signed by it, for {@code localhost} and
     * {@code 127.0.0.1}: {@code broker.p12} (key, certificate and CA) and {@code truststore.p12} (the CA only),
     * PKCS12, both with {@code password}, which reaches keytool through its environment, not its command line.
     * Elliptic-curve keys: quick to make. Valid for two days.
     */
    static void makeStores(Path dir, String password) throws IOException {
        String ca = dir.resolve("ca.p12").toString();
        String broker = dir.resolve("broker.p12").toString();
        String csr = dir.resolve("broker.csr").toString();
        String signed = dir.resolve("broker.crt").toString();
        String caCert = dir.resolve("ca.crt").toString();
        String truststore = dir.resolve("truststore.p12").toString();
        List<String> key = List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-storetype", "PKCS12");
        keytool(password, concat(List.of("-genkeypair", "-alias", "ca", "-dname", "CN=Trainwatch throw-away test CA",
                "-ext", "bc:c", "-keystore", ca), key));
        keytool(password, List.of("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-file", caCert));
        keytool(password, concat(List.of("-genkeypair", "-alias", "broker", "-dname", "CN=localhost",
                "-keystore", broker), key));
        keytool(password, List.of("-certreq", "-alias", "broker", "-keystore", broker, "-file", csr));
        keytool(password, List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca, "-infile", csr,
                "-outfile", signed, "-validity", "2", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-ext", "eku=serverAuth"));
        keytool(password, List.of("-importcert", "-noprompt", "-alias", "ca", "-file", caCert, "-keystore", broker));
        keytool(password, List.of("-importcert", "-noprompt", "-alias", "broker", "-file", signed, "-keystore", broker));
        keytool(password, List.of("-importcert", "-noprompt", "-alias", "ca", "-file", caCert,
                "-keystore", truststore, "-storetype", "PKCS12"));
    }

    private static void keytool(String password, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(args);
        cmd.addAll(List.of("-storepass:env", "TW_STORE_PASSWORD"));
        if (args.get(0).equals("-genkeypair")) {
            cmd.addAll(List.of("-keypass:env", "TW_STORE_PASSWORD"));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TW_STORE_PASSWORD", password);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + args.get(0) + " failed: " + output.trim());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("TestKafka: cannot delete " + dir + ": " + e);
        }
    }
}
