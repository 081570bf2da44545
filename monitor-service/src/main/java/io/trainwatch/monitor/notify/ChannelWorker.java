package io.trainwatch.monitor.notify;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One channel's own thread: takes alerts from a bounded queue (a full queue drops and counts, so the Kafka
 * consumer never waits), groups them with an {@link AlertGrouper}, and delivers the due messages through an
 * {@link Outbox} with the webhook's rate limit and the {@link RetryPolicy}. Delivery never holds the thread: a
 * failed attempt schedules the next one and the thread goes on grouping. A message that uses up its attempts is
 * kept and tried again every {@code maxBackoff} until the server recovers; only a definitive answer (a 4xx other
 * than 429: a bad payload or a deleted webhook) or the outbox's bound gives a message up, and then the resolution
 * of an alert whose firing never reached the chat is not sent either. A dead or slow chat server holds only this
 * channel.
 *
 * <p>Every alert and suggestion comes with the {@link Completion} of its Kafka record; the worker releases it once
 * what the record produced on this channel is delivered or given up (dropped, deduplicated, refused, suppressed),
 * never when the worker stops with it undelivered: the record is then read again after a restart.
 */
public final class ChannelWorker implements AutoCloseable {

    /** The longest the thread sleeps without looking at the queue and the clock. */
    static final Duration MAX_IDLE = Duration.ofSeconds(1);
    /** Messages kept for delivery by default (beyond it the oldest non-critical one is dropped). */
    static final int DEFAULT_OUTBOX = 1000;

    private final Channel channel;
    private final AlertGrouper grouper;
    private final RetryPolicy retry;
    private final WebhookClient http;
    private final Clock clock;
    private final NotifyMetrics metrics;
    /** An alert or a suggestion with the completion of its record. */
    private record Item<T>(T value, Completion done) {
    }

    private final ArrayBlockingQueue<Item<Alert>> inbox;
    /** Suggestions to send as they come: one message each, no grouping (nothing resolves a suggestion). */
    private final ArrayBlockingQueue<Item<TunerCommand>> suggestions;
    private final Outbox outbox;
    /**
     * Alerts whose firing message was given up: their resolution is not announced, unless a later message announcing
     * them as firing (a repeat) is delivered.
     */
    private final AlertGrouper.BoundedSet undelivered = new AlertGrouper.BoundedSet(10_000);
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile boolean running = true;
    private final Thread thread;
    private Instant outageSince;

    public ChannelWorker(Channel channel, AlertGrouper grouper, RetryPolicy retry, WebhookClient http, Clock clock,
                         NotifyMetrics metrics, int queueCapacity) {
        this(channel, grouper, retry, http, clock, metrics, queueCapacity, DEFAULT_OUTBOX);
    }

    public ChannelWorker(Channel channel, AlertGrouper grouper, RetryPolicy retry, WebhookClient http, Clock clock,
                         NotifyMetrics metrics, int queueCapacity, int outboxCapacity) {
        this.channel = channel;
        this.grouper = grouper;
        this.retry = retry;
        this.http = http;
        this.clock = clock;
        this.metrics = metrics;
        this.inbox = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.suggestions = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.outbox = new Outbox(outboxCapacity);
        this.thread = new Thread(this::run, "trainwatch-notify-" + channel.name());
        this.thread.setDaemon(true);
        metrics.queueGauge(channel, inbox::size);
        metrics.outboxGauge(channel, outbox::size);
    }

    public ChannelWorker start() {
        thread.start();
        return this;
    }

    public Channel channel() {
        return channel;
    }

    /** Queues an alert without waiting; false (and counted as dropped) when the queue is full. */
    public boolean offer(Alert alert) {
        return offer(alert, Completion.NONE);
    }

    /**
     * Queues an alert without waiting, taking over one reference of its record's completion (released at once
     * when the alert is dropped); false (and counted as dropped) when the queue is full. A stopping worker takes
     * nothing and keeps the reference: the record stays unfinished, for the next notifier.
     */
    public boolean offer(Alert alert, Completion done) {
        if (!running) {
            return false;
        }
        if (!inbox.offer(new Item<>(alert, done))) {
            metrics.count(channel, NotifyMetrics.DROPPED, 1);
            done.release();
            return false;
        }
        return true;
    }

