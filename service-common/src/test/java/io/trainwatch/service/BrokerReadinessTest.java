package io.trainwatch.service;

import org.apache.kafka.common.Node;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Readiness answers from the last probe, never from inside the request, and a silent probe counts as down. */
class BrokerReadinessTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private final KafkaClients clients = new KafkaClients(Map.of("bootstrap.servers", "127.0.0.1:9"));

    private static final class MovingClock extends Clock {
        Instant now = T0;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void downUntilTheFirstProbeThenWhatTheBrokerSaid() {
        MovingClock clock = new MovingClock();
        AtomicReference<Object> answer = new AtomicReference<>(List.of(new Node(1, "127.0.0.1", 9092)));
        BrokerReadiness r = new BrokerReadiness(clients, clock, () -> {
            Object a = answer.get();
            if (a instanceof Exception e) {
                throw e;
            }
            @SuppressWarnings("unchecked")
            List<Node> nodes = (List<Node>) a;
            return nodes;
        });
        assertThat(r.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(r.call().getData().orElseThrow()).containsEntry("reason", "not checked yet");

        r.probeOnce();
        HealthCheckResponse up = r.call();
        assertThat(up.getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(up.getData().orElseThrow()).containsEntry("nodes", "127.0.0.1:9092");

        answer.set(new org.apache.kafka.common.errors.TimeoutException("Timed out waiting for a node assignment"));
        r.probeOnce();
        HealthCheckResponse down = r.call();
        assertThat(down.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(String.valueOf(down.getData().orElseThrow().get("reason"))).contains("TimeoutException");

        answer.set(List.of());
        r.probeOnce();
        assertThat(r.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    }

    @Test
    void aProbeThatHangsDoesNotHoldTheRequestAndGoesStale() {
        MovingClock clock = new MovingClock();
        BrokerReadiness r = new BrokerReadiness(clients, clock, () -> List.of(new Node(1, "h", 1)));
        r.probeOnce();
        assertThat(r.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
        // No probe answers any more (the broker hangs): the request still answers at once, from what it knows.
        clock.now = T0.plus(BrokerReadiness.STALE_AFTER).plusSeconds(1);
        HealthCheckResponse stale = r.call();
        assertThat(stale.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(String.valueOf(stale.getData().orElseThrow().get("reason"))).startsWith("no answer from the broker for 7 s");
    }
}
