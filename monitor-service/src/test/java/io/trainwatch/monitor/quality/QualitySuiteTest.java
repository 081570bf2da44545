package io.trainwatch.monitor.quality;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.Fixtures;
import io.trainwatch.monitor.support.TestConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays every labelled fixture through the detectors: every labelled pathology is detected within its
 * documented delay, healthy runs raise nothing, no detector fires where it does not belong. Prints
 * precision, recall and median delay per detector beside the Keras, SageMaker and AUTOTRAINER rules.
 */
class QualitySuiteTest {

    /** Documented bound on detection delay (steps after the labelled onset) per detector. */
    static final Map<String, Long> MAX_DELAY = Map.of(
            "vanishing-gradients", 40L,
            "exploding-gradients", 20L,
            "divergence", 100L,
            "plateau", 200L,
            "lr-decayed-too-early", 200L,
            "overfitting", 120L,
            "underfitting", 250L,
            "bad-initialization", 200L);

    /** An alert before the onset by more than this is early, not a detection. */
    static final long EARLY_TOLERANCE = 10;

    static List<Fixtures.Fixture> fixtures;
    static Map<String, Map<String, Long>> ours = new LinkedHashMap<>();

    @BeforeAll
    static void replay() {
        fixtures = Fixtures.load();
        RunMonitor monitor = new RunMonitor(TestConfig.defaults());
        for (Fixtures.Fixture f : fixtures) {
            RunState state = null;
            Map<String, Long> first = new TreeMap<>();
            for (TrainingEvent e : f.events()) {
                if (state == null) {
                    state = monitor.newState(e.runId());
                }
                for (Alert a : monitor.process(state, e)) {
                    if (Alert.FIRING.equals(a.status())) {
                        first.putIfAbsent(a.detector(), a.step());
                    }
                }
            }
            ours.put(f.file(), first);
        }
    }

    @Test
    void everyLabelledPathologyIsDetectedInTime() {
        List<String> failures = new ArrayList<>();
        for (Fixtures.Fixture f : fixtures) {
            if (f.pathology().equals("healthy")) {
                continue;
            }
            Long at = ours.get(f.file()).get(f.pathology());
            if (at == null) {
                failures.add(f.file() + ": " + f.pathology() + " not detected (got " + ours.get(f.file()) + ")");
            } else if (at - f.onsetStep() > MAX_DELAY.get(f.pathology()) || f.onsetStep() - at > EARLY_TOLERANCE) {
                failures.add(f.file() + ": " + f.pathology() + " at step " + at + ", onset " + f.onsetStep());
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void healthyRunsRaiseNothing() {
        for (Fixtures.Fixture f : fixtures) {
            if (f.pathology().equals("healthy")) {
                assertThat(ours.get(f.file())).as(f.file()).isEmpty();
            }
        }
    }

    @Test
    void noDetectorFiresWhereItDoesNotBelong() {
        List<String> wrong = new ArrayList<>();
        for (Fixtures.Fixture f : fixtures) {
            for (String d : ours.get(f.file()).keySet()) {
                if (!d.equals(f.pathology()) && !f.allowed().contains(d)) {
                    wrong.add(f.file() + ": " + d + " at " + ours.get(f.file()).get(d));
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void printsTheTable() {
        StringBuilder out = new StringBuilder();
        out.append(table("recorded from the trainer", fixtures.stream().filter(f -> !f.source().equals("synthetic")).toList()));
        out.append(table("synthetic", fixtures.stream().filter(f -> f.source().equals("synthetic")).toList()));
        out.append("P = precision, R = recall, delay = median steps from the labelled onset; '-' = no such rule\n");
        System.out.println(out);
        assertThat(out).contains("vanishing-gradients");
    }

    private static String table(String title, List<Fixtures.Fixture> subset) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%nQuality suite, %s: %d fixtures (%d healthy)%n", title, subset.size(),
                subset.stream().filter(f -> f.pathology().equals("healthy")).count()));
        out.append(String.format("%-22s | %-26s | %-26s | %-26s | %-26s%n", "detector", "Trainwatch P / R / delay",
                "Keras", "SageMaker", "AUTOTRAINER"));
        Map<String, Map<String, Map<String, Long>>> systems = new LinkedHashMap<>();
        Map<String, java.util.Set<String>> coverage = new HashMap<>();
        systems.put("Trainwatch", ours);
        coverage.put("Trainwatch", java.util.Set.copyOf(Alert.DETECTORS));
        for (Baselines.Rule rule : Baselines.all()) {
            Map<String, Map<String, Long>> firings = new HashMap<>();
            for (Fixtures.Fixture f : subset) {
                firings.put(f.file(), rule.firstFirings(f.events()));
            }
            systems.put(rule.name(), firings);
            coverage.put(rule.name(), rule.covers());
        }
        for (String detector : Alert.DETECTORS) {
            out.append(String.format("%-22s", detector));
            for (var system : systems.entrySet()) {
                out.append(" | ").append(String.format("%-26s",
                        score(detector, subset, system.getValue(), coverage.get(system.getKey()))));
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String score(String detector, List<Fixtures.Fixture> subset, Map<String, Map<String, Long>> firings,
                                java.util.Set<String> covered) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        List<Long> delays = new ArrayList<>();
        for (Fixtures.Fixture f : subset) {
            Long at = firings.get(f.file()).get(detector);
            boolean labelled = f.pathology().equals(detector);
            if (labelled) {
                if (at != null && f.onsetStep() - at <= EARLY_TOLERANCE) {
                    tp++;
                    delays.add(Math.max(0, at - f.onsetStep()));
                } else {
                    fn++;
                    if (at != null) {
                        fp++;
                    }
                }
            } else if (at != null && !f.allowed().contains(detector)) {
                fp++;
            }
        }
        if (!covered.contains(detector)) {
            return "-";
        }
        delays.sort(Long::compare);
        String p = tp + fp == 0 ? "n/a" : String.format("%.2f", tp / (double) (tp + fp));
        String r = tp + fn == 0 ? "n/a" : String.format("%.2f", tp / (double) (tp + fn));
        String d = delays.isEmpty() ? "n/a" : Long.toString(delays.get(delays.size() / 2));
        return p + " / " + r + " / " + d;
    }

}
