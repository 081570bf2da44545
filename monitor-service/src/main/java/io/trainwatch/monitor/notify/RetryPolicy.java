package io.trainwatch.monitor.notify;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * When to retry a webhook delivery: after a network error, a 5xx or a 429, with exponential backoff
 * ({@code initial * 2^(attempt-1)}, capped, +-20% jitter) and never sooner than the server's Retry-After
 * (seconds or an HTTP date); never after a other 4xx (a bad payload or a deleted webhook does not heal), nor
 * beyond {@code maxAttempts}, nor when Retry-After asks for longer than {@code maxRetryAfter}.
 */
public final class RetryPolicy {

    static final double JITTER = 0.2;

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;
    private final DoubleSupplier random;

    /**
     * @param random a source of numbers in [0, 1) for the jitter ({@code () -> 0.5} gives no jitter)
     */
    public RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter,
                       DoubleSupplier random) {
        this.maxAttempts = Math.max(1, maxAttempts);
        this.initialBackoff = initialBackoff.isNegative() ? Duration.ZERO : initialBackoff;
        this.maxBackoff = maxBackoff.compareTo(this.initialBackoff) < 0 ? this.initialBackoff : maxBackoff;
        this.maxRetryAfter = maxRetryAfter;
        this.random = random;
    }

    /** Whether an HTTP status is worth another attempt. */
    public static boolean retryable(int status) {
        return status == 429 || status >= 500;
    }

    /** Whether an HTTP status means delivered. */
    public static boolean success(int status) {
        return status >= 200 && status < 300;
    }

    /**
     * The wait before attempt {@code attempt + 1}, or empty to give up.
     *
     * @param attempt    the attempt that just failed, from 1
     * @param status     its HTTP status, or -1 for a network error or timeout
     * @param retryAfter the raw Retry-After header, if any
     * @param now        the current time (for HTTP-date Retry-After)
     */
    public Optional<Duration> nextDelay(int attempt, int status, String retryAfter, Instant now) {
        if (attempt >= maxAttempts || (status >= 0 && !retryable(status))) {
            return Optional.empty();
        }
        Duration backoff = backoff(attempt);
        Optional<Duration> after = parseRetryAfter(retryAfter, now);
        if (after.isPresent()) {
            if (after.get().compareTo(maxRetryAfter) > 0) {
                return Optional.empty();
            }
            if (after.get().compareTo(backoff) > 0) {
                return after;
            }
        }
        return Optional.of(backoff);
    }

    /** The jittered exponential backoff after attempt {@code attempt} (from 1). */
    public Duration backoff(int attempt) {
        double base = initialBackoff.toNanos() * Math.pow(2, Math.min(62, Math.max(0, attempt - 1)));
        base = Math.min(base, maxBackoff.toNanos());
        double jittered = base * (1 - JITTER + 2 * JITTER * clamp(random.getAsDouble()));
        return Duration.ofNanos((long) Math.min(jittered, maxBackoff.toNanos()));
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** The longest backoff; also how long a message that used up its attempts waits before the next round. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * A Retry-After value: delay-seconds (integer, or decimal as Discord sends) or an HTTP date; empty when
     * absent or unreadable. A date in the past is zero.
     */
    public static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            double seconds = Double.parseDouble(v);
            if (!(seconds >= 0) || Double.isInfinite(seconds) || seconds > 86_400 * 365) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis((long) Math.ceil(seconds * 1000)));
        } catch (NumberFormatException notNumber) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    private static double clamp(double r) {
        return Double.isNaN(r) ? 0.5 : Math.max(0, Math.min(1, r));
    }
}
