package io.trainwatch.stack.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.Alert;
import io.trainwatch.events.Topics;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of the monitor while runs train. Three of the trainer's scenarios that the demo uses (plateau, vanishing
 * gradients, exploding gradients; fixed seeds, no tuner control, so each run is the same every time) train twice:
 * first with the monitor left alone (the alerts expected), then again while the monitor is killed with SIGKILL once
 * the vanishing-gradients run has its alert and the plateau run is at step 150, and restarted at once on the same
 * state directory and application id. Both sets of alerts on {@code training.alerts} are compared by scenario,
 * detector, status and step.
 *
 * <p>What "duplicated" means here: the monitor processes exactly once (Kafka Streams exactly_once_v2), so an alert
 * is one record of a committed transaction; a firing (or resolved) alert is identified by its {@code alertId}
 * (run, detector, episode start) and status, and a second committed record of the same pair is a duplicate. A
 * transaction the killed monitor left open is aborted: its records stay in the log and a {@code read_uncommitted}
 * reader sees them, so that count is printed apart and not held to 0.
 */
class ReliabilityMonitorKillIT {

    /** Scenario and steps: the plateau needs ~250 steps to be called; the others fire within 40 steps. */
    private static final Map<String, Integer> SCENARIOS = new LinkedHashMap<>(Map.of(
            "plateau", 400, "vanishing-gradients", 150, "exploding-gradients", 200));

