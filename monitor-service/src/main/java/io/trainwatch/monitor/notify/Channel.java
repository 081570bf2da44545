package io.trainwatch.monitor.notify;

/**
 * A configured chat destination: its platform's notifier, its secret webhook URL, its route and the rate
 * limit of its webhook. Its {@code toString} shows the URL redacted.
 */
public record Channel(String name, Platform platform, WebhookUrl url, ChannelRoute route, Notifier notifier,
                      TokenBucket bucket, boolean sendResolved) {

    @Override
    public String toString() {
        return name + " (" + platform.id() + " " + url.redacted() + ", " + route + ", "
                + bucket.ratePerSecond() + "/s burst " + bucket.burst() + (sendResolved ? "" : ", no resolved") + ")";
    }
}
