package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trainwatch.events.Alert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.resolved;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * When a record counts as finished (its offset may be committed), over real HTTP to a local receiver on the real
 * channel threads: only once every channel delivered or gave up what it produced; never while a message waits for
 * a failing server, nor when the notifier stops with it undelivered. No Kafka, no Quarkus.
 */
class DeliveryCompletionTest {

    private ChatReceiver receiver;
    private NotifyMetrics metrics;
    private final List<NotifierDispatcher> dispatchers = new ArrayList<>();
    private final WebhookClient http = new WebhookClient(Duration.ofSeconds(1), Duration.ofSeconds(1));

    @BeforeEach
    void start() throws IOException {
        receiver = ChatReceiver.start();
        metrics = new NotifyMetrics(new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        dispatchers.forEach(NotifierDispatcher::close);
        receiver.close();
    }

    private NotifierDispatcher dispatcher(AlertGrouper.Timing timing, int outbox, String... paths) {
        RetryPolicy retry = new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(10),
                () -> 0.5);
        List<ChannelWorker> workers = new ArrayList<>();
        for (String path : paths) {
            String name = path.substring(1);
            Channel c = new Channel(name, Platform.SLACK, WebhookUrl.parse(receiver.url(path)), ChannelRoute.ALL,
                    Notifier.of(Platform.SLACK, Platform.SLACK.maxChars(), 10), new TokenBucket(100, 100), true);
            AlertGrouper g = new AlertGrouper(name, GroupBy.RUN_AND_DETECTOR, timing, true, 100, 1000);
            workers.add(new ChannelWorker(c, g, retry, http, Clock.systemUTC(), metrics, 100, outbox).start());
        }
        NotifierDispatcher d = new NotifierDispatcher(workers, Duration.ofHours(1), Clock.systemUTC(), metrics);
        dispatchers.add(d);
        return d;
    }

    private static final AlertGrouper.Timing NOW =
            new AlertGrouper.Timing(Duration.ZERO, Duration.ZERO, Duration.ofHours(4));

    /** Dispatches as the notifier's reader does: its own reference given back once the channels have theirs. */
    private static Completion dispatch(NotifierDispatcher d, Alert a, UnfinishedOffsets offsets, long offset) {
        Completion done = offsets.begin("alerts", 0, offset);
        d.dispatch(a, Instant.now(), done);
        done.release();
        return done;
    }

    @Test
    void aRecordFinishesOnlyOnceEveryChannelDeliveredItsMessage() {
        receiver.down("/slow", 503);
        NotifierDispatcher d = dispatcher(NOW, 100, "/ok", "/slow");
        UnfinishedOffsets offsets = new UnfinishedOffsets(100);
        Completion done = dispatch(d, firing("run-1", "plateau", 10), offsets, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/ok").size() == 1 && receiver.at("/slow").size() >= 3);
        assertThat(done.isFinished()).as("one channel still retries").isFalse();
        assertThat(offsets.committable(List.of(UnfinishedOffsetsTest.P0))).containsEntry(UnfinishedOffsetsTest.P0,
                new org.apache.kafka.clients.consumer.OffsetAndMetadata(0));
        receiver.up("/slow");
        await().atMost(Duration.ofSeconds(5)).until(done::isFinished);
        assertThat(offsets.unfinished()).isZero();
        assertThat(offsets.committable(List.of(UnfinishedOffsetsTest.P0))).containsEntry(UnfinishedOffsetsTest.P0,
                new org.apache.kafka.clients.consumer.OffsetAndMetadata(1));
    }

    @Test
    void givingUpFinishesARecordAndStoppingWithAnUndeliveredMessageDoesNot() {
        receiver.down("/gone", 404);
        receiver.down("/down", 503);
        NotifierDispatcher refused = dispatcher(NOW, 100, "/gone");
        UnfinishedOffsets offsets = new UnfinishedOffsets(100);
        Completion done = dispatch(refused, firing("run-2", "plateau", 10), offsets, 0);
        await().atMost(Duration.ofSeconds(5)).until(done::isFinished);

        NotifierDispatcher outage = dispatcher(NOW, 100, "/down");
        Completion held = dispatch(outage, firing("run-3", "plateau", 10), offsets, 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/down").size() >= 2);
        outage.close();
        assertThat(held.isFinished()).as("undelivered at stop: read again by the next notifier").isFalse();
        Completion late = dispatch(outage, firing("run-3b", "plateau", 10), offsets, 2);
        assertThat(late.isFinished()).as("read while stopping: left for the next notifier").isFalse();
        assertThat(offsets.committable(List.of(UnfinishedOffsetsTest.P0))).containsEntry(UnfinishedOffsetsTest.P0,
                new org.apache.kafka.clients.consumer.OffsetAndMetadata(1));
    }

    @Test
    void droppedDeduplicatedAndStaleAlertsFinishTheirRecordsAtOnce() {
        receiver.down("/down", 503);
        NotifierDispatcher d = dispatcher(NOW, 1, "/down");
        UnfinishedOffsets offsets = new UnfinishedOffsets(100);
        Completion first = dispatch(d, firing("run-4", "plateau", 10), offsets, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/down").size() >= 1);
        Completion second = dispatch(d, firing("run-5", "plateau", 10), offsets, 1);
        await("an outbox of one drops the older message").atMost(Duration.ofSeconds(5)).until(first::isFinished);
        assertThat(second.isFinished()).isFalse();
        Completion duplicate = dispatch(d, firing("run-5", "plateau", 10), offsets, 2);
        await().atMost(Duration.ofSeconds(5)).until(duplicate::isFinished);
        Completion stale = offsets.begin("alerts", 0, 3);
        d.dispatch(firing("run-6", "plateau", 10), Instant.now().minus(Duration.ofHours(2)), stale);
        stale.release();
        assertThat(stale.isFinished()).isTrue();
        assertThat(offsets.unfinished()).isEqualTo(1);
    }

    @Test
    void aRepeatDeliveredAfterTheFiringWasRefusedLetsTheResolutionBeAnnounced() {
        receiver.script("/flaky", new ChatReceiver.Reply(404, null));
        NotifierDispatcher d = dispatcher(new AlertGrouper.Timing(Duration.ZERO, Duration.ZERO, Duration.ofMillis(300)),
                100, "/flaky");
        Alert a = firing("run-7", "plateau", 10);
        d.dispatch(a, Instant.now());
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/flaky").size() >= 2); // 404, then the repeat
        assertThat(metrics.value("flaky", NotifyMetrics.FAILED)).isEqualTo(1.0);
        d.dispatch(resolved(a), Instant.now());
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/flaky").stream()
                .anyMatch(r -> r.body().contains("RESOLVED")));
        assertThat(metrics.value("flaky", NotifyMetrics.SUPPRESSED)).isZero();
    }
}
