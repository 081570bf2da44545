package io.trainwatch.monitor.notify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookUrlTest {

    static final String SECRET = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX";

    @Test
    void toStringAndRedactedHideThePath() {
        WebhookUrl url = WebhookUrl.parse(SECRET);
        assertThat(url.toString()).isEqualTo("https://hooks.slack.com/***").doesNotContain("SECRET");
        assertThat(url.redacted()).isEqualTo(url.toString());
        assertThat(WebhookUrl.parse("http://127.0.0.1:8080/hook?token=abc").toString()).isEqualTo("http://127.0.0.1:8080/***");
    }

    @Test
    void scrubRemovesTheUrlFromAnyText() {
        WebhookUrl url = WebhookUrl.parse("https://x.example/hooks/abc?sig=SIGNATURE");
        String scrubbed = url.scrub("java.net.ConnectException: https://x.example/hooks/abc?sig=SIGNATURE and /hooks/abc and SIGNATURE");
        assertThat(scrubbed).doesNotContain("abc").doesNotContain("SIGNATURE").contains("https://x.example/***");
        assertThat(url.scrub(null)).isNull();
    }

    @Test
    void channelToStringNeverShowsTheSecret() {
        WebhookUrl url = WebhookUrl.parse(SECRET);
        Channel c = new Channel("ops", Platform.SLACK, url, ChannelRoute.ALL, Notifier.of(Platform.SLACK, 4000, 10),
                new TokenBucket(1, 1), true);
        assertThat(c.toString()).doesNotContain("XXXXSECRETXXXX").doesNotContain("T000").contains("hooks.slack.com");
    }

    @Test
    void resolvesFromAnEnvironmentVariable() {
        WebhookUrl url = WebhookUrl.resolve(Optional.of("SLACK_WEBHOOK_URL"), Optional.empty(),
                Map.of("SLACK_WEBHOOK_URL", " " + SECRET + "\n")::get);
        assertThat(url.uri().toString()).isEqualTo(SECRET);
    }

    @Test
    void resolvesFromAFileWithATrailingNewline(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("slack");
        Files.writeString(file, SECRET + "\n");
        assertThat(WebhookUrl.resolve(Optional.empty(), Optional.of(file.toString()), k -> null).uri().toString())
                .isEqualTo(SECRET);
    }

    @Test
    void errorsNameTheSourceButNeverTheSecret(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.of("NOPE"), Optional.empty(), k -> null))
                .hasMessageContaining("NOPE is not set");
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.empty(), Optional.empty(), k -> null))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.of("A"), Optional.of("/b"), k -> null))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.empty(), Optional.of(dir.resolve("missing").toString()), k -> null))
                .hasMessageContaining("cannot read url-file");
        Path bad = dir.resolve("bad");
        Files.writeString(bad, "ftp://secret-host/SECRETPATH");
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.empty(), Optional.of(bad.toString()), k -> null))
                .hasMessageContaining("https://").hasMessageNotContaining("SECRETPATH");
        assertThatThrownBy(() -> WebhookUrl.resolve(Optional.of("E"), Optional.empty(), Map.of("E", "not a url SECRET")::get))
                .hasMessageNotContaining("SECRET");
        assertThatThrownBy(() -> WebhookUrl.parse("https:///nohost")).hasMessageContaining("no host");
    }
}
