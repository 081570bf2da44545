package io.trainwatch.monitor.quality;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.Fixtures;
import io.trainwatch.monitor.support.LongRuns;
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
 * precision, recall and median delay per detector beside the Keras, SageMaker and AUTOTRAINER rules, one table per
 * fixture source. The TensorFlow.js recordings are held to their measured figures instead ({@link #MEASURED_ONLY}).
 */
class QualitySuiteTest {

    /** Documented bound on detection delay (steps after the labelled onset) per detector. */
    static final Map<String, Long> MAX_DELAY = Map.of(
            DetectorName.VANISHING_GRADIENTS.id(), 40L,
            DetectorName.EXPLODING_GRADIENTS.id(), 20L,
            DetectorName.DIVERGENCE.id(), 100L,
            DetectorName.PLATEAU.id(), 200L,
            DetectorName.LR_DECAYED_TOO_EARLY.id(), 200L,
            DetectorName.OVERFITTING.id(), 120L,
            DetectorName.UNDERFITTING.id(), 250L,
            DetectorName.BAD_INITIALIZATION.id(), 200L);

    /** An alert before the onset by more than this is early, not a detection. */
    static final long EARLY_TOLERANCE = 10;

    /** Table titles per fixture source ({@code labels.csv}'s last column), in the printed order. */
    static final Map<String, String> TITLES = new LinkedHashMap<>();

    static {
        TITLES.put("trainer", "recorded from the trainer");
        TITLES.put("tfjs", "recorded with TensorFlow.js (tools/tfjs-recorder)");
        TITLES.put("tfjs-holdout", "TensorFlow.js holdout, recorded before the rules were changed for tfjs (tfjs-ho-*)");
        TITLES.put("pytorch", "recorded with PyTorch (tools/pytorch-recorder)");
        TITLES.put("pytorch-holdout", "PyTorch holdout, never tuned on (pytorch-ho-*)");
        TITLES.put("synthetic", "synthetic");
        TITLES.put("synthetic-long", "synthetic long healthy runs (support/LongRuns, generated, 20,000-30,000 steps)");
    }

    static List<Fixtures.Fixture> fixtures;
    static Map<String, Map<String, Long>> ours = new LinkedHashMap<>();
    /** The first firing alert of each detector per fixture (its summary is printed for the tfjs recordings). */
    static Map<String, Map<String, Alert>> firstAlerts = new LinkedHashMap<>();
    /** Every firing alert per fixture. */
    static Map<String, List<Alert>> firing = new LinkedHashMap<>();

    @BeforeAll
    static void replay() {
        fixtures = new ArrayList<>(Fixtures.load());
        fixtures.addAll(LongRuns.all());
        RunMonitor monitor = new RunMonitor(TestConfig.defaults());
        for (Fixtures.Fixture f : fixtures) {
            RunState state = null;
            Map<String, Long> first = new TreeMap<>();
            Map<String, Alert> firstAlert = new TreeMap<>();
            List<Alert> all = new ArrayList<>();
            for (TrainingEvent e : f.events()) {
                if (state == null) {
                    state = monitor.newState(e.runId());
                }
                for (Alert a : monitor.process(state, e)) {
                    if (Alert.FIRING.equals(a.status())) {
                        all.add(a);
                        first.putIfAbsent(a.detector(), a.step());
                        firstAlert.putIfAbsent(a.detector(), a);
                    }
                }
            }
            ours.put(f.file(), first);
            firstAlerts.put(f.file(), firstAlert);
            firing.put(f.file(), all);
        }
    }

    @Test
    void longHealthyRunsStaySilent() {
        List<Fixtures.Fixture> longRuns = fixtures.stream().filter(f -> f.pathology().equals("healthy"))
                .filter(f -> steps(f) >= 20_000).toList();
        assertThat(longRuns.stream().map(Fixtures.Fixture::source).distinct()).contains("synthetic-long");
        assertThat(longRuns).hasSizeGreaterThanOrEqualTo(5);
        for (Fixtures.Fixture f : longRuns) {
            if (strict(f)) {
                assertThat(firing.get(f.file())).as(f.file()).isEmpty();
            }
        }
        long longest = longRuns.stream().filter(f -> firing.get(f.file()).isEmpty())
                .mapToLong(QualitySuiteTest::steps).max().orElse(0);
        System.out.printf("Longest healthy run without any alert: %,d steps%n", longest);
        assertThat(longest).isGreaterThanOrEqualTo(30_000);
    }

    /** A learning-rate range test is meant to diverge at its end: nothing on it warns or stops it. */
    @Test
    void rangeTestsAreNeverStopped() {
        List<Fixtures.Fixture> ranges = fixtures.stream().filter(QualitySuiteTest::rangeTest).toList();
        assertThat(ranges).isNotEmpty();
        for (Fixtures.Fixture f : ranges) {
            assertThat(firing.get(f.file())).as(f.file())
                    .allSatisfy(a -> {
                        assertThat(a.severity()).isEqualTo(Alert.INFO);
                        assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_NONE);
                    });
        }
    }

    static long steps(Fixtures.Fixture f) {
        return f.events().stream().filter(e -> e instanceof io.trainwatch.events.StepEvent).count();
    }

    static boolean rangeTest(Fixtures.Fixture f) {
        return f.events().stream().filter(e -> e instanceof io.trainwatch.events.RunStarted).findFirst()
                .map(e -> ((io.trainwatch.events.RunStarted) e).config().schedule())
                .map(sch -> "range".equals(sch.get("type"))).orElse(false);
    }

    /**
     * Sources held to the measured figures below instead of the strict assertions: the TensorFlow.js recordings
     * (see the monitor README, "Quality suite"), where the detectors miss and over-fire on honest labels; the
     * lead decides on detector changes. Moving a source out of here makes it strict.
     */
    static final java.util.Set<String> MEASURED_ONLY = java.util.Set.of("tfjs", "tfjs-holdout", "pytorch",
            "pytorch-holdout");

    /**
     * REGRESSION FLOORS for the tfjs recordings (21 fixtures, 15 labelled, 6 healthy), the measured figures with the
     * detectors' defaults: 12 of the 15 labelled pathologies detected in time, 6 of the 6 healthy runs without any
     * alert, 0 firings of a detector the label neither names nor allows (first measured 12 / 2 / 11; after the
     * overfitting fix 12 / 2 / 7, then 12 / 2 / 5; after the plateau's converged probability, the decay rules and the
     * accuracy-aware overfitting loss rule 12 / 6 / 0; after the early-explosion rule 13 / 6 / 0). Not a target: each
     * detector fix tightens them to its new measurement, so that no later change can silently give the gain back.
     */
    static final int TFJS_DETECTED_FLOOR = 13;
    static final int TFJS_CLEAN_HEALTHY_FLOOR = 6;
    static final int TFJS_WRONG_FIRINGS_CEILING = 0;

    static boolean strict(Fixtures.Fixture f) {
        return !MEASURED_ONLY.contains(f.source());
    }

    static boolean detectedInTime(Fixtures.Fixture f) {
        Long at = ours.get(f.file()).get(f.pathology());
        return at != null && at - f.onsetStep() <= MAX_DELAY.get(f.pathology()) && f.onsetStep() - at <= EARLY_TOLERANCE;
    }

    static List<String> wrongFirings(Fixtures.Fixture f) {
        List<String> wrong = new ArrayList<>();
        for (String d : ours.get(f.file()).keySet()) {
            if (!d.equals(f.pathology()) && !f.allowed().contains(d)) {
                wrong.add(f.file() + ": " + d + " at " + ours.get(f.file()).get(d));
            }
        }
        return wrong;
    }

    /** One source's figures: labelled pathologies detected in time, healthy runs without an alert, wrong firings. */
    record Tally(long labelled, long detected, long healthy, long cleanHealthy, List<String> wrong) {

        static Tally of(String source) {
            List<Fixtures.Fixture> runs = fixtures.stream().filter(f -> f.source().equals(source)).toList();
            return new Tally(runs.stream().filter(f -> !f.pathology().equals("healthy")).count(),
                    runs.stream().filter(f -> !f.pathology().equals("healthy")).filter(QualitySuiteTest::detectedInTime)
                            .count(),
                    runs.stream().filter(f -> f.pathology().equals("healthy")).count(),
                    runs.stream().filter(f -> f.pathology().equals("healthy")).filter(f -> ours.get(f.file()).isEmpty())
                            .count(),
                    runs.stream().flatMap(f -> wrongFirings(f).stream()).toList());
        }

        String line() {
            return String.format("%d of %d labelled pathologies detected in time, %d of %d healthy runs without an "
                    + "alert, %d wrong firings %s", detected, labelled, cleanHealthy, healthy, wrong.size(), wrong);
        }
    }

    @Test
    void tfjsRecordingsKeepTheMeasuredFloor() {
        assertThat(fixtures.stream().filter(f -> f.source().equals("tfjs"))).hasSize(21);
        Tally tfjs = Tally.of("tfjs");
        assertThat(tfjs.detected()).as("labelled tfjs pathologies detected in time (measured floor)")
                .isGreaterThanOrEqualTo(TFJS_DETECTED_FLOOR);
        assertThat(tfjs.cleanHealthy()).as("healthy tfjs runs with no alert (measured floor)")
                .isGreaterThanOrEqualTo(TFJS_CLEAN_HEALTHY_FLOOR);
        assertThat(tfjs.wrong()).as("firings the tfjs labels do not name or allow (measured ceiling)")
                .hasSizeLessThanOrEqualTo(TFJS_WRONG_FIRINGS_CEILING);
    }

    /**
     * REGRESSION FLOORS for the tfjs holdout (17 fixtures, 9 labelled, 8 healthy; recorded before any rule was changed
     * for the tfjs runs and never tuned on): 6 of 9 detected in time, 8 of 8 healthy runs silent, 2 wrong firings
     * (first measured 5 / 4 / 6, then 5 / 8 / 2; the early-explosion rule made it 6 / 8 / 2), as for
     * {@link #tfjsRecordingsKeepTheMeasuredFloor}.
     */
    static final int HOLDOUT_DETECTED_FLOOR = 6;
    static final int HOLDOUT_CLEAN_HEALTHY_FLOOR = 8;
    static final int HOLDOUT_WRONG_FIRINGS_CEILING = 2;

    @Test
    void tfjsHoldoutKeepsTheMeasuredFloor() {
        assertThat(fixtures.stream().filter(f -> f.source().equals("tfjs-holdout"))).hasSize(17);
        Tally holdout = Tally.of("tfjs-holdout");
        assertThat(holdout.detected()).as("labelled holdout pathologies detected in time (measured floor)")
                .isGreaterThanOrEqualTo(HOLDOUT_DETECTED_FLOOR);
        assertThat(holdout.cleanHealthy()).as("healthy holdout runs with no alert (measured floor)")
                .isGreaterThanOrEqualTo(HOLDOUT_CLEAN_HEALTHY_FLOOR);
        assertThat(holdout.wrong()).as("firings the holdout labels do not name or allow (measured ceiling)")
                .hasSizeLessThanOrEqualTo(HOLDOUT_WRONG_FIRINGS_CEILING);
    }

    /**
     * REGRESSION FLOORS for the PyTorch recordings (tools/pytorch-recorder; 16 tuning runs: 9 labelled, 7 healthy; 9
     * holdout runs: 5 labelled, 4 healthy), measured like the tfjs ones: before the rules for them 2 / 2 / 8 and
     * 2 / 0 / 5 (detected in time / silent healthy runs / wrong firings); after 4 / 3 / 7 and 3 / 0 / 5. The wrong
     * firings left are info plateaus on slowly converging healthy runs and three overfitting warnings on runs designed
     * healthy, two by the accuracy-gap rules, one by the sustained validation-loss rise (+11 %) of a 20,000-step holdout
     * run (see the monitor README).
     */
    static final int PYTORCH_DETECTED_FLOOR = 4;
    static final int PYTORCH_CLEAN_HEALTHY_FLOOR = 3;
    static final int PYTORCH_WRONG_FIRINGS_CEILING = 7;
    static final int PYTORCH_HOLDOUT_DETECTED_FLOOR = 3;
    static final int PYTORCH_HOLDOUT_CLEAN_HEALTHY_FLOOR = 0;
    static final int PYTORCH_HOLDOUT_WRONG_FIRINGS_CEILING = 5;

    @Test
    void pytorchRecordingsKeepTheMeasuredFloor() {
        assertThat(fixtures.stream().filter(f -> f.source().equals("pytorch"))).hasSize(16);
        assertThat(fixtures.stream().filter(f -> f.source().equals("pytorch-holdout"))).hasSize(9);
        Tally tuning = Tally.of("pytorch");
        assertThat(tuning.detected()).isGreaterThanOrEqualTo(PYTORCH_DETECTED_FLOOR);
        assertThat(tuning.cleanHealthy()).isGreaterThanOrEqualTo(PYTORCH_CLEAN_HEALTHY_FLOOR);
        assertThat(tuning.wrong()).hasSizeLessThanOrEqualTo(PYTORCH_WRONG_FIRINGS_CEILING);
        Tally holdout = Tally.of("pytorch-holdout");
        assertThat(holdout.detected()).isGreaterThanOrEqualTo(PYTORCH_HOLDOUT_DETECTED_FLOOR);
        assertThat(holdout.cleanHealthy()).isGreaterThanOrEqualTo(PYTORCH_HOLDOUT_CLEAN_HEALTHY_FLOOR);
        assertThat(holdout.wrong()).hasSizeLessThanOrEqualTo(PYTORCH_HOLDOUT_WRONG_FIRINGS_CEILING);
    }

    @Test
    void everyLabelledPathologyIsDetectedInTime() {
        List<String> failures = new ArrayList<>();
        for (Fixtures.Fixture f : fixtures) {
            if (f.pathology().equals("healthy") || !strict(f)) {
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
            if (f.pathology().equals("healthy") && strict(f)) {
                assertThat(ours.get(f.file())).as(f.file()).isEmpty();
            }
        }
    }

    @Test
    void noDetectorFiresWhereItDoesNotBelong() {
        List<String> wrong = new ArrayList<>();
        for (Fixtures.Fixture f : fixtures) {
            if (strict(f)) {
                wrong.addAll(wrongFirings(f));
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void printsTheTable() {
        StringBuilder out = new StringBuilder();
        for (String source : fixtures.stream().map(Fixtures.Fixture::source).distinct().sorted(
                java.util.Comparator.comparing(QualitySuiteTest::sourceOrder)).toList()) {
            out.append(table(TITLES.getOrDefault(source, "source " + source),
                    fixtures.stream().filter(f -> f.source().equals(source)).toList()));
        }
        out.append("P = precision, R = recall, delay = median steps from the labelled onset; '-' = no such rule\n");
        out.append(String.format("%nTensorFlow.js recordings: %s%n", Tally.of("tfjs").line()));
        out.append(String.format("TensorFlow.js holdout: %s%n", Tally.of("tfjs-holdout").line()));
        out.append(String.format("PyTorch recordings: %s%n", Tally.of("pytorch").line()));
        out.append(String.format("PyTorch holdout: %s%n", Tally.of("pytorch-holdout").line()));
        out.append(String.format("%nRecordings of other frameworks, one by one (label @ onset: first firing of each "
                + "detector)%n"));
        for (Fixtures.Fixture f : fixtures) {
            if (f.source().startsWith("tfjs") || f.source().startsWith("pytorch") || f.source().equals("synthetic-long")) {
                out.append(String.format("%-42s %s @ %d%n", f.file(), f.pathology(), f.onsetStep()));
                firstAlerts.get(f.file()).forEach((d, a) -> out.append(String.format("    %-20s %5d  %s%n", d,
                        a.step(), a.summary())));
            }
        }
        System.out.println(out);
        assertThat(out).contains(DetectorName.VANISHING_GRADIENTS.id());
    }

    private static int sourceOrder(String source) {
        int i = new ArrayList<>(TITLES.keySet()).indexOf(source);
        return i < 0 ? TITLES.size() : i;
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
