package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainwatch study} against a local HTTP server standing in for the tuner's REST API. */
class StudyTest {

    private final FakeService tuner;
    private final Console console;

    StudyTest() throws IOException {
        tuner = new FakeService();
        console = new Console().with(Terminal.TUNER_URL, tuner.url() + "/").with("STUDY_INTERVAL", "0.01");
    }

    @AfterEach
    void stop() {
        tuner.close();
    }

    private static final String RUNNING = """
            study s-1 (a "quoted" study): RUNNING
            preflight 1/3 initial-loss PASSED: first loss 1.1125 vs ln(C) 1.0986
            preflight 2/3 overfit-subset RUNNING: 120 steps
            """;

    private void board(String... texts) {
        AtomicInteger n = new AtomicInteger();
        tuner.on("/studies/s-1/text", (x, r) -> {
            int i = Math.min(n.getAndIncrement(), texts.length - 1);
            x.getResponseHeaders().set("X-Study-Status", i == texts.length - 1 ? "completed" : "running");
            FakeService.text(x, 200, texts[i]);
        });
    }

    @Test
    void startsTheStudyOfTheFileAndFollowsItToItsEndPrintingEachPreflightStepOnce(@TempDir Path dir) throws Exception {
        // The id is not the first key of the answer: it is read as JSON, not by position.
        tuner.on("/studies", (x, r) -> FakeService.json(x, 201,
                "{\"name\": \"a \\\"quoted\\\" study\", \"status\": \"running\", \"id\": \"s-1\"}"));
        String done = RUNNING.replace("overfit-subset RUNNING: 120 steps", "overfit-subset PASSED: 5 batches")
                .replace("RUNNING\n", "COMPLETED\n");
        board(RUNNING, RUNNING, done);
        Path file = dir.resolve("study.json");
        Files.writeString(file, "{\"id\": \"s-1\", \"name\": \"a \\\"quoted\\\" study\", \"budget\": {\"trials\": 2}}");

        assertThat(console.run("study", file.toString())).as(console.err()).isZero();
        String out = console.out();
        assertThat(out).startsWith("study s-1 started on " + tuner.url() + "\n")
                .contains("----- ").endsWith("study s-1 completed.\n");
        assertThat(out.split("study: preflight 1/3 initial-loss PASSED", -1)).hasSize(2);
        assertThat(out.split("study: preflight 2/3 overfit-subset PASSED: 5 batches", -1)).hasSize(2);
        JsonNode sent = EventCodec.MAPPER.readTree(tuner.requests.get(0).body());
        assertThat(sent.path("name").asText()).isEqualTo("a \"quoted\" study");
        assertThat(sent.path("budget").path("trials").asInt()).isEqualTo(2);
        assertThat(tuner.requests.get(1).uri()).isEqualTo("/studies/s-1/text?decisions=10");
    }

    @Test
    void aRefusedStudyNamesTheTunersReason(@TempDir Path dir) throws Exception {
        tuner.on("/studies", (x, r) -> FakeService.json(x, 400, "{\"error\": \"budget.trials must be >= 1\", \"field\": \"budget.trials\"}"));
        Path file = dir.resolve("s.json");
        Files.writeString(file, "{\"budget\": {\"trials\": 0}}");
        assertThat(console.run("study", file.toString())).isEqualTo(1);
        assertThat(console.err()).isEqualTo("study: the tuner answered 400: budget.trials must be >= 1 (field budget.trials)\n");
    }

    @Test
    void stopAndListTalkToTheTuner() {
        tuner.on("/studies/s-1/stop", (x, r) -> FakeService.json(x, 200, "{\"id\": \"s-1\", \"status\": \"stopped\"}"));
        tuner.on("/studies", (x, r) -> FakeService.json(x, 200, "[{\"id\": \"s-1\"}, {\"id\": \"s-2\"}]"));
        console.with(Terminal.API_TOKEN, "tok");
        assertThat(console.run("study", "--stop", "s-1")).isZero();
        assertThat(console.out()).isEqualTo("study s-1 stopped.\n");
        assertThat(tuner.requests.get(0).method()).isEqualTo("POST");
        assertThat(tuner.requests.get(0).authorization()).isEqualTo("Bearer tok");
        Console list = new Console().with(Terminal.TUNER_URL, tuner.url());
        assertThat(list.run("study", "--list")).isZero();
        assertThat(list.out()).isEqualTo("[{\"id\":\"s-1\"},{\"id\":\"s-2\"}]\n");
    }

    @Test
    void followingAStudyTheTunerDoesNotKnowIsAnError() {
        tuner.on("/studies/nope/text", (x, r) -> FakeService.text(x, 404, "no study 'nope'\n"));
        assertThat(console.run("study", "--follow", "nope")).isEqualTo(1);
        assertThat(console.err()).isEqualTo("study: no study nope on the tuner at " + tuner.url() + "\n");
    }

    @Test
    @Timeout(60)
    void aTunerThatStopsAnsweringEndsTheFollowingWithStatus2() {
        AtomicInteger n = new AtomicInteger();
        tuner.on("/studies/s-1/text", (x, r) -> {
            x.getResponseHeaders().set("X-Study-Status", "running");
            FakeService.text(x, 200, RUNNING);
            if (n.incrementAndGet() == 2) {
                new Thread(tuner::stop).start();
            }
        });
        assertThat(console.run("study", "--follow", "s-1")).isEqualTo(2);
        assertThat(console.err().lines().filter(l -> !l.contains("retrying"))).singleElement().asString()
                .startsWith("study: the tuner at " + tuner.url() + " stopped answering (1 s) while study s-1 was followed");
    }

    @Test
    void badArgumentsAreOneLineWithStatus2(@TempDir Path dir) throws Exception {
        Path notJson = dir.resolve("x.json");
        Files.writeString(notJson, "[1, 2]");
        for (String[] args : new String[][] {{"study"}, {"study", "--follow"}, {"study", "--bogus"},
                {"study", "a.json", "b.json"}, {"study", "/no/such.json"}, {"study", notJson.toString()}}) {
            Console c = new Console().with(Terminal.TUNER_URL, tuner.url());
            assertThat(c.run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(c.err().lines()).as(String.join(" ", args)).singleElement().asString()
                    .startsWith("study: ").endsWith("(see: trainwatch study --help)");
        }
        assertThat(tuner.requests).isEmpty();
    }
}