    private final ReliabilityStack rs = ReliabilityStack.get();
    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    @Test
    void killMinusNineOfTheMonitorMidRunLosesNoAlertAndDuplicatesNone() throws Exception {
        String ref = "rel-mon-ref-" + suffix + "-";
        String kill = "rel-mon-kill-" + suffix + "-";
        try (RecordTap committed = new RecordTap(rs.bootstrapServers(), true, k -> k != null && k.contains(suffix),
                Topics.TRAINING_ALERTS);
             RecordTap uncommitted = new RecordTap(rs.bootstrapServers(), false, k -> k != null && k.contains(suffix),
                     Topics.TRAINING_ALERTS)) {
            // The alerts expected: the same runs with the monitor left alone.
            SCENARIOS.forEach((scenario, steps) -> startRun(ref + scenario, scenario, steps));
            awaitSettled(committed, ref, Duration.ofSeconds(120));
            Map<String, List<String>> expected = byScenario(alerts(committed), ref);

            SCENARIOS.forEach((scenario, steps) -> startRun(kill + scenario, scenario, steps));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                    alerts(committed).stream().anyMatch(a -> a.runId().equals(kill + "vanishing-gradients"))
                            && step(kill + "plateau") >= 150);
            long plateauStepAtKill = step(kill + "plateau");
            int alertsBeforeKill = byScenario(alerts(committed), kill).values().stream().mapToInt(List::size).sum();
            long killedAt = System.nanoTime();
            rs.stack().kill(Service.MONITOR);
            rs.stack().restart(Service.MONITOR);
            long readyAt = System.nanoTime();
            awaitSettled(committed, kill, Duration.ofSeconds(180));
            long firstAfter = committed.of(Topics.TRAINING_ALERTS).stream()
                    .filter(r -> r.key().startsWith(kill) && r.arrivedNanos() > killedAt)
                    .mapToLong(RecordTap.Rec::arrivedNanos).min().orElse(-1);

            List<Alert> all = alerts(committed);
            Map<String, List<String>> received = byScenario(all, kill);
            int expectedCount = 0;
            int lost = 0;
            int unexpected = 0;
            for (String scenario : SCENARIOS.keySet()) {
                List<String> want = new ArrayList<>(expected.getOrDefault(scenario, List.of()));
                List<String> got = new ArrayList<>(new HashSet<>(received.getOrDefault(scenario, List.of())));
                expectedCount += want.size();
                List<String> missing = new ArrayList<>(want);
                missing.removeAll(got);
                List<String> extra = new ArrayList<>(got);
                extra.removeAll(want);
                lost += missing.size();
                unexpected += extra.size();
                System.out.printf("RELIABILITY kill-monitor %s: expected %s, received %s%n", scenario, want,
                        received.getOrDefault(scenario, List.of()));
            }
            int duplicated = duplicates(all.stream().filter(a -> a.runId().startsWith(kill)).toList());
            List<Alert> raw = uncommitted.alerts().stream()
                    .filter(a -> a.runId().startsWith(kill)).toList();
            int distinct = all.stream().filter(a -> a.runId().startsWith(kill)).map(a -> a.alertId() + a.status())
                    .collect(java.util.stream.Collectors.toSet()).size();

            Map<String, Object> f = new LinkedHashMap<>();
            f.put("alerts expected", expectedCount);
            f.put("received (read_committed, distinct)", distinct);
            f.put("lost", lost);
            f.put("duplicated", duplicated);
            f.put("unexpected", unexpected);
            f.put("read_uncommitted records", raw.size());
            f.put("of them from aborted transactions", raw.size() - distinct);
            f.put("alerts before the kill", alertsBeforeKill);
            f.put("plateau step at kill", plateauStepAtKill);
            f.put("kill to ready s", ReliabilityStack.seconds(readyAt - killedAt));
            f.put("kill to first alert after restart s", firstAfter < 0 ? "none" : ReliabilityStack.seconds(firstAfter - killedAt));
            ReliabilityStack.report("kill-monitor", f);

            assertThat(expectedCount).as("the undisturbed runs' alerts").isGreaterThanOrEqualTo(SCENARIOS.size());
            assertThat(lost).as("alerts lost").isZero();
            assertThat(duplicated).as("alerts duplicated (read_committed)").isZero();
            assertThat(unexpected).as("alerts that the undisturbed runs did not have").isZero();
            assertThat(rs.stack().isReady(Service.MONITOR)).isTrue();
        }
    }

    private void startRun(String runId, String scenario, int steps) {
        rs.startRun("""
                {"runId": "%s", "scenario": "%s", "steps": %d, "seed": 42, "control": {"mode": "off"}}"""
                .formatted(runId, scenario, steps));
    }

    private long step(String runId) {
        JsonNode run = rs.run(runId);
        return run == null ? -1 : run.path("step").asLong(-1);
    }

    private boolean finished(String runId) {
        JsonNode run = rs.run(runId);
        String status = run == null ? "" : run.path("status").asText();
        return !status.isEmpty() && !status.equals("running") && !status.equals("queued") && !status.equals("pending");
    }

    /**
     * Until every run of the prefix has finished on the trainer, each of its runs has an alert, every firing alert
     * has its resolution (the monitor resolves them when the run ends), and nothing new came for 3 s.
     */
    private void awaitSettled(RecordTap tap, String prefix, Duration timeout) {
        int[] last = {-1};
        long[] since = {System.nanoTime()};
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
            if (!SCENARIOS.keySet().stream().allMatch(s -> finished(prefix + s))) {
                return false;
            }
            List<Alert> mine = alerts(tap).stream().filter(a -> a.runId().startsWith(prefix)).toList();
            Set<String> firing = new HashSet<>();
            Set<String> resolved = new HashSet<>();
            Set<String> runs = new HashSet<>();
            for (Alert a : mine) {
                runs.add(a.runId());
                (Alert.FIRING.equals(a.status()) ? firing : resolved).add(a.alertId());
            }
            if (mine.size() != last[0]) {
                last[0] = mine.size();
                since[0] = System.nanoTime();
                return false;
            }
            return runs.size() == SCENARIOS.size() && resolved.containsAll(firing)
                    && System.nanoTime() - since[0] > 3_000_000_000L;
        });
    }

    private static List<Alert> alerts(RecordTap tap) {
        return tap.alerts();
    }

    /** Per scenario: "detector status @step" of each alert record of the runs of a prefix, in order. */
    private static Map<String, List<String>> byScenario(List<Alert> alerts, String prefix) {
        Map<String, List<String>> out = new TreeMap<>();
        for (Alert a : alerts) {
            if (a.runId().startsWith(prefix)) {
                out.computeIfAbsent(a.runId().substring(prefix.length()), k -> new ArrayList<>())
                        .add(a.detector() + " " + a.status() + " @" + a.step());
            }
        }
        return out;
    }

    /** Records beyond the first of each (alertId, status). */
    private static int duplicates(List<Alert> alerts) {
        Map<String, Integer> count = new HashMap<>();
        alerts.forEach(a -> count.merge(a.alertId() + "|" + a.status(), 1, Integer::sum));
        return count.values().stream().mapToInt(c -> c - 1).sum();
    }
}
