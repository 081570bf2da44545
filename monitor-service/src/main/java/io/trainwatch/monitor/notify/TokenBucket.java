package io.trainwatch.monitor.notify;

import java.time.Duration;
import java.time.Instant;

/**
 * A token bucket per webhook: {@code burst} messages at once, then {@code ratePerSecond}. Time is given by
 * the caller; thread-safe, so channels that share one webhook URL share one bucket.
 */
public final class TokenBucket {

    private final double ratePerNano;
    private final double capacity;
    private double tokens;
    private long lastNanos;
    private boolean started;

    public TokenBucket(double ratePerSecond, int burst) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond) || burst < 1) {
            throw new IllegalArgumentException("rate must be > 0 and finite, burst >= 1: " + ratePerSecond + ", " + burst);
        }
        this.ratePerNano = ratePerSecond / 1e9;
        this.capacity = burst;
        this.tokens = burst;
    }

    /**
     * Takes a token and returns {@link Duration#ZERO}, or takes nothing and returns how long until a token is
     * there. A clock that goes backwards adds no tokens.
     */
    public synchronized Duration tryAcquire(Instant now) {
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        if (!started) {
            started = true;
            lastNanos = nanos;
        } else if (nanos > lastNanos) {
            tokens = Math.min(capacity, tokens + (nanos - lastNanos) * ratePerNano);
            lastNanos = nanos;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return Duration.ZERO;
        }
        return Duration.ofNanos((long) Math.ceil((1.0 - tokens) / ratePerNano));
    }

    public double ratePerSecond() {
        return ratePerNano * 1e9;
    }

    public int burst() {
        return (int) capacity;
    }
}
