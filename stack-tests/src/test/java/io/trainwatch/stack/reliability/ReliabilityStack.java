package io.trainwatch.stack.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * The stack the reliability probes share (one per test JVM, started on first use, stopped at JVM exit): the broker
 * as a process of its own ({@link LocalBroker}, so that a probe can stop and restart it), the three services over it
 * ({@link Stack#start}, so that a probe can kill -9 and restart one), and a chat server ({@link ChatReceiver}) that
 * the monitor's webhook channel {@code relchat} posts to (runs {@code rel-chat-*} only). It is apart from the
 * shared {@link Stack#get()} stack, which the other stack tests use and which no probe disturbs.
 *
 * <p>Settings the services get here beyond the shared stack's: three runs at once on the trainer, the trainer's spill
 * under this stack's state directory, and the chat channel with short waits (group wait 1 s, first retry after
 * 200 ms, request timeout 1 s) so that a message's three failures take seconds, not minutes. Everything else is the
 * services' defaults, the monitor's exactly-once processing and 45 s consumer session included.
 */
final class ReliabilityStack {

    /** The receiver holds its third answer this long: past the notifier's 1 s request timeout. */
    static final long CHAT_HANG_MILLIS = 2500;
    static final String CHAT_RUN_PREFIX = "rel-chat-";
    private static final Path FIGURES = Path.of("target", "reliability-figures.txt");

    private static ReliabilityStack instance;

    private final LocalBroker broker;
    private final ChatReceiver chat;
    private final Stack stack;

    private ReliabilityStack(LocalBroker broker, ChatReceiver chat, Stack stack) {
        this.broker = broker;
        this.chat = chat;
        this.stack = stack;
    }

    static synchronized ReliabilityStack get() {
        if (instance == null) {
            long started = System.nanoTime();
            Path repo = Stack.repoRoot();
            String pid = Long.toString(ProcessHandle.current().pid());
            Path runs = repo.resolve("stack-tests/target/stack-runs");
            Path brokerHome = runs.resolve(pid + "-reliabilitykafka");
            LocalBroker broker = new LocalBroker(repo, brokerHome);
            ChatReceiver chat = new ChatReceiver(CHAT_HANG_MILLIS);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                broker.close();
                chat.close();
            }, "reliability-broker-stop"));
            broker.start();
            try {
                Files.writeString(brokerHome.resolve("pids"), broker.pid() + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, String> env = new java.util.HashMap<>();
            env.put("TRAINWATCH_TRAINER_MAX_CONCURRENT_RUNS", "3");
            env.put("TRAINWATCH_TRAINER_SPILL_DIR", runs.resolve(pid + "-reliability/state/spill").toString());
            env.put("RELIABILITY_CHAT_WEBHOOK", chat.url());
            env.put("TRAINWATCH_NOTIFY_CHANNELS_RELCHAT_PLATFORM", "slack");
            env.put("TRAINWATCH_NOTIFY_CHANNELS_RELCHAT_URL_ENV", "RELIABILITY_CHAT_WEBHOOK");
            env.put("TRAINWATCH_NOTIFY_CHANNELS_RELCHAT_RUNS", CHAT_RUN_PREFIX + ".*");
            env.put("TRAINWATCH_NOTIFY_CHANNELS_RELCHAT_RATE_PER_SECOND", "50");
            env.put("TRAINWATCH_NOTIFY_CHANNELS_RELCHAT_BURST", "50");
            env.put("TRAINWATCH_NOTIFY_GROUP_WAIT", "1s");
            env.put("TRAINWATCH_NOTIFY_GROUP_INTERVAL", "1s");
            env.put("TRAINWATCH_NOTIFY_RETRY_INITIAL_BACKOFF", "200ms");
            env.put("TRAINWATCH_NOTIFY_RETRY_MAX_BACKOFF", "2s");
            env.put("TRAINWATCH_NOTIFY_HTTP_CONNECT_TIMEOUT", "1s");
            env.put("TRAINWATCH_NOTIFY_HTTP_REQUEST_TIMEOUT", "1s");
            Stack stack = Stack.start("reliability", broker.bootstrapServers(), env);
            instance = new ReliabilityStack(broker, chat, stack);
            System.out.printf(Locale.ROOT, "RELIABILITY stack: broker %s and three services ready in %.1f s%n",
                    broker.bootstrapServers(), (System.nanoTime() - started) / 1e9);
        }
        return instance;
    }

    Stack stack() {
        return stack;
    }

    LocalBroker broker() {
        return broker;
    }

    ChatReceiver chat() {
        return chat;
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** POSTs a run to the trainer and returns its id (the body names it). */
    void startRun(String json) {
        HttpResponse<String> r = stack.postJson(Service.TRAINER, "/runs", json);
        if (r.statusCode() != 202) {
            throw new AssertionError("POST /runs " + json + " -> " + r.statusCode() + " " + r.body());
        }
    }

    /** The trainer's view of a run ({@code GET /runs/{id}}), or null when it does not know it. */
    JsonNode run(String runId) {
        HttpResponse<String> r = stack.get(Service.TRAINER, "/runs/" + runId);
        if (r.statusCode() != 200) {
            return null;
        }
        try {
            return EventCodec.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sum of a Prometheus metric's samples on a service's {@code /q/metrics} (0 when absent). */
    double metric(Service service, String name) {
        double sum = 0;
        for (String line : stack.get(service, "/q/metrics").body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                String value = line.substring(line.lastIndexOf(' ') + 1);
                try {
                    sum += Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        }
        return sum;
    }

    /** Waits until all three services answer ready again. */
    void awaitAllReady(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() ->
                List.of(Service.values()).stream().allMatch(stack::isReady));
    }

    /**
     * Prints a probe's figures as one block, {@code RELIABILITY probe: key value, key value, ...}, and appends it,
     * dated, to {@code target/reliability-figures.txt} (what docs/reliability.md quotes).
     */
    static void report(String probe, Map<String, Object> figures) {
        List<String> parts = new ArrayList<>();
        figures.forEach((k, v) -> parts.add(k + " " + format(v)));
        String line = "RELIABILITY " + probe + ": " + String.join(", ", parts);
        System.out.println(line);
        try {
            Files.createDirectories(FIGURES.toAbsolutePath().getParent());
            Files.writeString(FIGURES, Instant.now() + " " + line + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("(figures not written to " + FIGURES + ": " + e + ")");
        }
    }

    private static String format(Object v) {
        if (v instanceof Double d) {
            return String.format(Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(v);
    }

    /** Milliseconds as seconds with one decimal. */
    static double seconds(long nanos) {
        return Math.round(nanos / 1e8) / 10.0;
    }
}
