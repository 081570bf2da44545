package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Chat delivery survives a notifier that dies with messages undelivered, over a real broker and a real local chat
 * server: alerts delivered while the server is up are committed and not sent again; alerts read while it answers
 * 503 stay uncommitted (they wait in the outbox); the notifier stops without delivering them; a second notifier
 * of the same group, with the server back, delivers every one of them, once, on every channel.
 *
 * <p>The first notifier is stopped in process (its channel threads first, so nothing more is delivered, then its
 * consumer, which leaves the group at once). Its last commit covers only finished records, the same offsets it had
 * committed while it ran (asserted before the stop): a process killed outright leaves the group's offsets exactly
 * there, it only makes the next notifier wait for the session timeout before it gets the partitions.
 */
class NotifierRestartIT {

    static final int PARTITIONS = 3;
    static final int BEFORE = 5;
    static final int DURING = 30;
    static final List<String> CHANNELS = List.of("/slack", "/mattermost");

    private ChatReceiver receiver;
    private String alerts;
    private String commands;
    private String group;
    private KafkaClients kafka;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        receiver = ChatReceiver.start();
        String id = UUID.randomUUID().toString().substring(0, 8);
        alerts = TestKafka.createTopic("notify-restart-alerts-" + id, PARTITIONS);
        commands = TestKafka.createTopic("notify-restart-commands-" + id, 1);
        group = "notify-restart-" + id;
        kafka = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        receiver.close();
    }

    /** A notifier as the monitor runs it: two Slack-format channels on the local receiver, its own consumer. */
    private record Running(NotifierDispatcher dispatcher, NotifierLoop loop) implements AutoCloseable {
        @Override
        public void close() {
            loop.close();
            dispatcher.close();
        }
    }

    private Running notifier() {
        NotifyMetrics metrics = new NotifyMetrics(new SimpleMeterRegistry());
        RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(300), Duration.ofSeconds(10),
                Math::random);
        WebhookClient http = new WebhookClient(Duration.ofSeconds(1), Duration.ofSeconds(2));
        AlertGrouper.Timing timing = new AlertGrouper.Timing(Duration.ofMillis(500), Duration.ofSeconds(1),
                Duration.ofHours(4));
        List<ChannelWorker> workers = new ArrayList<>();
        for (String path : CHANNELS) {
            String name = path.substring(1);
            Channel c = new Channel(name, Platform.SLACK, WebhookUrl.parse(receiver.url(path)), ChannelRoute.ALL,
                    Notifier.of(Platform.SLACK, Platform.SLACK.maxChars(), 10),
                    new TokenBucket(200, 200), true);
            AlertGrouper g = new AlertGrouper(name, GroupBy.RUN_AND_DETECTOR, timing, true, 1000, 10_000);
            workers.add(new ChannelWorker(c, g, retry, http, Clock.systemUTC(), metrics, 1000, 1000).start());
        }
        NotifierDispatcher dispatcher = new NotifierDispatcher(workers, Duration.ofHours(1), Clock.systemUTC(), metrics);
        NotifierLoop loop = new NotifierLoop(kafka.consumer(group, "notify-restart-it"), alerts, commands, dispatcher,
                metrics, new SimpleMeterRegistry(), 10_000).start();
        Running n = new Running(dispatcher, loop);
        open.add(n);
        return n;
    }

    private void publish(List<String> runs) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("notify-restart-it"))) {
            for (String run : runs) {
                Alert a = firing(run, "divergence", Alert.CRITICAL, 100);
                producer.send(new ProducerRecord<>(alerts, run, EventCodec.write(a)));
            }
            producer.flush();
        }
    }

    /** The group's committed offsets on the alerts topic, summed over its partitions (0 when none). */
    private long committed() throws Exception {
        try (Admin admin = Admin.create(kafka.admin("notify-restart-it"))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(alerts) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }

    /** Messages a channel accepted (answered 200) that name this run. */
    private long delivered(String path, String run) {
        return receiver.at(path).stream().filter(r -> r.status() == 200 && r.body().contains("`" + run + "`")).count();
    }

    private static List<String> runs(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
    }

    @Test
    void messagesUndeliveredWhenTheNotifierStopsAreDeliveredByTheNextOneAndDeliveredOnesAreNotResent() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 6);
        List<String> early = runs("early-" + tag, BEFORE);
        List<String> late = runs("late-" + tag, DURING);

        Running first = notifier();
        publish(early);
        await().atMost(Duration.ofSeconds(60)).until(() -> CHANNELS.stream()
                .allMatch(p -> early.stream().allMatch(r -> delivered(p, r) == 1)));
        await("delivered records are committed").atMost(Duration.ofSeconds(20)).until(() -> committed() == BEFORE);

        CHANNELS.forEach(p -> receiver.down(p, 503));
        publish(late);
        await("every record read, none finished").atMost(Duration.ofSeconds(30))
                .until(() -> first.loop().offsets().unfinished() == DURING);
        await().atMost(Duration.ofSeconds(20)).until(() -> CHANNELS.stream()
                .allMatch(p -> receiver.at(p).stream().filter(r -> r.status() == 503).count() >= 5));
        Thread.sleep(2_000); // several polls and commit rounds of the loop while the server fails
        long committedDuringOutage = committed();
        assertThat(committedDuringOutage).as("nothing committed before delivery").isEqualTo(BEFORE);
        long refused = receiver.all().stream().filter(r -> r.status() == 503).count();

        // the first notifier stops: its channels first (nothing more is delivered), then its consumer
        first.dispatcher().workers().forEach(ChannelWorker::signalStop);
        first.dispatcher().close();
        first.loop().close();
        assertThat(CHANNELS.stream().mapToLong(p -> late.stream().mapToLong(r -> delivered(p, r)).sum()).sum())
                .as("the first notifier delivered none of them").isZero();
        assertThat(committed()).as("its last commit covers delivered records only").isEqualTo(BEFORE);

        CHANNELS.forEach(receiver::up);
        long restarted = System.nanoTime();
        Running second = notifier();
        await().atMost(Duration.ofSeconds(90)).until(() -> CHANNELS.stream()
                .allMatch(p -> late.stream().allMatch(r -> delivered(p, r) >= 1)));
        double deliveredAfterSeconds = (System.nanoTime() - restarted) / 1e9;
        await("all finished, all committed").atMost(Duration.ofSeconds(20))
                .until(() -> second.loop().offsets().unfinished() == 0 && committed() == BEFORE + DURING);
        Thread.sleep(1_500); // room for a duplicate to show up

        for (String p : CHANNELS) {
            for (String r : late) {
                assertThat(delivered(p, r)).as(p + " " + r + ": once").isEqualTo(1);
            }
            for (String r : early) {
                assertThat(delivered(p, r)).as(p + " " + r + ": committed before the stop, not sent again").isEqualTo(1);
            }
        }
        long firingAfterRestart = CHANNELS.stream().mapToLong(p -> late.stream().mapToLong(r -> delivered(p, r)).sum()).sum();
        System.out.printf("NotifierRestartIT: %d firing messages (%d alerts x %d channels) undelivered when the first "
                        + "notifier stopped (server answering 503, %d refused attempts, committed offsets %d = the %d "
                        + "delivered before the outage); the second notifier delivered %d of %d, each once, all within "
                        + "%.1f s of its start (group wait 0.5 s); %d early messages not sent again%n",
                DURING * CHANNELS.size(), DURING, CHANNELS.size(), refused, committedDuringOutage, BEFORE,
                firingAfterRestart, DURING * CHANNELS.size(), deliveredAfterSeconds, BEFORE * CHANNELS.size());
    }
}
