package io.trainwatch.monitor.notify;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes each alert to the workers of the channels whose route matches, without ever waiting: the caller
 * (the Kafka consumer) hands alerts over and goes on. Alerts published longer ago than {@code maxAge} are
 * counted as stale and not sent.
 */
public final class NotifierDispatcher implements AutoCloseable {

    private final List<ChannelWorker> workers;
    private final Duration maxAge;
    private final Clock clock;
    private final NotifyMetrics metrics;

    public NotifierDispatcher(List<ChannelWorker> workers, Duration maxAge, Clock clock, NotifyMetrics metrics) {
        this.workers = List.copyOf(workers);
        this.maxAge = maxAge;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Builds one started worker per channel. */
    public static NotifierDispatcher start(List<Channel> channels, NotifyConfig config, Clock clock, NotifyMetrics metrics) {
        GroupBy groupBy = groupBy(config);
        AlertGrouper.Timing timing = new AlertGrouper.Timing(config.groupWait(), config.groupInterval(), config.repeatInterval());
        NotifyConfig.Retry r = config.retry();
        RetryPolicy retry = new RetryPolicy(r.maxAttempts(), r.initialBackoff(), r.maxBackoff(), r.maxRetryAfter(),
                Math::random);
        WebhookClient http = new WebhookClient(config.http().connectTimeout(), config.http().requestTimeout());
        List<ChannelWorker> workers = new ArrayList<>();
        for (Channel c : channels) {
            AlertGrouper grouper = new AlertGrouper(c.name(), groupBy, timing, c.sendResolved(), config.maxGroups(),
                    config.rememberedAlerts());
            workers.add(new ChannelWorker(c, grouper, retry, http, clock, metrics, config.queueCapacity()).start());
        }
        return new NotifierDispatcher(workers, config.maxAlertAge(), clock, metrics);
    }

    static GroupBy groupBy(NotifyConfig config) {
        List<String> unknown = new ArrayList<>();
        GroupBy groupBy = GroupBy.parse(config.groupBy(), unknown);
        if (!unknown.isEmpty()) {
            Log.warnf("trainwatch.notify.group-by: unknown label(s) %s ignored (run, study, detector, severity)", unknown);
        }
        return groupBy;
    }

    /**
     * Hands an alert to every matching channel.
     *
     * @param publishedAt when the alert was published (the Kafka record's timestamp), or null if unknown
     * @return the number of channels that queued it
     */
    public int dispatch(Alert alert, Instant publishedAt) {
        int queued = 0;
        boolean stale = publishedAt != null && publishedAt.plus(maxAge).isBefore(clock.instant());
        for (ChannelWorker w : workers) {
            if (!w.channel().route().matches(alert)) {
                continue;
            }
            if (stale) {
                metrics.count(w.channel(), NotifyMetrics.STALE, 1);
            } else if (w.offer(alert)) {
                queued++;
            }
        }
        return queued;
    }

    public List<ChannelWorker> workers() {
        return workers;
    }

    @Override
    public void close() {
        workers.forEach(ChannelWorker::signalStop);
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (ChannelWorker w : workers) {
            w.close(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
        }
    }
}
