package io.trainwatch.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainwatch alerts} against a local HTTP server standing in for the monitor (server-sent events). */
class AlertsTest {

    private final FakeService monitor;
    private final Console console;

    AlertsTest() throws IOException {
        monitor = new FakeService();
        console = new Console().with(Terminal.MONITOR_URL, monitor.url());
        monitor.on("/q/health/live", (x, r) -> FakeService.json(x, 200, "{\"status\": \"UP\"}"));
    }

    @AfterEach
    void stop() {
        monitor.close();
    }

    private void stream(String... events) {
        monitor.on("/alerts/stream", (x, r) -> {
            x.getResponseHeaders().set("Content-Type", "text/event-stream");
            x.sendResponseHeaders(200, 0);
            try (OutputStream out = x.getResponseBody()) {
                for (String e : events) {
                    out.write(("data:" + e + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        });
    }

    @Test
    void printsEachAlertAndSuggestionThenSaysWhenTheMonitorEndsTheStream() {
        stream("2026-11-23T10:00:00Z firing   plateau               run=r1 step=210 severity=warning smoothedLoss=0.25",
                "2026-11-23T10:00:01Z SUGGEST  set-learning-rate     run=r1 learning-rate=0.003 alert=a1 reason=\"x\" (not applied)");
        assertThat(console.run("alerts")).isEqualTo(1);
        assertThat(console.out().lines()).containsExactly(
                "2026-11-23T10:00:00Z firing   plateau               run=r1 step=210 severity=warning smoothedLoss=0.25",
                "2026-11-23T10:00:01Z SUGGEST  set-learning-rate     run=r1 learning-rate=0.003 alert=a1 reason=\"x\" (not applied)");
        assertThat(console.err()).isEqualTo("following alerts and suggestions from " + monitor.url() + " (Ctrl-C to stop)\n"
                + "alerts: the monitor at " + monitor.url() + " ended the alert stream\n");
    }

    @Test
    void sincePrintsTheKeptAlertsOnePerLineFirst() {
        monitor.on("/alerts", (x, r) -> FakeService.json(x, 200,
                "[{\"alertId\": \"a1\", \"detector\": \"plateau\"},\n {\"detector\": \"divergence\", \"alertId\": \"a2\"}]"));
        stream();
        assertThat(console.run("alerts", "--since", "2026-11-23T10:00:00+01:00")).isEqualTo(1);
        assertThat(console.out().lines()).containsExactly("{\"alertId\":\"a1\",\"detector\":\"plateau\"}",
                "{\"detector\":\"divergence\",\"alertId\":\"a2\"}");
        assertThat(monitor.requests.get(1).uri()).isEqualTo("/alerts?since=2026-11-23T10%3A00%3A00%2B01%3A00");
    }

    @Test
    void aBadSinceIsTheMonitorsReasonOnOneLine() {
        monitor.on("/alerts", (x, r) -> FakeService.json(x, 400, "{\"error\": \"since must be an ISO-8601 instant\"}"));
        assertThat(console.run("alerts", "--since", "yesterday")).isEqualTo(2);
        assertThat(console.err()).isEqualTo("alerts: --since: since must be an ISO-8601 instant (see: trainwatch alerts --help)\n");
    }

    @Test
    void anUnreachableMonitorOrABadArgumentIsOneLineWithStatus2() {
        String url = monitor.url();
        monitor.stop();
        assertThat(console.run("alerts")).isEqualTo(2);
        assertThat(console.err().lines()).singleElement().asString()
                .startsWith("alerts: the monitor is not reachable at " + url);
        Console bad = new Console();
        assertThat(bad.run("alerts", "--follow")).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("alerts: unknown argument '--follow' (see: trainwatch alerts --help)\n");
    }
}
