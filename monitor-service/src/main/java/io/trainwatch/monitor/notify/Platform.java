package io.trainwatch.monitor.notify;

import java.util.Locale;
import java.util.Optional;

/**
 * The chat platforms, each with its message size limit and a default rate limit per webhook.
 *
 * <p>Sources: Slack's chat.postMessage docs ("limit the text field to 4,000 characters", truncated over
 * 40,000) and its incoming-webhook limit of about one message per second; Mattermost's post size limit
 * (16,383 characters since server 5.0) and its default API rate limit (10/s, burst 100, when enabled);
 * Microsoft Teams' message size limit of about 28 KB and its connector throttling (more than 4 requests
 * per second); Discord's 2,000-character {@code content} and its webhook limit of about 30 messages per
 * minute per channel.
 */
public enum Platform {
    SLACK("slack", 4_000, 1.0, 3),
    MATTERMOST("mattermost", 16_383, 5.0, 10),
    /** For Teams the limit is in payload bytes, not text characters. */
    TEAMS("teams", 28_000, 1.0, 4),
    DISCORD("discord", 2_000, 0.5, 5);

    private final String id;
    private final int maxChars;
    private final double ratePerSecond;
    private final int burst;

    Platform(String id, int maxChars, double ratePerSecond, int burst) {
        this.id = id;
        this.maxChars = maxChars;
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
    }

    /** The name used in configuration and metric tags. */
    public String id() {
        return id;
    }

    /** The platform's hard size limit: characters of text, or payload bytes for Teams. */
    public int maxChars() {
        return maxChars;
    }

    public double defaultRatePerSecond() {
        return ratePerSecond;
    }

    public int defaultBurst() {
        return burst;
    }

    /** The platform of a configured name (case-insensitive; {@code msteams} and {@code microsoft-teams} too). */
    public static Optional<Platform> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("msteams") || n.equals("microsoft-teams") || n.equals("ms-teams")) {
            return Optional.of(TEAMS);
        }
        for (Platform p : values()) {
            if (p.id.equals(n)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
