package io.trainwatch.monitor.notify;

/**
 * Discord webhook: {@code {"content": ...}} of at most 2,000 characters, with {@code allowed_mentions}
 * empty so that no text in an alert can ping {@code @everyone} or a role.
 */
public final class DiscordNotifier implements Notifier {

    private final int maxChars;
    private final int maxAlerts;

    public DiscordNotifier(int maxChars, int maxAlerts) {
        this.maxChars = Math.min(maxChars, Platform.DISCORD.maxChars());
        this.maxAlerts = maxAlerts;
    }

    @Override
    public Platform platform() {
        return Platform.DISCORD;
    }

    @Override
    public byte[] suggestion(io.trainwatch.events.TunerCommand c) {
        var body = Json.object().put("content", AlertText.suggestion(c, AlertText.Markup.MARKDOWN, maxChars));
        body.putObject("allowed_mentions").putArray("parse");
        return Json.bytes(body);
    }

    @Override
    public byte[] payload(Notification n) {
        var body = Json.object().put("content", AlertText.message(n, AlertText.Markup.MARKDOWN, maxChars, maxAlerts));
        body.putObject("allowed_mentions").putArray("parse");
        return Json.bytes(body);
    }
}
