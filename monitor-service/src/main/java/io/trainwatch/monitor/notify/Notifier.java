package io.trainwatch.monitor.notify;

import io.trainwatch.events.TunerCommand;

/**
 * Renders a {@link Notification} as the JSON body of one platform's incoming webhook; delivery (HTTP POST,
 * retries, rate limit) is the same for every platform and lives in {@link ChannelWorker}.
 */
public interface Notifier {

    Platform platform();

    /** The JSON body to POST, within the platform's size limit. */
    byte[] payload(Notification notification);

    /** The JSON body of a tuner's suggestion ({@code mode: suggest}), one short message, within the limit. */
    byte[] suggestion(TunerCommand suggestion);

    /** The notifier of a platform, listing at most {@code maxAlerts} alerts in a message of at most {@code maxChars}. */
    static Notifier of(Platform platform, int maxChars, int maxAlerts) {
        return switch (platform) {
            case SLACK -> new SlackNotifier(maxChars, maxAlerts);
            case MATTERMOST -> new MattermostNotifier(maxChars, maxAlerts);
            case TEAMS -> new TeamsNotifier(maxChars, maxAlerts);
            case DISCORD -> new DiscordNotifier(maxChars, maxAlerts);
        };
    }
}
