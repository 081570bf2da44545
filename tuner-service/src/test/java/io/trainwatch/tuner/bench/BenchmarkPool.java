package io.trainwatch.tuner.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The figures of several arms (optimisers) over several seeds, each seed one study per arm on the same study file:
 * per seed and arm, steps to each target, best value, best value at equal budget (the fewest total steps any arm
 * of that seed spent) and early stops by reason; pooled over the seeds, the steps to each target summed over the
 * seeds where every arm reached it, per-seed ratios against a reference arm, the mean best value at equal budget,
 * and the stops by reason with how many of the stopped trials were on track ({@link BenchmarkReport#onTrack()}).
 */
final class BenchmarkPool {

    /** One seed's studies, by arm. */
    record Seed(long seed, Map<String, BenchmarkReport> arms) {

        /** The fewest total steps any arm spent on this seed. */
        long equalBudget() {
            return arms.values().stream().mapToLong(BenchmarkReport::totalSteps).min().orElse(0);
        }
    }

    final List<String> arms;
    final String reference;
    final List<Seed> seeds = new ArrayList<>();

    /** {@code arms} in the order to print them; ratios are taken against {@code reference} (one of them). */
    BenchmarkPool(List<String> arms, String reference) {
        if (!arms.contains(reference)) {
            throw new IllegalArgumentException("the reference arm " + reference + " is not among " + arms);
        }
        this.arms = List.copyOf(arms);
        this.reference = reference;
    }

    void add(long seed, Map<String, BenchmarkReport> byArm) {
        if (!byArm.keySet().containsAll(arms)) {
            throw new IllegalArgumentException("seed " + seed + " lacks arms: has " + byArm.keySet() + ", needs " + arms);
        }
        seeds.add(new Seed(seed, new LinkedHashMap<>(byArm)));
    }

    /** The seeds where every arm reached {@code target}. */
    List<Long> seedsAllReached(double target) {
        return seeds.stream().filter(s -> s.arms().values().stream().allMatch(r -> r.stepsTo(target) != null))
                .map(Seed::seed).toList();
    }

    /** How many seeds {@code arm} reached {@code target} in. */
    int reached(String arm, double target) {
        return (int) seeds.stream().filter(s -> s.arms().get(arm).stepsTo(target) != null).count();
    }

    /** The steps {@code arm} spent to reach {@code target}, summed over the seeds where every arm reached it. */
    long pooledSteps(String arm, double target) {
        long sum = 0;
        for (Seed s : seeds) {
            if (seedsAllReached(target).contains(s.seed())) {
                sum += s.arms().get(arm).stepsTo(target);
            }
        }
        return sum;
    }

    /** Per seed where both reached {@code target}: {@code arm}'s steps over the reference arm's, by seed. */
    Map<Long, Double> ratios(String arm, double target) {
        Map<Long, Double> out = new LinkedHashMap<>();
        for (Seed s : seeds) {
            Long a = s.arms().get(arm).stepsTo(target);
            Long ref = s.arms().get(reference).stepsTo(target);
            if (a != null && ref != null && ref > 0) {
                out.put(s.seed(), a / (double) ref);
            }
        }
        return out;
    }

    /** The mean over seeds of {@code arm}'s best value within that seed's equal budget (seeds where it had one). */
    Double meanBestAtEqualBudget(String arm) {
        double sum = 0;
        int n = 0;
        for (Seed s : seeds) {
            Double b = s.arms().get(arm).bestWithin(s.equalBudget());
            if (b != null) {
                sum += b;
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    /** {@code arm}'s early stops over every seed, by reason. */
    Map<String, Integer> stops(String arm) {
        Map<String, Integer> out = new TreeMap<>();
        seeds.forEach(s -> s.arms().get(arm).stops().forEach((k, v) -> out.merge(k, v, Integer::sum)));
        return out;
    }

    /** {@code arm}'s stopped trials that were on track, over every seed. */
    int onTrack(String arm) {
        return seeds.stream().mapToInt(s -> s.arms().get(arm).onTrack()).sum();
    }

    private int unknownLast(String arm) {
        return seeds.stream().mapToInt(s -> s.arms().get(arm).stoppedWithoutLastValidation()).sum();
    }

    /** The tables: one row per seed and arm, then the pooled figures. */
    List<String> lines(double... targets) {
        List<String> out = new ArrayList<>();
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-5s %-20s %6s %11s", "seed", "arm", "trials",
                "total steps"));
        for (double t : targets) {
            head.append(String.format(Locale.ROOT, " %9s", "to " + fmtTarget(t)));
        }
        head.append(String.format(Locale.ROOT, " %8s %10s  %s", "best", "best@equal", "stopped early (on track)"));
        out.add(head.toString());
        for (Seed s : seeds) {
            long equal = s.equalBudget();
            for (String arm : arms) {
                BenchmarkReport r = s.arms().get(arm);
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-5d %-20s %6d %11d", s.seed(), arm,
                        r.trials(), r.totalSteps()));
                for (double t : targets) {
                    Long steps = r.stepsTo(t);
                    row.append(String.format(Locale.ROOT, " %9s", steps == null ? "-" : steps.toString()));
                }
                row.append(String.format(Locale.ROOT, " %8s %10s  %s", BenchmarkReport.fmt(r.best()),
                        BenchmarkReport.fmt(r.bestWithin(equal)), stopText(r.stops(), r.onTrack(),
                                r.stoppedWithoutLastValidation())));
                out.add(row.toString());
            }
        }
        out.add("");
        out.add("pooled over " + seeds.size() + " seeds " + seeds.stream().map(Seed::seed).toList() + "; ratios against "
                + reference);
        for (double t : targets) {
            List<Long> all = seedsAllReached(t);
            out.add(String.format(Locale.ROOT, "target %s: every arm reached it in %d of %d seeds %s", fmtTarget(t),
                    all.size(), seeds.size(), all));
            out.add(String.format(Locale.ROOT, "  %-20s %7s %12s %9s  %s", "arm", "reached", "pooled steps",
                    "vs " + shortName(reference), "per-seed steps / " + reference + " (mean)"));
            long refPooled = pooledSteps(reference, t);
            for (String arm : arms) {
                long pooled = pooledSteps(arm, t);
                Map<Long, Double> ratios = ratios(arm, t);
                String perSeed = ratios.isEmpty() ? "-" : ratios.entrySet().stream()
                        .map(e -> "s" + e.getKey() + " " + pctOf(e.getValue())).collect(Collectors.joining(", "))
                        + " (mean " + pctOf(ratios.values().stream().mapToDouble(Double::doubleValue).average().orElse(0)) + ")";
                out.add(String.format(Locale.ROOT, "  %-20s %7s %12s %9s  %s", arm, reached(arm, t) + "/" + seeds.size(),
                        all.isEmpty() ? "-" : Long.toString(pooled),
                        all.isEmpty() || refPooled == 0 ? "-" : pctOf(pooled / (double) refPooled), perSeed));
            }
        }
        out.add("best value at equal budget (each seed: the fewest total steps of any arm), mean over seeds:");
        for (String arm : arms) {
            out.add(String.format(Locale.ROOT, "  %-20s %s", arm, BenchmarkReport.fmt(meanBestAtEqualBudget(arm))));
        }
        out.add("stopped early, by reason; on track = last validation in the top quartile of its study's trials:");
        for (String arm : arms) {
            out.add(String.format(Locale.ROOT, "  %-20s %s", arm, stopText(stops(arm), onTrack(arm), unknownLast(arm))));
        }
        return out;
    }

    static String stopText(Map<String, Integer> stops, int onTrack, int unknown) {
        if (stops.isEmpty()) {
            return "none";
        }
        int n = stops.values().stream().mapToInt(Integer::intValue).sum();
        return n + ": " + stops.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ")) + " (on track " + onTrack
                + (unknown > 0 ? ", " + unknown + " without a last validation" : "") + ")";
    }

    private static String shortName(String arm) {
        return arm.length() <= 6 ? arm : arm.substring(arm.lastIndexOf('-') + 1);
    }

    private static String fmtTarget(double t) {
        return String.format(Locale.ROOT, "%.2f", t);
    }

    private static String pctOf(double ratio) {
        return String.format(Locale.ROOT, "%.0f %%", 100 * ratio);
    }
}
