package io.trainwatch.kafka;

import io.trainwatch.events.Topics;
import io.trainwatch.events.Topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs {@link LocalKafka} as a real child process, the way the launcher does. */
class LocalKafkaIT {

    private static final String HOST = "127.0.0.1";

    @TempDir
    Path dataDir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void startsCreatesTopicsStopsOnSigtermAndKeepsDataOverARestart() throws Exception {
        int port = freePort();
        int controllerPort = freePort();
        String servers = HOST + ":" + port;

        Broker first = Broker.start(this, dataDir, port, controllerPort);
        assertThat(first.readyLine()).isEqualTo(LocalKafka.READY_PREFIX + servers);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
            assertThat(admin.listTopics().names().get())
                    .containsAll(Topics.ALL.stream().map(TopicSpec::name).toList());
        }
        Map<String, Object> producerConfig = Map.of("bootstrap.servers", servers,
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig)) {
            producer.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, "run-1", "kept")).get();
        }
        String clusterId = Files.readString(dataDir.resolve("logs/meta.properties"));
        first.stopWithSigterm();
        assertThat(portIsFree(port)).as("port %d free after SIGTERM", port).isTrue();
        assertThat(portIsFree(controllerPort)).as("controller port free after SIGTERM").isTrue();

        Broker second = Broker.start(this, dataDir, port, controllerPort);
        assertThat(second.output()).anyMatch(l -> l.contains("Reusing Kafka storage"));
        assertThat(Files.readString(dataDir.resolve("logs/meta.properties"))).isEqualTo(clusterId);
        Map<String, Object> consumerConfig = Map.of("bootstrap.servers", servers, "group.id", "restart-check",
                "auto.offset.reset", "earliest",
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
            consumer.subscribe(List.of(Topics.TRAINING_ALERTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        assertThat(values).containsExactly("kept");
        second.stopWithSigterm();
        assertThat(portIsFree(port)).isTrue();
    }

    @Test
    void refusesAPortThatIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            Process process = launch(dataDir, taken.getLocalPort(), freePort());
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(1);
            assertThat(output).contains("port " + HOST + ":" + taken.getLocalPort() + " is already in use");
        }
    }

    @Test
    void settingsComeFromArgumentsThenEnvironmentThenDefaults() {
        LocalKafka.Settings defaults = LocalKafka.Settings.from(new String[0], Map.of());
        assertThat(defaults.host()).isEqualTo("127.0.0.1");
        assertThat(defaults.port()).isEqualTo(9092);
        assertThat(defaults.controllerPort()).isEqualTo(9093);
        assertThat(defaults.dataDir()).isEqualTo(Path.of(".trainwatch/kafka").toAbsolutePath());

        LocalKafka.Settings fromEnv = LocalKafka.Settings.from(new String[0], Map.of("TRAINWATCH_KAFKA_PORT", "19092"));
        assertThat(fromEnv.bootstrapServers()).isEqualTo("127.0.0.1:19092");

        LocalKafka.Settings fromArgs = LocalKafka.Settings.from(
                new String[] {"--port", "29092", "--controller-port=29093", "--data-dir", "/tmp/k"},
                Map.of("TRAINWATCH_KAFKA_PORT", "19092"));
        assertThat(fromArgs.port()).isEqualTo(29092);
        assertThat(fromArgs.controllerPort()).isEqualTo(29093);
        assertThat(fromArgs.dataDir()).isEqualTo(Path.of("/tmp/k"));

        assertThatThrownBy(() -> LocalKafka.Settings.from(new String[] {"--port", "nine"}, Map.of()))
                .hasMessageContaining("port must be a port number");
        assertThatThrownBy(() -> LocalKafka.Settings.from(new String[] {"--prot", "1"}, Map.of()))
                .hasMessageContaining("unknown option --prot");
        assertThatThrownBy(() -> LocalKafka.Settings.from(new String[] {"--port", "9093"}, Map.of()))
                .hasMessageContaining("must differ");
    }

    /** A LocalKafka child process whose stdout is read line by line. */
    private record Broker(Process process, Thread reader, List<String> output, String readyLine) {

        static Broker start(LocalKafkaIT test, Path dataDir, int port, int controllerPort) throws Exception {
            Process process = test.launch(dataDir, port, controllerPort);
            List<String> output = new CopyOnWriteArrayList<>();
            CompletableFuture<String> ready = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        output.add(line);
                        if (line.startsWith(LocalKafka.READY_PREFIX)) {
                            ready.complete(line);
                        }
                    }
                    ready.completeExceptionally(new IllegalStateException("LocalKafka exited: " + output));
                } catch (IOException e) {
                    ready.completeExceptionally(e);
                }
            }, "local-kafka-stdout");
            reader.setDaemon(true);
            reader.start();
            long t0 = System.nanoTime();
            String line = ready.get(60, TimeUnit.SECONDS);
            System.out.printf("LocalKafka ready in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            return new Broker(process, reader, output, line);
        }

        void stopWithSigterm() throws InterruptedException {
            // SIGTERM. Process.destroy() would send the same signal but also close our end of the
            // child's stdout, losing the shutdown lines; the handle only signals.
            assertThat(process.toHandle().destroy()).isTrue();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
            reader.join(10_000); // the last lines may still be in the pipe
            assertThat(process.exitValue()).as("exit status after SIGTERM; output: %s", output).isEqualTo(143);
            assertThat(output).anyMatch(l -> l.contains("Kafka stopped"));
        }
    }

    private Process launch(Path dataDir, int port, int controllerPort) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                LocalKafka.class.getName(),
                "--data-dir", dataDir.toString(), "--host", HOST,
                "--port", Integer.toString(port), "--controller-port", Integer.toString(controllerPort))
                .redirectErrorStream(true)
                .start();
        started.add(process);
        return process;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket.getLocalPort();
        }
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
