package io.trainwatch.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code asyncapi.yaml} at the repository root describes exactly the topics of {@link Topics}, as created. */
class AsyncApiTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static JsonNode spec() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("asyncapi.yaml").toFile());
    }

    @Test
    void everyTopicHasAChannelWithItsPartitionsAndCleanupPolicy() throws IOException {
        JsonNode spec = spec();
        assertThat(spec.path("asyncapi").asText()).isEqualTo("3.0.0");
        Set<String> addresses = new HashSet<>();
        spec.path("channels").forEach(channel -> {
            String address = channel.path("address").asText();
            addresses.add(address);
            Topics.TopicSpec topic = Topics.spec(address).orElseThrow(
                    () -> new AssertionError("asyncapi.yaml has channel " + address + " that Topics does not define"));
            JsonNode kafka = channel.path("bindings").path("kafka");
            assertThat(kafka.path("partitions").asInt()).as(address).isEqualTo(topic.partitions());
            assertThat(kafka.path("topicConfiguration").path("cleanup.policy").get(0).asText()).as(address)
                    .isEqualTo(topic.cleanupPolicy());
            assertThat(kafka.path("topicConfiguration").path("retention.ms").asLong()).as(address)
                    .isEqualTo(topic.retentionMs());
        });
        assertThat(addresses).containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(Topics.TopicSpec::name).toList());
    }

    @Test
    void everyPayloadSchemaReferenceResolves() throws IOException {
        List<String> refs = new ArrayList<>();
        spec().path("components").path("messages").forEach(m -> refs.add(m.path("payload").path("schema").path("$ref").asText()));
        assertThat(refs).hasSize(10);
        ObjectMapper json = new ObjectMapper();
        for (String ref : refs) {
            String[] parts = ref.split("#", 2);
            Path file = ROOT.resolve(parts[0]).normalize();
            assertThat(file).as(ref).exists();
            JsonNode schema = json.readTree(Files.readString(file));
            if (parts.length == 2) {
                assertThat(schema.at(parts[1]).isMissingNode()).as(ref).isFalse();
            }
        }
    }

    @Test
    void consumerGroupsAreTheOnesTheServicesUse() throws IOException {
        Set<String> groups = new HashSet<>();
        spec().path("operations").forEach(op -> op.path("bindings").path("kafka").path("groupId").path("enum")
                .forEach(g -> groups.add(g.asText())));
        assertThat(groups).containsExactlyInAnyOrder(Topics.TRAINER_WORKERS_GROUP, Topics.MONITOR_APPLICATION_ID,
                Topics.NOTIFIER_GROUP, Topics.TUNER_GROUP);
    }
}
