package io.trainwatch.monitor.notify;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Settings of the chat notifier ({@code trainwatch.notify.*}); see {@code monitor-service/NOTIFY.md}.
 *
 * <p>The timing defaults follow Prometheus Alertmanager's route settings (group_wait 30s, group_interval 5m,
 * repeat_interval 4h), shortened where a training run needs it: a diverging run burns GPU time every minute.
 * Channel fields that a person types (platform, severity, regexes) are plain strings validated by
 * {@link ChannelFactory}, so that one mistyped channel is logged and skipped instead of stopping the monitor.
 */
@ConfigMapping(prefix = "trainwatch.notify")
public interface NotifyConfig {

    /** Master switch; with no channel configured the notifier is idle anyway. */
    @WithDefault("true")
    boolean enabled();

    /** The notifier's own consumer group on {@code training.alerts}, apart from the detectors' processing. */
    @WithDefault("monitor-notifier")
    String consumerGroup();

    /**
     * How long a new group waits for more alerts before its first message. Alertmanager: 30s (made for
     * scrape-based alerts arriving over several scrapes); 10s here, because the detectors already apply
     * warm-up and patience, and alerts of one run arrive within a few steps of each other.
     */
    @WithDefault("10s")
    Duration groupWait();

    /**
     * The least time between two messages of one group when it changes (new or resolved alerts).
     * Alertmanager: 5m; 1m here, because a run's state changes within minutes (divergence after a plateau).
     */
    @WithDefault("1m")
    Duration groupInterval();

    /**
     * How often a group whose alerts still fire is announced again with no change. Alertmanager: 4h, kept:
     * a stuck run that nobody acted on for hours deserves a reminder, not a stream of messages.
     */
    @WithDefault("4h")
    Duration repeatInterval();

    /** What groups alerts into one message: any of {@code run}, {@code study}, {@code detector}, {@code severity}. */
    @WithDefault("run,detector")
    List<String> groupBy();

    /**
     * Alerts published (Kafka record time) longer ago than this are not sent: a new consumer group that reads
     * {@code training.alerts} from the start (30 days of retention) must not replay a month of history to chat.
     */
    @WithDefault("1h")
    Duration maxAlertAge();

    /** Alerts waiting per channel; beyond it new alerts are dropped and counted, the consumer never waits. */
    @WithDefault("1000")
    int queueCapacity();

    /**
     * Messages per channel kept for delivery while the chat server fails (tried again until it recovers); beyond
     * it the oldest non-critical message is dropped first, counted as {@code dropped}.
     */
    @WithDefault("1000")
    int outboxCapacity();

    /**
     * Records read whose messages are not all delivered or given up (their offsets are not committed yet), beyond
     * which the notifier pauses reading until deliveries finish; the alerts wait on the topic meanwhile.
     */
    @WithDefault("10000")
    int maxUnfinishedRecords();

    /** Groups kept per channel (bounded state); the least recently active group is evicted beyond it. */
    @WithDefault("1000")
    int maxGroups();

    /** Alert ids remembered per channel for deduplication of redelivered or replayed alerts. */
    @WithDefault("10000")
    int rememberedAlerts();

    /** Alerts listed in one message; the rest is summarised as "and N more". */
    @WithDefault("10")
    int maxAlertsPerMessage();

    /** Retries of a failed delivery. */
    Retry retry();

    /** Timeouts of the webhook HTTP client. */
    Http http();

    /** The channels by name; none configured = notifier idle. */
    Map<String, Channel> channels();

    /** Retry of deliveries answered 5xx or 429, or that failed on the network. */
    interface Retry {

        /** Attempts per message, the first included (Alertmanager retries until the next group flush). */
        @WithDefault("5")
        int maxAttempts();

        /** First backoff; doubled at each retry (exponential backoff with +-20% jitter). */
        @WithDefault("1s")
        Duration initialBackoff();

        /** The longest backoff between two attempts. */
        @WithDefault("60s")
        Duration maxBackoff();

        /** A Retry-After longer than this gives up the message rather than hold the channel for it. */
        @WithDefault("5m")
        Duration maxRetryAfter();
    }

    /** Webhook HTTP timeouts: a slow chat server holds only its own channel's thread, at most this long. */
    interface Http {

        @WithDefault("5s")
        Duration connectTimeout();

        @WithDefault("10s")
        Duration requestTimeout();
    }

    /** One chat destination with its routing rules. */
    interface Channel {

        /** {@code slack}, {@code mattermost}, {@code teams} or {@code discord}. */
        Optional<String> platform();

        /** Name of the environment variable holding the webhook URL (a secret). */
        Optional<String> urlEnv();

        /** File holding the webhook URL (a secret), e.g. {@code /run/secrets/slack_webhook}. */
        Optional<String> urlFile();

        /** Least severity sent: {@code info}, {@code warning} or {@code critical}. */
        @WithDefault("info")
        String minSeverity();

        /** Detectors sent (empty: all). */
        Optional<List<String>> detectors();

        /** Regex that the whole runId must match (empty: all runs). */
        Optional<String> runs();

        /** Regex that the whole studyId must match (empty: all, including alerts with no study). */
        Optional<String> studies();

        /** Whether resolved alerts are announced (Alertmanager's send_resolved; true by default here). */
        @WithDefault("true")
        boolean sendResolved();

        /** Messages per second to this webhook; the default depends on the platform (see {@link Platform}). */
        OptionalDouble ratePerSecond();

        /** Messages sent at once before the rate applies; the default depends on the platform. */
        OptionalInt burst();

        /** A shorter text limit than the platform's (characters; Teams: payload bytes). */
        OptionalInt maxChars();
    }
}
