package io.trainwatch.monitor.notify;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.trainwatch.events.Alert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static org.assertj.core.api.Assertions.assertThat;

/** The configuration format, its defaults and its validation, through SmallRye Config as Quarkus reads it. */
class NotifyConfigTest {

    static NotifyConfig config(Map<String, String> properties, Map<String, String> env) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(NotifyConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new EnvConfigSource(env, 300))
                .build();
        return config.getConfigMapping(NotifyConfig.class);
    }

    @Test
    void defaultsAreTheDocumentedOnesAndNoChannelMeansIdle() {
        NotifyConfig c = config(Map.of(), Map.of());
        assertThat(c.enabled()).isTrue();
        assertThat(c.consumerGroup()).isEqualTo("monitor-notifier");
        assertThat(c.groupWait()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.groupInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.repeatInterval()).isEqualTo(Duration.ofHours(4));
        assertThat(c.groupBy()).containsExactly("run", "detector");
        assertThat(c.maxAlertAge()).isEqualTo(Duration.ofHours(1));
        assertThat(c.retry().maxAttempts()).isEqualTo(5);
        assertThat(c.retry().initialBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.http().requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.channels()).isEmpty();
        assertThat(ChannelFactory.build(c, k -> null).channels()).isEmpty();
    }

    @Test
    void channelsFromPropertiesWithEveryRule(@TempDir Path dir) throws IOException {
        Path secret = dir.resolve("teams");
        Files.writeString(secret, "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual?sig=SECRET\n");
        Map<String, String> p = new HashMap<>();
        p.put("trainwatch.notify.channels.ops.platform", "slack");
        p.put("trainwatch.notify.channels.ops.url-env", "SLACK_WEBHOOK_URL");
        p.put("trainwatch.notify.channels.ops.min-severity", "warning");
        p.put("trainwatch.notify.channels.ops.detectors", "plateau,divergence");
        p.put("trainwatch.notify.channels.ops.runs", "prod-.*");
        p.put("trainwatch.notify.channels.ml-team.platform", "Teams");
        p.put("trainwatch.notify.channels.ml-team.url-file", secret.toString());
        p.put("trainwatch.notify.channels.ml-team.send-resolved", "false");
        p.put("trainwatch.notify.channels.ml-team.rate-per-second", "0.2");
        p.put("trainwatch.notify.group-wait", "0s");
        NotifyConfig c = config(p, Map.of());
        assertThat(c.groupWait()).isZero();
        ChannelFactory.Result r = ChannelFactory.build(c,
                Map.of("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/SECRET")::get);
        assertThat(r.errors()).isEmpty();
        assertThat(r.channels()).extracting(Channel::name).containsExactly("ml-team", "ops");
        Channel teams = r.channels().get(0);
        Channel ops = r.channels().get(1);
        assertThat(teams.platform()).isEqualTo(Platform.TEAMS);
        assertThat(teams.sendResolved()).isFalse();
        assertThat(teams.bucket().ratePerSecond()).isEqualTo(0.2);
        assertThat(teams.notifier()).isInstanceOf(TeamsNotifier.class);
        assertThat(ops.platform()).isEqualTo(Platform.SLACK);
        assertThat(ops.bucket().ratePerSecond()).isEqualTo(Platform.SLACK.defaultRatePerSecond());
        assertThat(ops.route().matches(firing("prod-1", "plateau", Alert.WARNING, 1))).isTrue();
        assertThat(ops.route().matches(firing("prod-1", "plateau", Alert.INFO, 1))).isFalse();
        assertThat(ops.route().matches(firing("prod-1", "overfitting", Alert.CRITICAL, 1))).isFalse();
        assertThat(ops.route().matches(firing("dev-1", "plateau", Alert.CRITICAL, 1))).isFalse();
        assertThat(r.channels().toString()).doesNotContain("SECRET");
    }

    @Test
    void channelsFromEnvironmentVariablesOnly() {
        Map<String, String> env = new HashMap<>();
        env.put("TRAINWATCH_NOTIFY_CHANNELS_OPS_PLATFORM", "discord");
        env.put("TRAINWATCH_NOTIFY_CHANNELS_OPS_URL_ENV", "DISCORD_WEBHOOK_URL");
        env.put("TRAINWATCH_NOTIFY_CHANNELS_OPS_MIN_SEVERITY", "critical");
        env.put("TRAINWATCH_NOTIFY_GROUP_INTERVAL", "5m");
        NotifyConfig c = config(Map.of(), env);
        assertThat(c.groupInterval()).isEqualTo(Duration.ofMinutes(5));
        ChannelFactory.Result r = ChannelFactory.build(c,
                Map.of("DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/1/SECRET")::get);
        assertThat(r.errors()).isEmpty();
        assertThat(r.channels()).singleElement().satisfies(ch -> {
            assertThat(ch.name()).isEqualTo("ops");
            assertThat(ch.platform()).isEqualTo(Platform.DISCORD);
            assertThat(ch.route().minSeverity()).isEqualTo(Severity.CRITICAL);
        });
    }

    @Test
    void aBrokenChannelIsReportedAndTheOthersStillWork() {
        Map<String, String> p = new HashMap<>();
        p.put("trainwatch.notify.channels.good.platform", "mattermost");
        p.put("trainwatch.notify.channels.good.url-env", "MM");
        p.put("trainwatch.notify.channels.irc.platform", "irc");
        p.put("trainwatch.notify.channels.irc.url-env", "MM");
        p.put("trainwatch.notify.channels.nourl.platform", "slack");
        p.put("trainwatch.notify.channels.unset.platform", "slack");
        p.put("trainwatch.notify.channels.unset.url-env", "NOT_SET");
        p.put("trainwatch.notify.channels.badregex.platform", "slack");
        p.put("trainwatch.notify.channels.badregex.url-env", "MM");
        p.put("trainwatch.notify.channels.badregex.runs", "([a-z");
        p.put("trainwatch.notify.channels.badsev.platform", "slack");
        p.put("trainwatch.notify.channels.badsev.url-env", "MM");
        p.put("trainwatch.notify.channels.badsev.min-severity", "fatal");
        p.put("trainwatch.notify.channels.noplatform.url-env", "MM");
        p.put("trainwatch.notify.channels.badrate.platform", "slack");
        p.put("trainwatch.notify.channels.badrate.url-env", "MM");
        p.put("trainwatch.notify.channels.badrate.rate-per-second", "0");
        ChannelFactory.Result r = ChannelFactory.build(config(p, Map.of()),
                Map.of("MM", "https://chat.example.com/hooks/SECRETTOKEN")::get);
        assertThat(r.channels()).extracting(Channel::name).containsExactly("good");
        assertThat(r.errors()).hasSize(7).allSatisfy(e -> assertThat(e).doesNotContain("SECRETTOKEN"));
        assertThat(String.join("\n", r.errors())).contains("unknown platform 'irc'", "exactly one of url-env and url-file",
                "NOT_SET is not set", "not a valid regex", "unknown min-severity 'fatal'", "platform is missing",
                "rate-per-second");
    }

    @Test
    void channelsOnTheSameWebhookShareOneRateLimit() {
        Map<String, String> p = new HashMap<>();
        p.put("trainwatch.notify.channels.a.platform", "slack");
        p.put("trainwatch.notify.channels.a.url-env", "HOOK");
        p.put("trainwatch.notify.channels.b.platform", "slack");
        p.put("trainwatch.notify.channels.b.url-env", "HOOK");
        p.put("trainwatch.notify.channels.b.min-severity", "critical");
        ChannelFactory.Result r = ChannelFactory.build(config(p, Map.of()), Map.of("HOOK", "https://h.example/x")::get);
        assertThat(r.channels()).hasSize(2);
        assertThat(r.channels().get(0).bucket()).isSameAs(r.channels().get(1).bucket());
    }
}
