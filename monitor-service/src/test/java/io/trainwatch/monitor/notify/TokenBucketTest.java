package io.trainwatch.monitor.notify;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static io.trainwatch.monitor.notify.TestAlerts.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenBucketTest {

    @Test
    void burstThenRate() {
        TokenBucket b = new TokenBucket(1.0, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(b.tryAcquire(T0)).isZero();
        }
        assertThat(b.tryAcquire(T0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.tryAcquire(T0.plusMillis(400))).isEqualTo(Duration.ofMillis(600));
        assertThat(b.tryAcquire(T0.plusSeconds(1))).isZero();
        assertThat(b.tryAcquire(T0.plusSeconds(1))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void refillIsCappedAtTheBurst() {
        TokenBucket b = new TokenBucket(2.0, 2);
        b.tryAcquire(T0);
        b.tryAcquire(T0);
        Instant later = T0.plusSeconds(3600);
        assertThat(b.tryAcquire(later)).isZero();
        assertThat(b.tryAcquire(later)).isZero();
        assertThat(b.tryAcquire(later)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void slowRatesWaitLong() {
        TokenBucket b = new TokenBucket(0.5, 1); // Discord: 30 per minute
        assertThat(b.tryAcquire(T0)).isZero();
        assertThat(b.tryAcquire(T0)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aClockGoingBackwardsAddsNothing() {
        TokenBucket b = new TokenBucket(1.0, 1);
        assertThat(b.tryAcquire(T0)).isZero();
        assertThat(b.tryAcquire(T0.minusSeconds(10))).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.tryAcquire(T0.plusSeconds(1))).isZero();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new TokenBucket(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(Double.POSITIVE_INFINITY, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
