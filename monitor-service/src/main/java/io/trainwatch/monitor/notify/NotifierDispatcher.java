package io.trainwatch.monitor.notify;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes each alert to the workers of the channels whose route matches, without ever waiting: the caller
 * (the Kafka consumer) hands alerts over and goes on. Alerts published longer ago than {@code maxAge} are
 * counted as stale and not sent. A tuner's suggestion goes to the channels its alert went to. Not thread-safe:
 * one consumer thread calls it.
 *
 * <p>Each record comes with its {@link Completion}: every channel that takes the alert takes a reference of it; a
 * stale alert, one no route matches and a suggestion that is not sent take none. The caller releases its own
 * reference once the call returns.
 */
public final class NotifierDispatcher implements AutoCloseable {

    private final List<ChannelWorker> workers;
    private final Duration maxAge;
    private final Clock clock;
    private final NotifyMetrics metrics;
    /** alertId -> the workers that queued that firing alert, the latest {@link #REMEMBERED_ROUTES}. */
    private final Map<String, List<ChannelWorker>> routes = new LinkedHashMap<>();
    /** A suggestion read before its alert, with its record's completion and when it was published. */
    private record Waiting(TunerCommand suggestion, Completion done, Instant publishedAt) {
    }

    /** Suggestions read before their alert (two topics: no order between them), the latest {@link #WAITING}. */
    private final Map<String, List<Waiting>> waiting = new LinkedHashMap<>();
    private int waitingCount;

    /** Alerts whose channels are remembered for the suggestions that answer them (ours: a few hours of alerts). */
    static final int REMEMBERED_ROUTES = 4096;
    /** Suggestions kept until their alert is read (ours). */
    static final int WAITING = 256;

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
            workers.add(new ChannelWorker(c, grouper, retry, http, clock, metrics, config.queueCapacity(),
                    config.outboxCapacity()).start());
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
        return dispatch(alert, publishedAt, Completion.NONE);
    }

    /** As {@link #dispatch(Alert, Instant)}; each channel that takes the alert takes a reference of {@code done}. */
    public int dispatch(Alert alert, Instant publishedAt, Completion done) {
        int queued = 0;
        boolean stale = stale(publishedAt);
        List<ChannelWorker> matched = new ArrayList<>();
        for (ChannelWorker w : workers) {
            if (!w.channel().route().matches(alert)) {
                continue;
            }
            matched.add(w);
            if (stale) {
                metrics.count(w.channel(), NotifyMetrics.STALE, 1);
            } else if (w.offer(alert, done.retain())) {
                queued++;
            }
        }
        if (Alert.FIRING.equals(alert.status()) && alert.alertId() != null) {
            routes.remove(alert.alertId());
            routes.put(alert.alertId(), List.copyOf(matched));
            while (routes.size() > REMEMBERED_ROUTES) {
                routes.remove(routes.keySet().iterator().next());
            }
            List<Waiting> held = waiting.remove(alert.alertId());
            if (held != null) {
                waitingCount -= held.size();
                for (Waiting s : held) {
                    offer(s.suggestion(), s.done(), matched);
                    s.done().release();
                }
            }
        }
        return queued;
    }

    /**
     * Hands a tuner's suggestion ({@code mode: suggest}) to the channels that got the alert it answers, as a
     * message of its own; a suggestion read before its alert waits for it. Commands to apply, suggestions with
     * no alert and stale ones are not sent.
     *
     * @return the number of channels that queued it now
     */
    public int suggest(TunerCommand suggestion, Instant publishedAt) {
        return suggest(suggestion, publishedAt, Completion.NONE);
    }

    /**
     * As {@link #suggest(TunerCommand, Instant)}; each channel that takes it, and the wait for its alert, take a
     * reference of {@code done}. A suggestion waits for its alert at most until it is stale
     * ({@link #expireWaiting()}) or pushed out by newer ones.
     */
    public int suggest(TunerCommand suggestion, Instant publishedAt, Completion done) {
        if (!suggestion.isSuggestion() || suggestion.alertId() == null || stale(publishedAt)) {
            return 0;
        }
        List<ChannelWorker> to = routes.get(suggestion.alertId());
        if (to == null) {
            waiting.computeIfAbsent(suggestion.alertId(), k -> new ArrayList<>())
                    .add(new Waiting(suggestion, done.retain(), publishedAt));
            waitingCount++;
            while (waitingCount > WAITING) {
                String oldest = waiting.keySet().iterator().next();
                List<Waiting> list = waiting.get(oldest);
                list.remove(0).done().release();
                waitingCount--;
                if (list.isEmpty()) {
                    waiting.remove(oldest);
                }
            }
            return 0;
        }
        return offer(suggestion, done, to);
    }

    /**
     * Gives up the suggestions that waited for their alert until they became stale (their alert will not come: it
     * was stale itself, or handled before a restart); called after every poll.
     */
    public void expireWaiting() {
        var it = waiting.values().iterator();
        while (it.hasNext()) {
            List<Waiting> list = it.next();
            list.removeIf(w -> {
                if (stale(w.publishedAt())) {
                    w.done().release();
                    waitingCount--;
                    return true;
                }
                return false;
            });
            if (list.isEmpty()) {
                it.remove();
            }
        }
    }

    private boolean stale(Instant publishedAt) {
        return publishedAt != null && publishedAt.plus(maxAge).isBefore(clock.instant());
    }

    private static int offer(TunerCommand suggestion, Completion done, List<ChannelWorker> to) {
        int queued = 0;
        for (ChannelWorker w : to) {
            if (w.offerSuggestion(suggestion, done.retain())) {
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