    /**
     * Queues a tuner's suggestion without waiting (sent within {@link #MAX_IDLE}); false (and counted as dropped)
     * when the queue is full.
     */
    public boolean offerSuggestion(TunerCommand suggestion) {
        return offerSuggestion(suggestion, Completion.NONE);
    }

    /** As {@link #offerSuggestion(TunerCommand)}, taking over one reference of its record's completion. */
    public boolean offerSuggestion(TunerCommand suggestion, Completion done) {
        if (!running) {
            return false;
        }
        if (!suggestions.offer(new Item<>(suggestion, done))) {
            metrics.count(channel, NotifyMetrics.DROPPED, 1);
            done.release();
            return false;
        }
        return true;
    }

    /**
     * Stops the thread, waiting at most {@code timeout}; messages not yet delivered are logged and their records
     * left unfinished (read again by the next notifier).
     */
    public void close(Duration timeout) {
        signalStop();
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the thread to stop without waiting for it. */
    public void signalStop() {
        running = false;
        stop.countDown();
        thread.interrupt();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private void run() {
        while (running) {
            try {
                turn();
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (RuntimeException e) {
                Log.errorf("Chat channel %s: unexpected %s (the channel goes on)", channel.name(),
                        channel.url().scrub(e.toString()));
                if (!pause(Duration.ofSeconds(1))) {
                    break;
                }
            }
        }
        if (!inbox.isEmpty() || !outbox.isEmpty()) {
            Log.infof("Chat channel %s stopped with %d alert(s) queued and %d message(s) not delivered; their records "
                    + "stay uncommitted and the next notifier sends them", channel.name(), inbox.size(), outbox.size());
        }
    }

    /** One turn of the thread: due messages into the outbox, at most one delivery attempt, then wait for alerts. */
    void turn() throws InterruptedException {
        Instant now = clock.instant();
        for (AlertGrouper.Message m : grouper.dueMessages(now)) {
            enqueue(Outbox.Entry.of(m, now));
        }
        Item<TunerCommand> s;
        while ((s = suggestions.poll()) != null) {
            enqueue(Outbox.Entry.of(s.value(), s.done(), now));
        }
        attemptHead(now);
        Duration wait = MAX_IDLE;
        for (Optional<Instant> next : List.of(grouper.nextDue(), outbox.nextAttempt())) {
            if (next.isPresent()) {
                Duration d = Duration.between(clock.instant(), next.get());
                if (d.compareTo(wait) < 0) {
                    wait = d;
                }
            }
        }
        Item<Alert> alert = wait.isNegative() || wait.isZero() ? inbox.poll()
                : inbox.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        while (alert != null) {
            admit(alert.value(), alert.done());
            alert = inbox.poll();
        }
    }

    private void admit(Alert alert, Completion done) {
        AlertGrouper.Admission a = grouper.add(alert, clock.instant(), done);
        if (a.outcome() == AlertGrouper.Outcome.DEDUPLICATED) {
            metrics.count(channel, NotifyMetrics.DEDUPLICATED, 1);
        }
        if (a.evicted() > 0) {
            metrics.count(channel, NotifyMetrics.DROPPED, a.evicted());
            Log.warnf("Chat channel %s holds too many alert groups: %d pending alert(s) evicted", channel.name(), a.evicted());
        }
    }

    private void enqueue(Outbox.Entry e) {
        outbox.add(e).ifPresent(dropped -> {
            metrics.count(channel, NotifyMetrics.DROPPED, dropped.notification == null ? 1 : dropped.notification.size());
            giveUp(dropped);
            dropped.finish();
            Log.warnf("Chat channel %s: %d message(s) wait for delivery; dropped the oldest %s one (%s)", channel.name(),
                    outbox.size(), dropped.critical() ? "critical" : "non-critical", what(dropped));
        });
    }

    /** Tries the oldest message once if its time has come; schedules the next try when it fails. */
    void attemptHead(Instant now) {
        Outbox.Entry e = outbox.head().orElse(null);
        if (e == null || now.isBefore(e.notBefore)) {
            return;
        }
        byte[] body = render(e);
        if (body == null) {
            outbox.removeHead();
            e.finish();
            return;
        }
        Duration limited = channel.bucket().tryAcquire(now);
        if (!limited.isZero()) {
            e.notBefore = now.plus(limited);
            return;
        }
        e.attempts++;
        e.cycleAttempts++;
        int status;
        String retryAfter = null;
        String problem;
        try {
            WebhookClient.Response r = http.post(channel.url(), body);
            if (RetryPolicy.success(r.status())) {
                outbox.removeHead();
                delivered(e);
                e.finish();
                metrics.count(channel, NotifyMetrics.SENT, 1);
                if (outageSince != null) {
                    Log.infof("Chat channel %s delivers again after %d s; %d message(s) still wait", channel.name(),
                            Duration.between(outageSince, clock.instant()).toSeconds(), outbox.size());
                    outageSince = null;
                }
                Log.debugf("Chat channel %s: sent %s (attempt %d)", channel.name(), what(e), e.attempts);
                return;
            }
            status = r.status();
            retryAfter = r.retryAfter();
            problem = "HTTP " + r.status() + " " + channel.url().scrub(r.body().replace('\n', ' '));
        } catch (IOException ex) {
            status = -1;
            problem = channel.url().scrub(ex.toString());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return; // stopping: the message stays where it is
        }
        Instant after = clock.instant();
        if (status >= 0 && !RetryPolicy.retryable(status)) {
            outbox.removeHead();
            metrics.count(channel, NotifyMetrics.FAILED, 1);
            giveUp(e);
            e.finish();
            Log.warnf("Chat channel %s (%s): the server refused the %s; not retried: %s", channel.name(),
                    channel.url().redacted(), what(e), problem);
            return;
        }
        metrics.retry(channel);
        Optional<Duration> delay = retry.nextDelay(e.cycleAttempts, status, retryAfter, after);
        if (delay.isPresent()) {
            e.notBefore = after.plus(delay.get());
            Log.debugf("Chat channel %s: attempt %d failed (%s), retrying in %d ms", channel.name(), e.attempts, problem,
                    delay.get().toMillis());
            return;
        }
        Duration hold = retry.maxBackoff();
        Optional<Duration> asked = RetryPolicy.parseRetryAfter(retryAfter, after);
        if (asked.isPresent() && asked.get().compareTo(hold) > 0) {
            hold = asked.get();
        }
        e.cycleAttempts = 0;
        e.notBefore = after.plus(hold);
        if (outageSince == null) {
            outageSince = e.queuedAt;
        }
        Log.warnf("Chat channel %s (%s): %d attempt(s) of the %s failed (%s); %d message(s) kept, next try in %d s",
                channel.name(), channel.url().redacted(), e.attempts, what(e), problem, outbox.size(), hold.toSeconds());
    }

    /** The body of a message, or null when it cannot be rendered or has nothing left to say. */
    private byte[] render(Outbox.Entry e) {
        try {
            if (e.suggestion != null) {
                return channel.notifier().suggestion(e.suggestion);
            }
            Optional<Notification> n = e.notification.withoutResolved(a -> undelivered.contains(a.alertId()));
            if (n.isEmpty()) {
                metrics.count(channel, NotifyMetrics.SUPPRESSED, 1);
                Log.debugf("Chat channel %s: not announcing the resolution of %s, whose firing never reached the chat",
                        channel.name(), what(e));
                return null;
            }
            return channel.notifier().payload(n.get());
        } catch (RuntimeException ex) {
            metrics.count(channel, NotifyMetrics.FAILED, 1);
            Log.errorf("Chat channel %s: cannot render %s: %s", channel.name(), what(e), ex);
            return null;
        }
    }

    /** A message announcing alerts as firing reached the chat: their resolution may be announced again. */
    private void delivered(Outbox.Entry e) {
        for (Alert a : e.firing()) {
            undelivered.remove(a.alertId());
        }
    }

    /** Remembers that the firing alerts of a message given up never reached the chat. */
    private void giveUp(Outbox.Entry e) {
        for (Alert a : e.firing()) {
            undelivered.add(a.alertId());
        }
    }

    private static String what(Outbox.Entry e) {
        return e.suggestion != null ? "suggestion [" + e.suggestion.runId() + "]"
                : e.notification.status() + " message [" + e.notification.groupKey().replace('\u0000', '/') + "]";
    }

    /** Waits, or returns false at once when the worker is stopping. */
    private boolean pause(Duration d) {
        try {
            return !stop.await(Math.max(1, d.toNanos()), TimeUnit.NANOSECONDS) && running;
        } catch (InterruptedException e) {
            if (running) {
                return true;
            }
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
