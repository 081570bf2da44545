package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tuner's benchmark (reactions and coarse-to-fine search against plain random search), against a running stack (tuner, trainer workers, monitor on one broker):
 * for each seed, the same study twice with the same budget: (a) plain random search, no reactions, every
 * trial to its budget, one round; (b) this tuner: reactions and coarse-to-fine. Prints a table of total
 * steps, steps and wall time to the target validation accuracy, best accuracy, and best accuracy at equal
 * budget. Settings (system properties): {@code bench.seeds} (1,2,3), {@code bench.target} (0.9), and
 * {@link BenchStack}'s: {@code bench.tuner} (default $TRAINWATCH_TUNER_URL or http://127.0.0.1:8083),
 * {@code bench.study} (a study file or a bundled study's name; default the bundled {@code bench/study.json}),
 * {@code bench.trials}, {@code bench.steps}, {@code bench.timeout} (minutes per study, 30). The comparison with
 * Optuna is {@link OptunaBenchmarkTest}.
 */
@Tag("slow")
class TunerBenchmarkTest {

    final BenchStack stack = new BenchStack();
    final double target = Double.parseDouble(System.getProperty("bench.target", "0.9"));

    @Test
    void reactionsAndCoarseToFineAgainstPlainRandomSearch() throws Exception {
        Assumptions.assumeTrue(stack.ready(stack.tuner), "no tuner answers at " + stack.tuner
                + ": start the stack (./trainwatch up) first");
        ObjectNode base = BenchStack.studyTemplate();
        String run = Long.toString(Instant.now().getEpochSecond(), 36);
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-5s %-9s %6s %11s %15s %13s %8s %17s", "seed", "arm", "trials",
                "total steps", "steps to target", "wall to target", "best", "best @ equal steps"));
        double ratioSum = 0;
        int ratios = 0;
        for (String seedText : System.getProperty("bench.seeds", "1,2,3").split(",")) {
            long seed = Long.parseLong(seedText.trim());
            BenchmarkReport a = stack.runTunerStudy(base, "bench-" + run + "-s" + seed + "-random", seed, false);
            BenchmarkReport b = stack.runTunerStudy(base, "bench-" + run + "-s" + seed + "-tuner", seed, true);
            long equal = Math.min(a.totalSteps(), b.totalSteps());
            lines.add(row(seed, "(a) random", a, a.bestWithin(equal)));
            lines.add(row(seed, "(b) tuner", b, b.bestWithin(equal)));
            if (a.stepsTo(target) != null && b.stepsTo(target) != null) {
                ratioSum += b.stepsTo(target) / (double) a.stepsTo(target);
                ratios++;
            }
        }
        lines.add(ratios == 0 ? "steps to target (b)/(a): target " + target + " not reached by both arms in any seed"
                : String.format(Locale.ROOT, "steps to target (b)/(a), mean over %d seeds: %.0f %% (goal <= 60 %%)",
                ratios, 100 * ratioSum / ratios));
        System.out.println(String.join(System.lineSeparator(), lines));
    }

    private String row(long seed, String arm, BenchmarkReport r, Double bestEqual) {
        Long steps = r.stepsTo(target);
        return String.format(Locale.ROOT, "%-5d %-9s %6d %11d %15s %13s %8s %17s", seed, arm, r.trials(), r.totalSteps(),
                steps == null ? "not reached" : steps.toString(), BenchmarkReport.fmt(r.wallTo(target)),
                BenchmarkReport.fmt(r.best()), BenchmarkReport.fmt(bestEqual));
    }
}
