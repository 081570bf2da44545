package io.trainwatch.monitor.notify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Builds the {@link Channel}s from configuration. A channel with a mistake (unknown platform or severity, bad
 * regex, missing or unreadable URL) is reported and left out: the others and the monitor go on. Channels
 * posting to the same webhook URL share one rate limit.
 */
public final class ChannelFactory {

    /** The channels built and the reasons others were left out (never containing a URL). */
    public record Result(List<Channel> channels, List<String> errors) {
    }

    private ChannelFactory() {
    }

    public static Result build(NotifyConfig config, Function<String, String> env) {
        List<Channel> channels = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Map<WebhookUrl, TokenBucket> buckets = new HashMap<>();
        // sorted by name: a stable order for logs and tests
        for (Map.Entry<String, NotifyConfig.Channel> e : new TreeMap<>(config.channels()).entrySet()) {
            String name = e.getKey();
            NotifyConfig.Channel c = e.getValue();
            try {
                channels.add(build(name, c, config, env, buckets));
            } catch (IllegalArgumentException ex) {
                errors.add("channel " + name + ": " + ex.getMessage());
            }
        }
        return new Result(List.copyOf(channels), List.copyOf(errors));
    }

    private static Channel build(String name, NotifyConfig.Channel c, NotifyConfig config, Function<String, String> env,
                                 Map<WebhookUrl, TokenBucket> buckets) {
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("the name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        Platform platform = Platform.parse(c.platform().orElseThrow(() ->
                new IllegalArgumentException("platform is missing (slack, mattermost, teams or discord)")))
                .orElseThrow(() -> new IllegalArgumentException("unknown platform '" + c.platform().get()
                        + "' (slack, mattermost, teams or discord)"));
        Severity min = Severity.parse(c.minSeverity()).orElseThrow(() ->
                new IllegalArgumentException("unknown min-severity '" + c.minSeverity() + "' (info, warning, critical)"));
        Set<String> detectors = new LinkedHashSet<>();
        c.detectors().ifPresent(list -> list.stream().map(String::trim).filter(s -> !s.isEmpty()).forEach(detectors::add));
        Pattern runs = regex("runs", c.runs().orElse(null));
        Pattern studies = regex("studies", c.studies().orElse(null));
        WebhookUrl url = WebhookUrl.resolve(c.urlEnv(), c.urlFile(), env);
        double rate = c.ratePerSecond().orElse(platform.defaultRatePerSecond());
        int burst = c.burst().orElse(platform.defaultBurst());
        if (!(rate > 0) || Double.isInfinite(rate) || burst < 1) {
            throw new IllegalArgumentException("rate-per-second must be > 0 and burst >= 1");
        }
        TokenBucket bucket = buckets.computeIfAbsent(url, u -> new TokenBucket(rate, burst));
        int maxChars = Math.min(c.maxChars().orElse(platform.maxChars()), platform.maxChars());
        if (maxChars < 200) {
            throw new IllegalArgumentException("max-chars must be at least 200");
        }
        Notifier notifier = Notifier.of(platform, maxChars, Math.max(1, config.maxAlertsPerMessage()));
        return new Channel(name, platform, url, new ChannelRoute(min, detectors, runs, studies), notifier, bucket,
                c.sendResolved());
    }

    private static Pattern regex(String what, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(what + " is not a valid regex: " + e.getDescription());
        }
    }
}
