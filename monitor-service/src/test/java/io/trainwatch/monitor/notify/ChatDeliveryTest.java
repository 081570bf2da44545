package io.trainwatch.monitor.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trainwatch.events.Alert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.resolved;
import static io.trainwatch.monitor.notify.TestAlerts.withStudy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Delivery over real HTTP to a real local receiver, on the real channel threads: the four platforms' JSON,
 * retries with backoff and Retry-After, the rate limit, and dead or hanging servers that stall only their
 * own channel. No Kafka, no Quarkus.
 */
class ChatDeliveryTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final AlertGrouper.Timing NOW = new AlertGrouper.Timing(Duration.ZERO, Duration.ZERO, Duration.ofHours(4));

    private ChatReceiver receiver;
    private SimpleMeterRegistry registry;
    private NotifyMetrics metrics;
    private final List<NotifierDispatcher> dispatchers = new ArrayList<>();
    private final List<ServerSocket> sockets = new ArrayList<>();
    private final WebhookClient http = new WebhookClient(Duration.ofSeconds(1), Duration.ofSeconds(1));

    @BeforeEach
    void start() throws IOException {
        receiver = ChatReceiver.start();
        registry = new SimpleMeterRegistry();
        metrics = new NotifyMetrics(registry);
    }

    @AfterEach
    void stop() throws IOException {
        dispatchers.forEach(NotifierDispatcher::close);
        receiver.close();
        for (ServerSocket s : sockets) {
            s.close();
        }
    }

    private Channel channel(String name, Platform platform, String url, double rate, int burst) {
        return new Channel(name, platform, WebhookUrl.parse(url), ChannelRoute.ALL,
                Notifier.of(platform, platform.maxChars(), 10), new TokenBucket(rate, burst), true);
    }

    private Channel channel(String name, Platform platform, String url) {
        return channel(name, platform, url, 100, 100);
    }

    private NotifierDispatcher dispatcher(RetryPolicy retry, int queue, Channel... channels) {
        List<ChannelWorker> workers = new ArrayList<>();
        for (Channel c : channels) {
            AlertGrouper g = new AlertGrouper(c.name(), GroupBy.RUN_AND_DETECTOR, NOW, true, 100, 1000);
            workers.add(new ChannelWorker(c, g, retry, http, Clock.systemUTC(), metrics, queue).start());
        }
        NotifierDispatcher d = new NotifierDispatcher(workers, Duration.ofHours(1), Clock.systemUTC(), metrics);
        dispatchers.add(d);
        return d;
    }

    private static RetryPolicy retry(int attempts, Duration initial) {
        return new RetryPolicy(attempts, initial, Duration.ofSeconds(30), Duration.ofSeconds(10), () -> 0.5);
    }

    /** A port where nothing listens: connection refused. */
    private static String deadUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        return "http://127.0.0.1:" + port + "/dead";
    }

    /** A port that accepts connections and never answers: every request times out. */
    private String hangingUrl() throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        sockets.add(s);
        return "http://127.0.0.1:" + s.getLocalPort() + "/hang";
    }

    private static JsonNode json(ChatReceiver.Received r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Test
    void eachPlatformReceivesItsRealPayloadWhileDeadAndHangingServersStallOnlyTheirOwnChannel() throws IOException {
        NotifierDispatcher d = dispatcher(retry(10, Duration.ofMillis(200)), 100,
                channel("slack", Platform.SLACK, receiver.url("/slack")),
                channel("mattermost", Platform.MATTERMOST, receiver.url("/mattermost")),
                channel("teams", Platform.TEAMS, receiver.url("/teams")),
                channel("discord", Platform.DISCORD, receiver.url("/discord")),
                channel("dead", Platform.SLACK, deadUrl()),
                channel("hanging", Platform.SLACK, hangingUrl()));
        Alert a = withStudy(firing("run-7", "divergence", Alert.CRITICAL, 300), "study-1", "trial-4");
        long t0 = System.nanoTime();
        assertThat(d.dispatch(a, Instant.now())).isEqualTo(6);
        long dispatchNanos = System.nanoTime() - t0;

        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/slack").size() == 1
                && receiver.at("/mattermost").size() == 1 && receiver.at("/teams").size() == 1
                && receiver.at("/discord").size() == 1);
        // Delivered while the broken channels are still retrying (10 attempts each, backoff 0.2 s doubling, plus
        // a 1 s timeout per attempt for the hanging one): the live channels did not wait behind them.
        assertThat(metrics.value("dead", NotifyMetrics.FAILED)).as("dead channel still retrying").isZero();
        assertThat(metrics.value("hanging", NotifyMetrics.FAILED)).as("hanging channel still retrying").isZero();
        double worstMillis = receiver.all().stream().mapToLong(r -> r.nanos() - t0).max().orElseThrow() / 1e6;
        System.out.printf("ChatDeliveryTest: four platforms delivered within %.0f ms of dispatch (dispatch %.2f ms)%n",
                worstMillis, dispatchNanos / 1e6);

        JsonNode slack = json(receiver.at("/slack").get(0));
        assertThat(slack.fieldNames()).toIterable().containsExactly("text");
        assertThat(slack.get("text").asText()).contains("FIRING", "divergence", "run-7", "study-1", "trial-4",
                "step 300", "loss=NaN", "Remedy");
        assertThat(receiver.at("/slack").get(0).contentType()).startsWith("application/json");
        JsonNode mm = json(receiver.at("/mattermost").get(0));
        assertThat(mm.get("text").asText()).contains("**[FIRING]", "`run-7`");
        JsonNode discord = json(receiver.at("/discord").get(0));
        assertThat(discord.get("content").asText()).contains("divergence").hasSizeLessThanOrEqualTo(2000);
        JsonNode teams = json(receiver.at("/teams").get(0));
        assertThat(teams.get("type").asText()).isEqualTo("message");
        assertThat(teams.at("/attachments/0/contentType").asText()).isEqualTo("application/vnd.microsoft.card.adaptive");
        assertThat(teams.at("/attachments/0/content/type").asText()).isEqualTo("AdaptiveCard");
        assertThat(teams.at("/attachments/0/content/version").asText()).isEqualTo("1.4");

        // the broken channels keep retrying on their own threads; nothing of theirs reached the receiver
        await().atMost(Duration.ofSeconds(5)).until(() -> retries("dead") >= 2 && retries("hanging") >= 1);
        assertThat(metrics.value("dead", NotifyMetrics.SENT)).isZero();
        for (String c : List.of("slack", "mattermost", "teams", "discord")) {
            assertThat(metrics.value(c, NotifyMetrics.SENT)).as(c).isEqualTo(1.0);
        }

        // and a second alert still goes through the live channels at once
        d.dispatch(resolved(a), Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.at("/discord").size() == 2);
        assertThat(json(receiver.at("/discord").get(1)).get("content").asText()).contains("RESOLVED");
    }

    @Test
    void retriesA500ThenA429HonouringRetryAfterThenSucceeds() {
        receiver.script("/flaky", new ChatReceiver.Reply(500, null), new ChatReceiver.Reply(429, "1"));
        NotifierDispatcher d = dispatcher(retry(5, Duration.ofMillis(200)), 100,
                channel("flaky", Platform.SLACK, receiver.url("/flaky")));
        d.dispatch(firing("run-1", "plateau", 10), Instant.now());
        await().atMost(Duration.ofSeconds(6)).until(() -> metrics.value("flaky", NotifyMetrics.SENT) == 1.0);
        List<ChatReceiver.Received> got = receiver.at("/flaky");
        assertThat(got).hasSize(3);
        assertThat(got.get(0).body()).isEqualTo(got.get(2).body());
        long firstGap = (got.get(1).nanos() - got.get(0).nanos()) / 1_000_000;
        long secondGap = (got.get(2).nanos() - got.get(1).nanos()) / 1_000_000;
        System.out.printf("ChatDeliveryTest: 500 -> %d ms -> 429 (Retry-After: 1) -> %d ms -> 200%n", firstGap, secondGap);
        // Lower bounds only: a loaded machine can only make the gaps longer.
        assertThat(firstGap).as("backoff after the 500").isGreaterThanOrEqualTo(190L);
        assertThat(secondGap).as("Retry-After 1 s (the backoff was 400 ms)").isGreaterThanOrEqualTo(990L);
        assertThat(retries("flaky")).isEqualTo(2.0);
        assertThat(metrics.value("flaky", NotifyMetrics.FAILED)).isZero();
    }

    @Test
    void aClientErrorIsNotRetriedAndIsCountedAsFailed() {
        receiver.script("/gone", new ChatReceiver.Reply(404, null));
        NotifierDispatcher d = dispatcher(retry(5, Duration.ofMillis(50)), 100,
                channel("gone", Platform.DISCORD, receiver.url("/gone")));
        d.dispatch(firing("run-1", "plateau", 10), Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> metrics.value("gone", NotifyMetrics.FAILED) == 1.0);
        assertThat(receiver.at("/gone")).hasSize(1);
        assertThat(retries("gone")).isZero();
    }

    @Test
    void keepsAMessageThroughAnOutageLongerThanItsRetriesAndDeliversItWhenTheServerRecovers() {
        for (int i = 0; i < 5; i++) {
            receiver.script("/down", new ChatReceiver.Reply(503, null));
        }
        // 3 attempts per round, then the message waits max-backoff (300 ms) and starts a new round
        RetryPolicy policy = new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(300), Duration.ofSeconds(10), () -> 0.5);
        NotifierDispatcher d = dispatcher(policy, 100, channel("down", Platform.MATTERMOST, receiver.url("/down")));
        d.dispatch(firing("run-1", "plateau", 10), Instant.now());
        await().atMost(Duration.ofSeconds(10)).until(() -> metrics.value("down", NotifyMetrics.SENT) == 1.0);
        List<ChatReceiver.Received> got = receiver.at("/down");
        assertThat(got).as("5 refused attempts over two rounds, then the delivery").hasSize(6);
        assertThat(got).extracting(ChatReceiver.Received::body).containsOnly(got.get(5).body());
        assertThat(metrics.value("down", NotifyMetrics.FAILED)).isZero();
        assertThat(retries("down")).isEqualTo(5.0);
        assertThat(registry.get(NotifyMetrics.OUTBOX).tag("channel", "down").gauge().value()).isZero();
    }

    @Test
    void everyFiringMessageSurvivesA429And500StormAndArrivesBeforeItsResolution() {
        int refused = 12;
        for (int i = 0; i < refused; i++) {
            receiver.script("/storm", new ChatReceiver.Reply(i % 2 == 0 ? 429 : 500, i % 2 == 0 ? "0" : null));
        }
        RetryPolicy policy = new RetryPolicy(2, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(10), () -> 0.5);
        NotifierDispatcher d = dispatcher(policy, 100, channel("storm", Platform.SLACK, receiver.url("/storm")));
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Alert a = firing("run-" + i, "divergence", Alert.CRITICAL, 10);
            alerts.add(a);
            d.dispatch(a, Instant.now());
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                registry.get(NotifyMetrics.OUTBOX).tag("channel", "storm").gauge().value() == 4.0);
        for (Alert a : alerts) {
            d.dispatch(resolved(a), Instant.now()); // resolved while their firing messages are still refused
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> metrics.value("storm", NotifyMetrics.SENT) == 8.0);
        List<String> delivered = receiver.at("/storm").stream().skip(refused).map(ChatReceiver.Received::body).toList();
        assertThat(delivered).hasSize(8);
        for (int i = 0; i < 4; i++) {
            String run = "run-" + i;
            int fired = indexOf(delivered, run, "FIRING");
            int cleared = indexOf(delivered, run, "RESOLVED");
            assertThat(fired).as(run + " firing delivered").isGreaterThanOrEqualTo(0);
            assertThat(cleared).as(run + " resolution delivered after its firing").isGreaterThan(fired);
        }
        assertThat(metrics.value("storm", NotifyMetrics.FAILED)).isZero();
        assertThat(metrics.value("storm", NotifyMetrics.DROPPED)).isZero();
    }

    @Test
    void theResolutionOfAFiringRefusedForGoodIsNotSent() {
        receiver.script("/refuses", new ChatReceiver.Reply(400, null));
        NotifierDispatcher d = dispatcher(retry(3, Duration.ofMillis(50)), 100,
                channel("refuses", Platform.SLACK, receiver.url("/refuses")));
        Alert a = firing("run-1", "plateau", 10);
        d.dispatch(a, Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> metrics.value("refuses", NotifyMetrics.FAILED) == 1.0);
        d.dispatch(resolved(a), Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> metrics.value("refuses", NotifyMetrics.SUPPRESSED) == 1.0);
        d.dispatch(firing("run-2", "plateau", 10), Instant.now()); // a marker: once it arrives, nothing else will
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.at("/refuses").size() == 2);
        assertThat(receiver.at("/refuses").get(1).body()).contains("run-2").doesNotContain("RESOLVED");
    }

    private static int indexOf(List<String> bodies, String run, String status) {
        for (int i = 0; i < bodies.size(); i++) {
            if (bodies.get(i).contains(run) && bodies.get(i).contains("[" + status)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void theRateLimitSpacesMessagesToOneWebhook() {
        NotifierDispatcher d = dispatcher(retry(3, Duration.ofMillis(50)), 100,
                channel("limited", Platform.DISCORD, receiver.url("/limited"), 4.0, 1));
        for (int i = 0; i < 4; i++) {
            d.dispatch(firing("run-" + i, "plateau", 10), Instant.now()); // 4 runs = 4 groups = 4 messages
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/limited").size() == 4);
        List<ChatReceiver.Received> got = receiver.at("/limited");
        long spanMillis = (got.get(3).nanos() - got.get(0).nanos()) / 1_000_000;
        System.out.printf("ChatDeliveryTest: 4 messages at 4/s burst 1 took %d ms%n", spanMillis);
        assertThat(spanMillis).as("3 intervals of 250 ms").isGreaterThanOrEqualTo(700L);
    }

    @Test
    void aFullQueueDropsAndCountsButNeverBlocksTheCaller() throws IOException {
        Channel c = channel("stuck", Platform.SLACK, deadUrl());
        AlertGrouper g = new AlertGrouper(c.name(), GroupBy.RUN_AND_DETECTOR, NOW, true, 100, 1000);
        ChannelWorker stuck = new ChannelWorker(c, g, retry(100, Duration.ofSeconds(5)), http, Clock.systemUTC(), metrics, 2);
        NotifierDispatcher d = new NotifierDispatcher(List.of(stuck), Duration.ofHours(1), Clock.systemUTC(), metrics);
        dispatchers.add(d);
        int queued = 0;
        for (int i = 0; i < 1000; i++) { // the worker's thread never takes anything: the queue stays full
            queued += d.dispatch(firing("run-" + i, "plateau", 10), Instant.now());
        }
        assertThat(queued).isEqualTo(2);
        assertThat(metrics.value("stuck", NotifyMetrics.DROPPED)).isEqualTo(998.0);
        assertThat(registry.get(NotifyMetrics.QUEUED).tag("channel", "stuck").gauge().value()).isEqualTo(2.0);
    }

    @Test
    void staleAlertsAreCountedAndNotSent() {
        NotifierDispatcher d = dispatcher(retry(3, Duration.ofMillis(50)), 100,
                channel("fresh", Platform.SLACK, receiver.url("/fresh")));
        assertThat(d.dispatch(firing("run-1", "plateau", 10), Instant.now().minus(Duration.ofHours(2)))).isZero();
        assertThat(metrics.value("fresh", NotifyMetrics.STALE)).isEqualTo(1.0);
        d.dispatch(firing("run-2", "plateau", 10), null);
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.at("/fresh").size() == 1);
        assertThat(receiver.at("/fresh").get(0).body()).contains("run-2").doesNotContain("run-1");
    }

    @Test
    void duplicatesReachTheChatOnce() {
        NotifierDispatcher d = dispatcher(retry(3, Duration.ofMillis(50)), 100,
                channel("dedup", Platform.SLACK, receiver.url("/dedup")));
        Alert a = firing("run-1", "plateau", 10);
        d.dispatch(a, Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.at("/dedup").size() == 1);
        d.dispatch(a, Instant.now());
        d.dispatch(a, Instant.now());
        await().atMost(Duration.ofSeconds(3)).until(() -> metrics.value("dedup", NotifyMetrics.DEDUPLICATED) == 2.0);
        d.dispatch(firing("run-2", "plateau", 10), Instant.now()); // a marker: once it arrives, the duplicates did not
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.at("/dedup").size() == 2);
        assertThat(receiver.at("/dedup").get(1).body()).contains("run-2");
    }

    private double retries(String channel) {
        var c = registry.find(NotifyMetrics.RETRIES).tag("channel", channel).counter();
        return c == null ? 0 : c.count();
    }
}
