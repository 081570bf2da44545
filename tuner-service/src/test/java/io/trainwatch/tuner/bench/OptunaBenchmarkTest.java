package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The tuner against Optuna, against a running stack (tuner, trainer, monitor on one broker): for each seed the same
 * study file and seed under four arms, one after the other, each with the same budget and the same per-trial
 * training seeds: {@code tuner} (reactions and coarse-to-fine search), {@code tuner-no-reactions} (the tuner's own
 * random draws: {@code reactions:false}, {@code remedies:false}, one round), {@code optuna-tpe} and
 * {@code optuna-random} (Optuna's TPE or random sampler with its median pruner, through {@code bench/optuna_arm.py},
 * driving the trainer over REST). Prints per seed and pooled over the seeds ({@link BenchmarkPool}): steps to each
 * target, best value, best value at equal budget, early stops by reason and how many stopped trials were on track.
 *
 * <p>Settings (system properties) besides {@link BenchStack}'s and {@link OptunaArm}'s: {@code bench.seeds}
 * (1,2,3,4,5), {@code bench.targets} (0.9,0.95), {@code bench.arms} (the four, in that order; a subset runs only
 * those), {@code bench.reference} (the arm ratios are taken against; optuna-tpe), {@code bench.parallel} (how many
 * of the seed-arm studies run at once, 1; more needs as many trainer slots,
 * {@code trainwatch.trainer.max-concurrent-runs}, as the studies' concurrent trials together, and counts the same
 * steps: only wall times and the moments of the pruner's polls change).
 */
@Tag("slow")
class OptunaBenchmarkTest {

    static final String TUNER = "tuner";
    static final String TUNER_NO_REACTIONS = "tuner-no-reactions";
    static final String OPTUNA_TPE = "optuna-tpe";
    static final String OPTUNA_RANDOM = "optuna-random";

    final BenchStack stack = new BenchStack();
    final OptunaArm optuna = new OptunaArm();

    @Test
    void tunerAgainstOptuna() throws Exception {
        List<String> arms = Arrays.stream(System.getProperty("bench.arms",
                String.join(",", TUNER, TUNER_NO_REACTIONS, OPTUNA_TPE, OPTUNA_RANDOM)).split(",")).map(String::trim).toList();
        String reference = System.getProperty("bench.reference", arms.contains(OPTUNA_TPE) ? OPTUNA_TPE : arms.get(0));
        double[] targets = Arrays.stream(System.getProperty("bench.targets", "0.9,0.95").split(","))
                .mapToDouble(t -> Double.parseDouble(t.trim())).toArray();
        boolean tunerArms = arms.contains(TUNER) || arms.contains(TUNER_NO_REACTIONS);
        boolean optunaArms = arms.contains(OPTUNA_TPE) || arms.contains(OPTUNA_RANDOM);
        Assumptions.assumeTrue(!tunerArms || stack.ready(stack.tuner),
                "no tuner answers at " + stack.tuner + ": start the stack (./trainwatch up) first");
        Assumptions.assumeTrue(stack.ready(stack.trainer),
                "no trainer answers at " + stack.trainer + ": start the stack (./trainwatch up) first");
        if (optunaArms) {
            String why = optuna.unavailable();
            Assumptions.assumeTrue(why == null, why);
        }
        ObjectNode template = BenchStack.studyTemplate();
        Path studyFile = Files.createTempFile("bench-study-", ".json");
        Files.writeString(studyFile, EventCodec.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(template));
        String run = Long.toString(Instant.now().getEpochSecond(), 36);
        System.out.println("study: " + template.path("name").asText() + ", " + template.get("budget") + "; arms " + arms);

        BenchmarkPool pool = new BenchmarkPool(arms, reference);
        int parallel = Integer.parseInt(System.getProperty("bench.parallel", "1"));
        ExecutorService studies = Executors.newFixedThreadPool(parallel);
        try {
            Map<Long, Map<String, Future<BenchmarkReport>>> bySeed = new LinkedHashMap<>();
            for (String seedText : System.getProperty("bench.seeds", "1,2,3,4,5").split(",")) {
                long seed = Long.parseLong(seedText.trim());
                Map<String, Future<BenchmarkReport>> byArm = new LinkedHashMap<>();
                for (String arm : arms) {
                    byArm.put(arm, studies.submit(() -> runArm(template, studyFile, run, seed, arm, targets)));
                }
                bySeed.put(seed, byArm);
            }
            for (Map.Entry<Long, Map<String, Future<BenchmarkReport>>> seed : bySeed.entrySet()) {
                Map<String, BenchmarkReport> byArm = new LinkedHashMap<>();
                for (Map.Entry<String, Future<BenchmarkReport>> arm : seed.getValue().entrySet()) {
                    byArm.put(arm.getKey(), arm.getValue().get());
                }
                pool.add(seed.getKey(), byArm);
            }
        } finally {
            studies.shutdownNow();
            Files.deleteIfExists(studyFile);
        }
        System.out.println(String.join(System.lineSeparator(), pool.lines(targets)));
    }

    /** One arm's study for one seed; prints its figures as soon as it ends (a long benchmark's partial record). */
    private BenchmarkReport runArm(ObjectNode template, Path studyFile, String run, long seed, String arm,
                                   double[] targets) throws Exception {
        String id = "bench-" + run + "-s" + seed + "-" + arm;
        BenchmarkReport r = switch (arm) {
            case TUNER -> stack.runTunerStudy(template, id, seed, true);
            case TUNER_NO_REACTIONS -> stack.runTunerStudy(template, id, seed, false);
            case OPTUNA_TPE -> optuna.run(stack.trainer, studyFile, seed, "tpe", id, stack.timeout);
            case OPTUNA_RANDOM -> optuna.run(stack.trainer, studyFile, seed, "random", id, stack.timeout);
            default -> throw new IllegalArgumentException("unknown arm " + arm + "; known: "
                    + List.of(TUNER, TUNER_NO_REACTIONS, OPTUNA_TPE, OPTUNA_RANDOM));
        };
        // The tuner's view has each trial's best, not its last validation: the trainer has that.
        r = r.withLastValidations(stack::lastValidation);
        StringBuilder to = new StringBuilder();
        for (double t : targets) {
            Long steps = r.stepsTo(t);
            to.append(", to ").append(t).append(' ').append(steps == null ? "-" : steps);
        }
        System.out.printf("seed %d, %s: %d trials, %d steps, best %s%s, stopped %s (on track %d)%n", seed, arm,
                r.trials(), r.totalSteps(), BenchmarkReport.fmt(r.best()), to, r.stops(), r.onTrack());
        return r;
    }
}
