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
 * those), {@code bench.reference} (the arm ratios are taken against; optuna-tpe).
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
        try {
            for (String seedText : System.getProperty("bench.seeds", "1,2,3,4,5").split(",")) {
                long seed = Long.parseLong(seedText.trim());
                Map<String, BenchmarkReport> byArm = new LinkedHashMap<>();
                for (String arm : arms) {
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
                    System.out.printf("seed %d, %s: %d trials, %d steps, best %s%n", seed, arm, r.trials(),
                            r.totalSteps(), BenchmarkReport.fmt(r.best()));
                    byArm.put(arm, r);
                }
                pool.add(seed, byArm);
            }
        } finally {
            Files.deleteIfExists(studyFile);
        }
        System.out.println(String.join(System.lineSeparator(), pool.lines(targets)));
    }
}
