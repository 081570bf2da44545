package io.trainwatch.monitor.notify;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One channel's own thread: takes alerts from a bounded queue (a full queue drops and counts, so the Kafka
 * consumer never waits), groups them with an {@link AlertGrouper}, and delivers the due messages with the
 * webhook's rate limit and the {@link RetryPolicy}. A dead or slow chat server holds only this thread.
 */
public final class ChannelWorker implements AutoCloseable {

    /** The longest the thread sleeps without looking at the queue and the clock. */
    static final Duration MAX_IDLE = Duration.ofSeconds(1);

    private final Channel channel;
    private final AlertGrouper grouper;
    private final RetryPolicy retry;
    private final WebhookClient http;
    private final Clock clock;
    private final NotifyMetrics metrics;
    private final ArrayBlockingQueue<Alert> inbox;
    /** Suggestions to send as they come: one message each, no grouping (nothing resolves a suggestion). */
    private final ArrayBlockingQueue<io.trainwatch.events.TunerCommand> suggestions;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile boolean running = true;
    private final Thread thread;

    public ChannelWorker(Channel channel, AlertGrouper grouper, RetryPolicy retry, WebhookClient http, Clock clock,
                         NotifyMetrics metrics, int queueCapacity) {
        this.channel = channel;
        this.grouper = grouper;
        this.retry = retry;
        this.http = http;
        this.clock = clock;
        this.metrics = metrics;
        this.inbox = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.suggestions = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.thread = new Thread(this::run, "trainwatch-notify-" + channel.name());
        this.thread.setDaemon(true);
        metrics.queueGauge(channel, inbox::size);
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
        if (!running || !inbox.offer(alert)) {
            metrics.count(channel, NotifyMetrics.DROPPED, 1);
            return false;
        }
        return true;
    }

    /**
     * Queues a tuner's suggestion without waiting (sent within {@link #MAX_IDLE}); false (and counted as dropped)
     * when the queue is full.
     */
    public boolean offerSuggestion(io.trainwatch.events.TunerCommand suggestion) {
        if (!running || !suggestions.offer(suggestion)) {
            metrics.count(channel, NotifyMetrics.DROPPED, 1);
            return false;
        }
        return true;
    }

    /** Stops the thread, waiting at most {@code timeout}; a message being retried is given up. */
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
                for (Notification n : grouper.due(clock.instant())) {
                    deliver(n);
                }
                io.trainwatch.events.TunerCommand s;
                while ((s = suggestions.poll()) != null) {
                    deliver(s);
                }
                Duration wait = grouper.nextDue().map(t -> Duration.between(clock.instant(), t)).orElse(MAX_IDLE);
                if (wait.compareTo(MAX_IDLE) > 0) {
                    wait = MAX_IDLE;
                }
                Alert alert = wait.isNegative() || wait.isZero() ? inbox.poll() : inbox.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
                while (alert != null) {
                    admit(alert);
                    alert = inbox.poll();
                }
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
        if (!inbox.isEmpty()) {
            Log.infof("Chat channel %s stopped with %d alert(s) still queued", channel.name(), inbox.size());
        }
    }

    private void admit(Alert alert) {
        AlertGrouper.Admission a = grouper.add(alert, clock.instant());
        if (a.outcome() == AlertGrouper.Outcome.DEDUPLICATED) {
            metrics.count(channel, NotifyMetrics.DEDUPLICATED, 1);
        }
        if (a.evicted() > 0) {
            metrics.count(channel, NotifyMetrics.DROPPED, a.evicted());
            Log.warnf("Chat channel %s holds too many alert groups: %d pending alert(s) evicted", channel.name(), a.evicted());
        }
    }

    /** Sends one suggestion as its own message. */
    void deliver(io.trainwatch.events.TunerCommand s) {
        byte[] body;
        try {
            body = channel.notifier().suggestion(s);
        } catch (RuntimeException e) {
            metrics.count(channel, NotifyMetrics.FAILED, 1);
            Log.errorf("Chat channel %s: cannot render suggestion %s: %s", channel.name(), s.commandId(), e);
            return;
        }
        send(body, "suggestion", "[" + s.runId() + "]");
    }

    /** Sends one message: rate limit, then attempts with backoff until success, a final answer or stop. */
    void deliver(Notification n) {
        byte[] body;
        try {
            body = channel.notifier().payload(n);
        } catch (RuntimeException e) {
            metrics.count(channel, NotifyMetrics.FAILED, 1);
            Log.errorf("Chat channel %s: cannot render the message of group %s: %s", channel.name(), printable(n), e);
            return;
        }
        send(body, n.status(), printable(n));
    }

    private void send(byte[] body, String kind, String what) {
        for (int attempt = 1; running; attempt++) {
            Duration wait;
            while (!(wait = channel.bucket().tryAcquire(clock.instant())).isZero()) {
                if (!pause(wait)) {
                    metrics.count(channel, NotifyMetrics.FAILED, 1);
                    return;
                }
            }
            int status;
            String retryAfter = null;
            String problem;
            try {
                WebhookClient.Response r = http.post(channel.url(), body);
                if (RetryPolicy.success(r.status())) {
                    metrics.count(channel, NotifyMetrics.SENT, 1);
                    Log.debugf("Chat channel %s: sent %s %s (attempt %d)", channel.name(), kind, what, attempt);
                    return;
                }
                status = r.status();
                retryAfter = r.retryAfter();
                problem = "HTTP " + r.status() + " " + channel.url().scrub(r.body().replace('\n', ' '));
            } catch (IOException e) {
                status = -1;
                problem = channel.url().scrub(e.toString());
            } catch (InterruptedException e) {
                metrics.count(channel, NotifyMetrics.FAILED, 1);
                Thread.currentThread().interrupt();
                return;
            }
            Optional<Duration> delay = retry.nextDelay(attempt, status, retryAfter, clock.instant());
            if (delay.isEmpty()) {
                metrics.count(channel, NotifyMetrics.FAILED, 1);
                Log.warnf("Chat channel %s (%s): gave up the %s message of %s after %d attempt(s): %s",
                        channel.name(), channel.url().redacted(), kind, what, attempt, problem);
                return;
            }
            metrics.retry(channel);
            Log.debugf("Chat channel %s: attempt %d failed (%s), retrying in %d ms", channel.name(), attempt, problem,
                    delay.get().toMillis());
            if (!pause(delay.get())) {
                metrics.count(channel, NotifyMetrics.FAILED, 1);
                return;
            }
        }
        metrics.count(channel, NotifyMetrics.FAILED, 1);
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

    private static String printable(Notification n) {
        return "[" + n.groupKey().replace('\u0000', '/') + "]";
    }
}
