package io.trainwatch.monitor.notify;

/** Slack incoming webhook: {@code {"text": ...}} in mrkdwn, kept under Slack's advised 4,000 characters. */
public final class SlackNotifier implements Notifier {

    private final int maxChars;
    private final int maxAlerts;

    public SlackNotifier(int maxChars, int maxAlerts) {
        this.maxChars = Math.min(maxChars, Platform.SLACK.maxChars());
        this.maxAlerts = maxAlerts;
    }

    @Override
    public Platform platform() {
        return Platform.SLACK;
    }

    @Override
    public byte[] suggestion(io.trainwatch.events.TunerCommand c) {
        return Json.bytes(Json.object().put("text", AlertText.suggestion(c, AlertText.Markup.SLACK, maxChars)));
    }

    @Override
    public byte[] payload(Notification n) {
        return Json.bytes(Json.object().put("text", AlertText.message(n, AlertText.Markup.SLACK, maxChars, maxAlerts)));
    }
}
