package io.trainwatch.tuner.search;

import io.trainwatch.tuner.study.ParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random search (CS231n's tuning procedure, after Bergstra and Bengio 2012): log-uniform parameters (learning rate,
 * L2) are sampled uniformly in log space, uniform ones (dropout, widths) uniformly, integers uniformly over
 * their whole values, choices uniformly unless some are favoured by a remedy. Trial {@code i} of a study
 * always draws the same point for the same seed and space, so no random state needs to be stored.
 */
public final class Sampler {

    private Sampler() {
    }

    /** The random source of trial {@code index} of a study with {@code seed}. */
    public static SplittableRandom randomFor(long seed, int index) {
        return new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + index));
    }

    /** A trial's own seed, for the trainer's initialisation and shuffling. */
    public static long trialSeed(long studySeed, int index) {
        return Math.floorMod(mix(studySeed ^ (0xC2B2AE3D27D4EB4FL * (index + 1))), 1_000_000_000L);
    }

    /**
     * Samples one point. {@code favoured} maps a categorical parameter to the choices a remedy favours:
     * with probability {@code favourShare} one of those (that the space holds) is drawn, else any choice.
     */
    public static Map<String, Object> sample(Map<String, ParamSpec> space, Map<String, List<Object>> favoured,
                                             double favourShare, SplittableRandom random) {
        Map<String, Object> point = new LinkedHashMap<>();
        for (Map.Entry<String, ParamSpec> e : space.entrySet()) {
            ParamSpec p = e.getValue();
            // Draw the same number of values per parameter whatever the branch, so that a favour on one
            // parameter does not shift the draws of the others.
            double u = random.nextDouble();
            double v = random.nextDouble();
            point.put(e.getKey(), switch (p.type()) {
                case ParamSpec.LOG_UNIFORM -> Math.pow(10, lerp(Math.log10(p.min()), Math.log10(p.max()), u));
                case ParamSpec.UNIFORM -> lerp(p.min(), p.max(), u);
                case ParamSpec.INTEGER -> integer(p, u);
                default -> choice(p.values(), favoured == null ? null : favoured.get(e.getKey()), favourShare, u, v);
            });
        }
        return point;
    }

    static Object integer(ParamSpec p, double u) {
        long lo = (long) Math.ceil(p.min() - 1e-9);
        long hi = (long) Math.floor(p.max() + 1e-9);
        long n = Math.max(1, hi - lo + 1);
        long value = lo + Math.min(n - 1, (long) Math.floor(u * n));
        return value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE ? (Object) (int) value : (Object) value;
    }

    static Object choice(List<Object> values, List<Object> favoured, double share, double u, double v) {
        if (favoured != null && !favoured.isEmpty() && v < share) {
            List<Object> allowed = new ArrayList<>();
            for (Object f : favoured) {
                if (values.contains(f)) {
                    allowed.add(f);
                }
            }
            if (!allowed.isEmpty()) {
                return allowed.get(Math.min(allowed.size() - 1, (int) Math.floor(u * allowed.size())));
            }
        }
        return values.get(Math.min(values.size() - 1, (int) Math.floor(u * values.size())));
    }

    private static double lerp(double a, double b, double u) {
        return a + (b - a) * u;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
