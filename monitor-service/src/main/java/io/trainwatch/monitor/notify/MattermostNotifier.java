package io.trainwatch.monitor.notify;

/** Mattermost incoming webhook: {@code {"text": ...}} in Markdown, within its 16,383-character post limit. */
public final class MattermostNotifier implements Notifier {

    private final int maxChars;
    private final int maxAlerts;

    public MattermostNotifier(int maxChars, int maxAlerts) {
        this.maxChars = Math.min(maxChars, Platform.MATTERMOST.maxChars());
        this.maxAlerts = maxAlerts;
    }

    @Override
    public Platform platform() {
        return Platform.MATTERMOST;
    }

    @Override
    public byte[] suggestion(io.trainwatch.events.TunerCommand c) {
        return Json.bytes(Json.object().put("text", AlertText.suggestion(c, AlertText.Markup.MARKDOWN, maxChars)));
    }

    @Override
    public byte[] payload(Notification n) {
        return Json.bytes(Json.object()
                .put("text", AlertText.message(n, AlertText.Markup.MARKDOWN, maxChars, maxAlerts)));
    }
}
