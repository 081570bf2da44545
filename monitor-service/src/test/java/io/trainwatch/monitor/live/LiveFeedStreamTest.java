package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.service.KafkaClients;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The event stream without Kafka: a slow page loses pushes (and sees the gap), a fast one gets them all. */
class LiveFeedStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aSlowPageNeverHoldsUpTheOthers() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LiveFeed feed = new LiveFeed(LiveStoreTest.config(Map.of()), new KafkaClients(Map.of("bootstrap.servers", "unused:9092")),
                registry);
        AssertSubscriber<String> fast = feed.stream("a").subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        AssertSubscriber<String> slow = feed.stream("a").subscribe().withSubscriber(AssertSubscriber.create(1));
        AssertSubscriber<String> other = feed.stream(null).subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        assertThat(registry.get("monitor.live.clients").gauge().value()).isEqualTo(3);

        feed.push(); // nothing changed: nothing sent
        for (int i = 0; i < 20; i++) {
            feed.store().apply(Topics.TRAINING_EVENTS, "a", EventCodec.write(new StepEvent(1, "a", Instant.EPOCH, null, null,
                    i, 0, 1.0 / (i + 1), null, null, null, null, null, null, null, null)));
            feed.push();
        }
        assertThat(fast.getItems()).hasSize(21);
        assertThat(JSON.readTree(fast.getItems().get(0)).get("type").asText()).isEqualTo("hello");
        for (int i = 1; i <= 20; i++) {
            JsonNode push = JSON.readTree(fast.getItems().get(i));
            assertThat(push.get("seq").asLong()).isEqualTo(i);
            assertThat(push.at("/points/a/loss/steps/0").asLong()).isEqualTo(i - 1);
        }
        assertThat(JSON.readTree(other.getItems().get(5)).get("points")).as("no run shown: no points").isEmpty();
        assertThat(slow.getItems()).hasSize(1);
        slow.request(1);
        feed.store().apply(Topics.TRAINING_EVENTS, "a", EventCodec.write(new StepEvent(1, "a", Instant.EPOCH, null, null,
                20, 0, 0.01, null, null, null, null, null, null, null, null)));
        feed.push();
        assertThat(slow.getItems()).hasSize(2);
        assertThat(JSON.readTree(slow.getItems().get(1)).get("seq").asLong()).as("the gap the page reloads on").isEqualTo(21);
        slow.assertNotTerminated();
        slow.cancel();
        assertThat(registry.get("monitor.live.clients").gauge().value()).isEqualTo(2);
    }
}
