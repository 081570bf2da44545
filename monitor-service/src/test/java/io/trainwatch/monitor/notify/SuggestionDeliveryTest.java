package io.trainwatch.monitor.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A tuner's suggestion ({@code mode: suggest}) over real HTTP to the local receiver, on the real channel threads:
 * it goes, as a message of its own, to the channels that got the alert it answers, also when it is read before
 * that alert; commands to apply never go to chat. No Kafka, no Quarkus.
 */
class SuggestionDeliveryTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final AlertGrouper.Timing NOW = new AlertGrouper.Timing(Duration.ZERO, Duration.ZERO, Duration.ofHours(4));

    private ChatReceiver receiver;
    private NotifierDispatcher dispatcher;
    private final WebhookClient http = new WebhookClient(Duration.ofSeconds(1), Duration.ofSeconds(1));

    @BeforeEach
    void start() throws IOException {
        receiver = ChatReceiver.start();
        NotifyMetrics metrics = new NotifyMetrics(new SimpleMeterRegistry());
        RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(1), () -> 0.5);
        List<ChannelWorker> workers = new ArrayList<>();
        for (Channel c : List.of(
                channel("slack", Platform.SLACK, ChannelRoute.ALL),
                channel("teams", Platform.TEAMS, ChannelRoute.ALL),
                channel("discord", Platform.DISCORD, ChannelRoute.ALL),
                channel("critical", Platform.MATTERMOST, new ChannelRoute(Severity.CRITICAL, Set.of(), null, null)))) {
            AlertGrouper g = new AlertGrouper(c.name(), GroupBy.RUN_AND_DETECTOR, NOW, true, 100, 1000);
            workers.add(new ChannelWorker(c, g, retry, http, Clock.systemUTC(), metrics, 100).start());
        }
        dispatcher = new NotifierDispatcher(workers, Duration.ofHours(1), Clock.systemUTC(), metrics);
    }

    @AfterEach
    void stop() throws IOException {
        dispatcher.close();
        receiver.close();
    }

    private Channel channel(String name, Platform platform, ChannelRoute route) {
        return new Channel(name, platform, WebhookUrl.parse(receiver.url("/" + name)), route,
                Notifier.of(platform, platform.maxChars(), 10), new TokenBucket(100, 100), true);
    }

    private static TunerCommand suggestion(String runId, String alertId) {
        return new TunerCommand(1, runId + "/" + alertId + "/lr", runId, TunerCommand.SET_LEARNING_RATE, 0.001,
                "plateau: learning rate 0.01000 -> 0.001000 (x0.1, decay 1)", alertId, Instant.now(), null, null,
                TunerCommand.SUGGEST);
    }

    @Test
    void aSuggestionGoesToTheChannelsThatGotItsAlert() throws Exception {
        Alert plateau = firing("job-1", "plateau", Alert.WARNING, 180);
        assertThat(dispatcher.dispatch(plateau, Instant.now())).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/slack").size() == 1);
        assertThat(dispatcher.suggest(suggestion("job-1", plateau.alertId()), Instant.now())).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/slack").size() == 2
                && receiver.at("/teams").size() == 2 && receiver.at("/discord").size() == 2);

        String slack = JSON.readTree(receiver.at("/slack").get(1).body()).get("text").asText();
        assertThat(slack).contains("SUGGESTION", "job-1", "set the learning rate to 0.001", "plateau: learning rate",
                "Not applied");
        JsonNode discord = JSON.readTree(receiver.at("/discord").get(1).body());
        assertThat(discord.get("content").asText()).contains("SUGGESTION", "job-1");
        assertThat(discord.at("/allowed_mentions/parse")).isEmpty();
        JsonNode teams = JSON.readTree(receiver.at("/teams").get(1).body());
        assertThat(teams.at("/attachments/0/content/type").asText()).isEqualTo("AdaptiveCard");
        assertThat(teams.at("/attachments/0/content/body/0/text").asText()).contains("SUGGESTION", "0.001");
        // The critical-only channel got neither the warning nor its suggestion.
        Thread.sleep(300);
        assertThat(receiver.at("/critical")).isEmpty();
    }

    @Test
    void aSuggestionReadBeforeItsAlertWaitsForIt() {
        Alert plateau = firing("job-2", "plateau", Alert.WARNING, 180);
        assertThat(dispatcher.suggest(suggestion("job-2", plateau.alertId()), Instant.now())).isZero();
        assertThat(receiver.all()).isEmpty();
        dispatcher.dispatch(plateau, Instant.now());
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/slack").size() == 2);
        assertThat(receiver.at("/slack")).anySatisfy(r -> assertThat(r.body()).contains("SUGGESTION"));
    }

    @Test
    void commandsToApplyAndStaleSuggestionsAreNotSentToChat() throws Exception {
        Alert plateau = firing("job-3", "plateau", Alert.WARNING, 180);
        dispatcher.dispatch(plateau, Instant.now());
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.at("/slack").size() == 1);
        TunerCommand apply = new TunerCommand(1, "c", "job-3", TunerCommand.SET_LEARNING_RATE, 0.001, "plateau",
                plateau.alertId(), Instant.now(), null, null);
        assertThat(dispatcher.suggest(apply, Instant.now())).isZero();
        assertThat(dispatcher.suggest(suggestion("job-3", plateau.alertId()), Instant.now().minus(Duration.ofHours(2))))
                .isZero();
        Thread.sleep(1500);
        assertThat(receiver.at("/slack")).hasSize(1);
    }

    @Test
    void aSuggestionWaitingForItsAlertHoldsItsRecordUntilTheAlertComesOrItIsStale() {
        TestAlerts.MutableClock clock = new TestAlerts.MutableClock(TestAlerts.T0);
        NotifierDispatcher d = new NotifierDispatcher(List.of(), Duration.ofHours(1), clock,
                new NotifyMetrics(new SimpleMeterRegistry()));
        UnfinishedOffsets offsets = new UnfinishedOffsets(100);
        Completion waiting = offsets.begin("commands", 0, 0);
        d.suggest(suggestion("job-9", "never-read"), TestAlerts.T0, waiting);
        waiting.release();
        clock.advance(Duration.ofMinutes(30));
        d.expireWaiting();
        assertThat(waiting.isFinished()).as("its alert may still come").isFalse();
        Completion answered = offsets.begin("commands", 0, 1);
        Alert alert = TestAlerts.firing("job-9", "plateau", 100);
        d.suggest(suggestion("job-9", alert.alertId()), clock.instant(), answered);
        answered.release();
        Completion read = offsets.begin("alerts", 0, 0);
        d.dispatch(alert, clock.instant(), read);
        read.release();
        assertThat(answered.isFinished()).as("its alert matched no channel: nothing to send").isTrue();
        clock.advance(Duration.ofMinutes(31));
        d.expireWaiting();
        assertThat(waiting.isFinished()).as("stale: its alert will not come").isTrue();
        assertThat(offsets.unfinished()).isZero();
    }
}
