package io.trainwatch.monitor.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.Alert;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.resolved;
import static io.trainwatch.monitor.notify.TestAlerts.withStudy;
import static io.trainwatch.monitor.notify.TestAlerts.withText;
import static org.assertj.core.api.Assertions.assertThat;

class NotifiersTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Notification one(Alert a) {
        return Alert.FIRING.equals(a.status()) ? new Notification("ops", "k", false, List.of(a), List.of())
                : new Notification("ops", "k", false, List.of(), List.of(a));
    }

    static JsonNode json(Notifier n, Notification notification) throws IOException {
        return JSON.readTree(n.payload(notification));
    }

    static Notification many(int count, int textLength) {
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            alerts.add(withText(firing("run-" + i, "plateau", Alert.CRITICAL, i), "s".repeat(textLength) + "😀",
                    "r".repeat(textLength)));
        }
        return new Notification("ops", "k", false, alerts, List.of());
    }

    @Test
    void slackSendsOnlyTextWithEveryFact() throws IOException {
        Alert a = withStudy(firing("run-42", "divergence", Alert.CRITICAL, 1200), "study-7", "trial-3");
        JsonNode body = json(Notifier.of(Platform.SLACK, 4000, 10), one(a));
        assertThat(body.size()).isEqualTo(1);
        String text = body.get("text").asText();
        assertThat(text).contains("FIRING", "critical", "divergence", "`run-42`", "study `study-7`", "trial `trial-3`",
                "step 1200", "divergence detected at step 1200", "loss=NaN", "start_loss=2.303",
                "*Remedy:* Lower the learning rate");
    }

    @Test
    void slackEscapesControlSequences() throws IOException {
        Alert a = withText(firing("run<!channel>", "plateau", 1), "loss <!here> & <https://evil|click>", "none");
        String text = json(Notifier.of(Platform.SLACK, 4000, 10), one(a)).get("text").asText();
        assertThat(text).doesNotContain("<!channel>", "<!here>", "<https").contains("&lt;!here&gt; &amp;");
    }

    @Test
    void resolvedMessagesSayResolvedAndOmitTheRemedy() throws IOException {
        Alert r = resolved(firing("run-1", "plateau", 10));
        String text = json(Notifier.of(Platform.MATTERMOST, 16383, 10), one(r)).get("text").asText();
        assertThat(text).startsWith("✅").contains("RESOLVED", "**resolved · warning · plateau**", "cleared", "loss=0.5")
                .doesNotContain("Remedy");
    }

    @Test
    void mattermostAndDiscordDefuseMentions() throws IOException {
        Alert a = withText(firing("run-1", "plateau", 1), "ping @channel and @all", "x");
        assertThat(json(Notifier.of(Platform.MATTERMOST, 16383, 10), one(a)).get("text").asText())
                .doesNotContain("@channel").contains("@\u200Bchannel");
        JsonNode discord = json(Notifier.of(Platform.DISCORD, 2000, 10), one(a));
        assertThat(discord.get("allowed_mentions").get("parse").isArray()).isTrue();
        assertThat(discord.get("allowed_mentions").get("parse")).isEmpty();
    }

    @Test
    void discordStaysWithin2000Characters() throws IOException {
        JsonNode body = json(Notifier.of(Platform.DISCORD, 99_999, 10), many(50, 500));
        String content = body.get("content").asText();
        assertThat(content.length()).isLessThanOrEqualTo(2000);
        assertThat(content).contains("more alert(s) in this group");
        assertThat(content).startsWith("🔴").contains("FIRING:50");
    }

    @Test
    void aSingleHugeAlertIsCutNotDropped() throws IOException {
        Alert a = withText(firing("run-1", "plateau", 1), "x".repeat(60_000), "y".repeat(60_000));
        for (Platform p : new Platform[]{Platform.SLACK, Platform.DISCORD, Platform.MATTERMOST}) {
            String text = json(Notifier.of(p, p.maxChars(), 10), one(a)).get(p == Platform.DISCORD ? "content" : "text").asText();
            assertThat(text.length()).as(p.id()).isLessThanOrEqualTo(p.maxChars());
            assertThat(text).as(p.id()).contains("plateau", "run-1", "xxxx", AlertText.ELLIPSIS);
        }
    }

    @Test
    void slackAndMattermostRespectTheirLimitsWithManyAlerts() throws IOException {
        assertThat(json(Notifier.of(Platform.SLACK, 4000, 10), many(100, 600)).get("text").asText().length())
                .isLessThanOrEqualTo(4000);
        String mm = json(Notifier.of(Platform.MATTERMOST, 16383, 10), many(100, 600)).get("text").asText();
        assertThat(mm.length()).isLessThanOrEqualTo(16383);
        assertThat(mm).contains("…and 90 more alert(s)");
    }

    @Test
    void teamsSendsAnAdaptiveCard() throws IOException {
        Alert a = withStudy(firing("run-42", "exploding-gradients", Alert.CRITICAL, 77), "s1", "t1");
        JsonNode body = json(Notifier.of(Platform.TEAMS, 28_000, 10), one(a));
        assertThat(body.get("type").asText()).isEqualTo("message");
        JsonNode attachment = body.get("attachments").get(0);
        assertThat(attachment.get("contentType").asText()).isEqualTo("application/vnd.microsoft.card.adaptive");
        JsonNode card = attachment.get("content");
        assertThat(card.get("type").asText()).isEqualTo("AdaptiveCard");
        assertThat(card.get("version").asText()).isEqualTo("1.4");
        assertThat(card.get("body").get(0).get("text").asText()).contains("FIRING", "exploding-gradients", "run-42");
        assertThat(card.get("body").get(0).get("color").asText()).isEqualTo("Attention");
        JsonNode facts = card.get("body").get(1).get("items").get(1).get("facts");
        Map<String, String> f = new LinkedHashMap<>();
        facts.forEach(x -> f.put(x.get("title").asText(), x.get("value").asText()));
        assertThat(f).containsEntry("Run", "run-42").containsEntry("Study", "s1").containsEntry("Trial", "t1")
                .containsEntry("Step", "77 (epoch 1)").containsEntry("loss", "NaN").containsEntry("start_loss", "2.303");
        assertThat(body.toString()).contains("Remedy: Lower the learning rate");
    }

    @Test
    void teamsStaysUnder28KilobytesWhateverTheInput() {
        Notifier teams = Notifier.of(Platform.TEAMS, 28_000, 10);
        assertThat(teams.payload(many(200, 600)).length).isLessThanOrEqualTo(28_000);
        assertThat(teams.payload(many(1, 60_000)).length).isLessThanOrEqualTo(28_000);
        Map<String, Double> evidence = new LinkedHashMap<>();
        for (int i = 0; i < 500; i++) {
            evidence.put("layer_" + i + "_" + "k".repeat(100), (double) i);
        }
        Alert a = firing("run-1", "vanishing-gradients", 1);
        Alert big = new Alert(a.schemaVersion(), a.alertId(), a.status(), "r".repeat(200), "s".repeat(200), "t".repeat(200),
                a.detector(), a.severity(), a.step(), a.epoch(), a.timestamp(), "x".repeat(30_000), evidence,
                "y".repeat(30_000), a.suggestedAction());
        assertThat(teams.payload(one(big)).length).isLessThanOrEqualTo(28_000);
    }

    @Test
    void numbersAreShortAndNonFiniteValuesSpeltOut() {
        assertThat(AlertText.number(Double.NaN)).isEqualTo("NaN");
        assertThat(AlertText.number(Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
        assertThat(AlertText.number(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
        assertThat(AlertText.number(null)).isEqualTo("null");
        assertThat(AlertText.number(0.0)).isEqualTo("0");
        assertThat(AlertText.number(-0.0)).isEqualTo("0");
        assertThat(AlertText.number(1.9e-10)).isEqualTo("1.9E-10");
        assertThat(AlertText.number(2.302585)).isEqualTo("2.303");
        assertThat(AlertText.number(1200.0)).isEqualTo("1200");
        assertThat(AlertText.number(-0.5)).isEqualTo("-0.5");
        assertThat(AlertText.number(12_345_678.0)).isEqualTo("1.235E+7");
        assertThat(AlertText.number(1e-3)).isEqualTo("0.001");
    }

    @Test
    void evidenceListIsBounded() {
        Map<String, Double> evidence = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            evidence.put("k" + i, (double) i);
        }
        assertThat(AlertText.evidence(evidence)).contains("k7=7").doesNotContain("k8=").endsWith("…(12 more)");
        assertThat(AlertText.evidence(Map.of())).isEmpty();
        assertThat(AlertText.evidence(null)).isEmpty();
    }

    @Test
    void cuttingNeverSplitsAnEmoji() {
        String s = "ab😀cd";
        assertThat(AlertText.cut(s, 100)).isSameAs(s);
        assertThat(AlertText.cut(s, 4)).isEqualTo("ab…"); // "ab" + half an emoji would not fit: the emoji goes whole
        assertThat(AlertText.cut(s, 5)).isEqualTo("ab😀…");
        assertThat(AlertText.cut(s, 0)).isEmpty();
        assertThat(AlertText.cut(s, 1)).isEqualTo("a");
        for (int max = 0; max < 8; max++) {
            String cut = AlertText.cut("😀😀😀😀", max);
            assertThat(cut.length()).isLessThanOrEqualTo(max);
            assertThat(Character.isHighSurrogate(cut.isEmpty() ? 'x' : cut.charAt(cut.length() - 1))).isFalse();
        }
    }

    @Test
    void headerCountsFiringAndResolvedAndMarksRepeats() {
        Alert a = firing("run-1", "plateau", 1);
        Alert b = firing("run-1", "plateau", 2);
        Notification n = new Notification("ops", "k", true, List.of(a), List.of(resolved(b)));
        String header = AlertText.header(n, AlertText.Markup.PLAIN);
        assertThat(header).contains("[FIRING:1 RESOLVED:1]", "plateau", "run-1", "(still firing)");
    }
}
