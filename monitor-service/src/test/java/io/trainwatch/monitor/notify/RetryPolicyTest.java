package io.trainwatch.monitor.notify;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.trainwatch.monitor.notify.TestAlerts.T0;
import static org.assertj.core.api.Assertions.assertThat;

class RetryPolicyTest {

    private final RetryPolicy noJitter = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(60),
            Duration.ofMinutes(5), () -> 0.5);

    @Test
    void exponentialBackoffIsCapped() {
        RetryPolicy p = new RetryPolicy(20, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(5), () -> 0.5);
        assertThat(p.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.backoff(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(p.backoff(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(p.backoff(5)).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.backoff(1000)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void jitterStaysWithinTwentyPercent() {
        RetryPolicy low = new RetryPolicy(5, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(5), () -> 0.0);
        RetryPolicy high = new RetryPolicy(5, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(5), () -> 0.9999);
        RetryPolicy nan = new RetryPolicy(5, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(5), () -> Double.NaN);
        assertThat(low.backoff(1)).isEqualTo(Duration.ofSeconds(8));
        assertThat(high.backoff(1)).isBetween(Duration.ofMillis(11_990), Duration.ofSeconds(12));
        assertThat(nan.backoff(1)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void retriesServerErrorsRateLimitsAndNetworkErrorsOnly() {
        assertThat(noJitter.nextDelay(1, 500, null, T0)).contains(Duration.ofSeconds(1));
        assertThat(noJitter.nextDelay(1, 503, null, T0)).contains(Duration.ofSeconds(1));
        assertThat(noJitter.nextDelay(2, 429, null, T0)).contains(Duration.ofSeconds(2));
        assertThat(noJitter.nextDelay(1, -1, null, T0)).contains(Duration.ofSeconds(1));
        assertThat(noJitter.nextDelay(1, 400, null, T0)).isEmpty();
        assertThat(noJitter.nextDelay(1, 403, null, T0)).isEmpty();
        assertThat(noJitter.nextDelay(1, 404, null, T0)).isEmpty();
        assertThat(noJitter.nextDelay(1, 301, null, T0)).isEmpty();
    }

    @Test
    void givesUpAfterMaxAttempts() {
        assertThat(noJitter.nextDelay(4, 500, null, T0)).isPresent();
        assertThat(noJitter.nextDelay(5, 500, null, T0)).isEmpty();
    }

    @Test
    void retryAfterIsHonouredWhenLongerThanTheBackoff() {
        assertThat(noJitter.nextDelay(1, 429, "7", T0)).contains(Duration.ofSeconds(7));
        assertThat(noJitter.nextDelay(3, 429, "1", T0)).as("backoff 4s is longer").contains(Duration.ofSeconds(4));
        assertThat(noJitter.nextDelay(1, 429, "2.5", T0)).as("Discord's decimal seconds").contains(Duration.ofMillis(2500));
        assertThat(noJitter.nextDelay(1, 503, "Mon, 23 Nov 2026 10:00:30 GMT", T0)).contains(Duration.ofSeconds(30));
    }

    @Test
    void retryAfterBeyondTheCapGivesUp() {
        assertThat(noJitter.nextDelay(1, 429, "3600", T0)).isEmpty();
    }

    @Test
    void badRetryAfterFallsBackToTheBackoff() {
        for (String bad : new String[]{"", "  ", "soon", "-5", "NaN", "Infinity", "1e300", "Mon, 99 Nov"}) {
            assertThat(noJitter.nextDelay(1, 429, bad, T0)).as(bad).contains(Duration.ofSeconds(1));
        }
        assertThat(RetryPolicy.parseRetryAfter("Sun, 22 Nov 2026 10:00:00 GMT", T0)).as("a past date")
                .contains(Duration.ZERO);
    }
}
