package io.trainwatch.monitor.stream;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** Stream threads that keep failing make the monitor not ready; a failure now and then does not, and it ages out. */
class ThreadFailuresTest {

    private Instant now = Instant.parse("2026-12-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Test
    void failingOnlyWhileTheLimitIsReachedWithinTheWindow() {
        ThreadFailures f = new ThreadFailures(clock);
        assertThat(f.failing()).isFalse();
        assertThat(f.failed()).isEqualTo(1);
        now = now.plusSeconds(60);
        assertThat(f.failed()).isEqualTo(2);
        assertThat(f.failing()).isFalse();
        now = now.plusSeconds(60);
        assertThat(f.failed()).isEqualTo(3);
        assertThat(f.failing()).isTrue();
        // The first failure ages out of the window: two left.
        now = now.plus(ThreadFailures.WINDOW).minusSeconds(119);
        assertThat(f.count()).isEqualTo(2);
        assertThat(f.failing()).isFalse();
        now = now.plus(ThreadFailures.WINDOW);
        assertThat(f.count()).isZero();
    }

    @Test
    void aStormOfFailuresKeepsItsMemoryBounded() {
        ThreadFailures f = new ThreadFailures(clock);
        for (int i = 0; i < 10_000; i++) {
            f.failed();
        }
        assertThat(f.count()).isEqualTo(ThreadFailures.LIMIT * 10);
        assertThat(f.failing()).isTrue();
    }
}
