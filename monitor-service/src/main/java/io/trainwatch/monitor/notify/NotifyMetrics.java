package io.trainwatch.monitor.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The notifier's Micrometer meters: {@code monitor.notifications} by {@code channel}, {@code platform} and
 * {@code outcome} (messages {@code sent}, {@code failed} (refused for good) and {@code suppressed} (a resolution
 * whose firing never reached the chat); alerts {@code dropped} for a full queue or outbox or evicted,
 * {@code deduplicated}, {@code stale}), {@code monitor.notifications.retries}, the queue depth, the messages
 * waiting for delivery ({@code monitor.notifications.outbox}), the records whose messages are not all delivered
 * yet ({@code monitor.notifications.unfinished.records}: their offsets are not committed), and
 * unreadable records on {@code training.alerts}. Tags are bounded by the configured channels.
 */
public final class NotifyMetrics {

    public static final String NOTIFICATIONS = "monitor.notifications";
    public static final String RETRIES = "monitor.notifications.retries";
    public static final String QUEUED = "monitor.notifications.queued";
    public static final String OUTBOX = "monitor.notifications.outbox";
    public static final String INVALID = "monitor.notifications.invalid.records";
    public static final String UNFINISHED = "monitor.notifications.unfinished.records";

    public static final String SENT = "sent";
    public static final String FAILED = "failed";
    public static final String DROPPED = "dropped";
    public static final String DEDUPLICATED = "deduplicated";
    public static final String STALE = "stale";
    public static final String SUPPRESSED = "suppressed";

    private final MeterRegistry registry;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    public NotifyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void count(Channel c, String outcome, int n) {
        if (n <= 0) {
            return;
        }
        counters.computeIfAbsent(c.name() + '|' + outcome, k -> Counter.builder(NOTIFICATIONS)
                .description("Chat notifications by outcome: messages sent/failed/suppressed, alerts dropped/deduplicated/stale")
                .tag("channel", c.name()).tag("platform", c.platform().id()).tag("outcome", outcome)
                .register(registry)).increment(n);
    }

    public void retry(Channel c) {
        counters.computeIfAbsent(c.name() + "|retry", k -> Counter.builder(RETRIES)
                .description("Webhook deliveries retried after a 5xx, a 429 or a network error")
                .tag("channel", c.name()).tag("platform", c.platform().id())
                .register(registry)).increment();
    }

    public void invalidRecord() {
        counters.computeIfAbsent("|invalid", k -> Counter.builder(INVALID)
                .description("Records on training.alerts that are not valid alerts, skipped by the notifier")
                .register(registry)).increment();
    }

    public void queueGauge(Channel c, Supplier<Number> depth) {
        Gauge.builder(QUEUED, depth).description("Alerts waiting in a chat channel's queue")
                .tag("channel", c.name()).tag("platform", c.platform().id()).strongReference(true).register(registry);
    }

    public void outboxGauge(Channel c, Supplier<Number> depth) {
        Gauge.builder(OUTBOX, depth).description("Chat messages waiting for delivery (kept while the chat server fails)")
                .tag("channel", c.name()).tag("platform", c.platform().id()).strongReference(true).register(registry);
    }

    public void unfinishedGauge(Supplier<Number> records) {
        Gauge.builder(UNFINISHED, records)
                .description("Records read whose chat messages are not all delivered or given up (offsets not committed)")
                .strongReference(true).register(registry);
    }

    /** Reads a counter (0 when it was never incremented), for tests and logs. */
    public double value(String channel, String outcome) {
        Counter c = counters.get(channel + '|' + outcome);
        return c == null ? 0 : c.count();
    }
}
