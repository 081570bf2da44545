package io.trainwatch.monitor.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.events.Alert;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.Topics;
import io.trainwatch.kafka.KafkaTestResource;
import io.trainwatch.service.KafkaClients;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.withStudy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * End to end over the real broker: an alert written to {@code training.alerts} reaches each platform's
 * webhook on a real local HTTP receiver, routed by severity, while a channel on a dead port retries aside.
 */
@QuarkusTest
@TestProfile(ChatNotifierProfile.class)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class ChatNotifierServiceIT {

    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    KafkaClients kafka;

    @Test
    void anAlertOnTheTopicReachesEveryMatchingChatChannel() throws Exception {
        String run = "chat-e2e-" + UUID.randomUUID().toString().substring(0, 8);
        Alert warning = withStudy(firing(run, "plateau", Alert.WARNING, 640), "study-e2e", "trial-2");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("chat-e2e-test"))) {
            producer.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, run, EventCodec.write(warning))).get();
            producer.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, run, "not an alert".getBytes(StandardCharsets.UTF_8))).get();
            producer.send(new ProducerRecord<>(Topics.TRAINING_ALERTS, run, EventCodec.write(warning))).get(); // duplicate
        }

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            List<String[]> got = received(run);
            return List.of("/slack", "/mattermost", "/teams", "/discord").stream()
                    .allMatch(p -> got.stream().anyMatch(r -> r[0].equals(p)));
        });
        List<String[]> got = received(run);
        for (String path : List.of("/slack", "/mattermost", "/teams", "/discord")) {
            assertThat(got.stream().filter(r -> r[0].equals(path)).count()).as(path + ": once, duplicate removed")
                    .isEqualTo(1);
        }
        JsonNode slack = JSON.readTree(body(got, "/slack"));
        assertThat(slack.get("text").asText()).contains("[FIRING]", "warning", "plateau", run, "study-e2e", "trial-2",
                "step 640", "loss=NaN", "Remedy");
        assertThat(JSON.readTree(body(got, "/mattermost")).get("text").asText()).contains("**[FIRING]", run);
        assertThat(JSON.readTree(body(got, "/discord")).get("content").asText()).contains(run).hasSizeLessThanOrEqualTo(2000);
        JsonNode teams = JSON.readTree(body(got, "/teams"));
        assertThat(teams.at("/attachments/0/contentType").asText()).isEqualTo("application/vnd.microsoft.card.adaptive");
        assertThat(teams.at("/attachments/0/content/version").asText()).isEqualTo("1.4");
        assertThat(teams.toString()).contains(run, "plateau");
        assertThat(got).as("a warning does not reach the critical-only channel").noneMatch(r -> r[0].equals("/critical"));

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String channel : List.of("slack", "mattermost", "teams", "discord")) {
            assertThat(counter(metrics, "monitor_notifications_total", channel, "sent")).as(channel).isGreaterThanOrEqualTo(1);
        }
        assertThat(metrics).contains("monitor_notifications_invalid_records_total");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String m = given().get("/q/metrics").then().extract().asString();
            return counter(m, "monitor_notifications_total", "slack", "deduplicated") >= 1
                    && m.contains("monitor_notifications_retries_total{channel=\"dead\"");
        });
        assertThat(given().get("/q/metrics").then().extract().asString()).doesNotContain("DEADSECRET");
    }

    /** What the receiver got for this run, as {path, body} pairs, read over HTTP. */
    private static List<String[]> received(String run) throws Exception {
        String port = System.getProperty(ChatNotifierProfile.PORT_PROPERTY);
        assertThat(port).as("the profile started the receiver").isNotNull();
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_received")).GET().build(), HttpResponse.BodyHandlers.ofString());
        List<String[]> out = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0 && line.contains(run)) {
                out.add(new String[]{line.substring(0, tab), line.substring(tab + 1)});
            }
        }
        return out;
    }

    private static String body(List<String[]> got, String path) {
        return got.stream().filter(r -> r[0].equals(path)).findFirst().orElseThrow()[1];
    }

    private static double counter(String prometheus, String name, String channel, String outcome) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(prometheus);
        double sum = 0;
        while (m.find()) {
            if (m.group(1).contains("channel=\"" + channel + "\"") && m.group(1).contains("outcome=\"" + outcome + "\"")) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }
}
