package io.trainwatch.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON Schemas shipped in {@code schemas/} agree with the Java reader and writer: every example in a
 * schema validates against it and reads without error or warning, and what the writer produces validates.
 */
class JsonSchemaTest {

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaIdResolvers(r -> r.mapPrefix("https://trainwatch.io/schemas/", "classpath:schemas/")));

    record Topic(String file, Function<byte[], ReadResult<?>> reader, List<Object> written) {
        @Override
        public String toString() {
            return file;
        }
    }

    static Stream<Arguments> topics() {
        return Stream.of(
                new Topic("training-event.schema.json", EventCodec::readTrainingEvent,
                        List.of(Samples.runStarted(), Samples.step(1, 2.3), Samples.step(2, Double.NaN),
                                Samples.validation(), Samples.commandApplied(), Samples.runFinished())),
                new Topic("alert.schema.json", EventCodec::readAlert, List.of(Samples.alert())),
                new Topic("tuner-command.schema.json", EventCodec::readCommand, List.of(Samples.command())),
                new Topic("trial.schema.json", EventCodec::readTrial, List.of(Samples.trial())),
                new Topic("dead-letter.schema.json", EventCodec::readDeadLetter, List.of(Samples.deadLetter())))
                .map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("topics")
    void examplesValidateAndParse(Topic topic) throws IOException {
        Schema schema = REGISTRY.getSchema(SchemaLocation.of("classpath:schemas/" + topic.file()));
        JsonNode examples = load(topic.file()).get("examples");
        assertThat(examples).as("examples in " + topic.file()).isNotNull();
        assertThat(examples.size()).isPositive();
        for (JsonNode example : examples) {
            String json = example.toString();
            List<Error> errors = schema.validate(json, InputFormat.JSON);
            assertThat(errors).as("schema errors for %s", json).isEmpty();
            ReadResult<?> read = topic.reader().apply(json.getBytes(StandardCharsets.UTF_8));
            assertThat(read.error()).as("reader error for %s", json).isNull();
            assertThat(read.warnings()).as("reader warnings for %s", json).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("topics")
    void whatTheWriterProducesValidates(Topic topic) {
        Schema schema = REGISTRY.getSchema(SchemaLocation.of("classpath:schemas/" + topic.file()));
        for (Object message : topic.written()) {
            String json = EventCodec.writeString(message);
            assertThat(schema.validate(json, InputFormat.JSON)).as(json).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("topics")
    void schemaAndReaderAgreeOnInvalidMessages(Topic topic) {
        Schema schema = REGISTRY.getSchema(SchemaLocation.of("classpath:schemas/" + topic.file()));
        List<String> invalid = new ArrayList<>(List.of("{}", "{\"schemaVersion\":1}", "{\"schemaVersion\":2}"));
        for (Object message : topic.written()) {
            String json = EventCodec.writeString(message);
            invalid.add(json.replace("\"schemaVersion\":1", "\"schemaVersion\":99"));
            if (json.contains("\"runId\":\"")) {
                invalid.add(json.replaceFirst("\"runId\":\"[^\"]*\"", "\"runId\":\" \""));
            }
        }
        for (String json : invalid) {
            assertThat(schema.validate(json, InputFormat.JSON)).as("schema accepts %s", json).isNotEmpty();
            assertThat(topic.reader().apply(json.getBytes(StandardCharsets.UTF_8)).isValid())
                    .as("reader accepts %s", json).isFalse();
        }
    }

    private static JsonNode load(String file) throws IOException {
        try (InputStream in = JsonSchemaTest.class.getResourceAsStream("/schemas/" + file)) {
            assertThat(in).as(file).isNotNull();
            return EventCodec.MAPPER.readTree(in);
        }
    }
}
