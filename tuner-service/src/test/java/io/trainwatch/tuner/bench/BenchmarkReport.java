package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The figures of one finished study for the benchmark, read from a document shaped like the tuner's
 * {@code GET /studies/{id}} (the Optuna arm's driver prints the same shape): total training steps, steps and wall
 * time until a trial first reached a target validation accuracy (counting every step spent by then, in the order
 * the trials finished), the best accuracy, the best accuracy within a given step budget, and the trials stopped
 * early, by reason, with how many of them were "on track" when stopped.
 */
public record BenchmarkReport(String studyId, Instant createdAt, List<TrialRow> rows) {

    /** Statuses of a trial that ended before its budget without a reason of its own. */
    static final Set<String> EARLY_END = Set.of("stopped", "diverged", "failed", "lost");

    /**
     * One finished trial: its steps, best and last validation value, when it ended, and why it was stopped
     * ({@code stopReason}: the tuner's policy, e.g. {@code plateau}, or the Optuna arm's {@code median pruner}).
     */
    public record TrialRow(String trialId, String runId, long steps, Double best, Double lastValidation,
                           Instant startedAt, Instant finishedAt, String status, String stopReason) {

        /** Why the trial ended early: its stop reason, else its status when that is not {@code completed}; null when it ran its budget. */
        public String stop() {
            if (stopReason != null) {
                return stopReason;
            }
            return EARLY_END.contains(status) ? status : null;
        }

        TrialRow withLastValidation(Double value) {
            return new TrialRow(trialId, runId, steps, best, value, startedAt, finishedAt, status, stopReason);
        }
    }

    /** Reads a study as {@code GET /studies/{id}} returns it (or as the Optuna arm prints it). */
    public static BenchmarkReport of(JsonNode study) {
        List<TrialRow> rows = new ArrayList<>();
        for (JsonNode t : study.get("leaderboard")) {
            rows.add(new TrialRow(t.get("trialId").asText(), text(t, "runId"), t.get("steps").asLong(),
                    number(t, "best"), number(t, "lastValidation"), instant(t, "startedAt"), instant(t, "finishedAt"),
                    t.get("status").asText(), text(t, "stopReason")));
        }
        rows.sort(Comparator.comparing(TrialRow::finishedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(TrialRow::trialId));
        return new BenchmarkReport(study.get("id").asText(), Instant.parse(study.get("createdAt").asText()),
                List.copyOf(rows));
    }

    /** The same study with the last validation value of the rows that lack one, looked up by run id (null: unknown). */
    public BenchmarkReport withLastValidations(Function<String, Double> byRunId) {
        List<TrialRow> out = new ArrayList<>();
        for (TrialRow r : rows) {
            out.add(r.lastValidation() != null || r.runId() == null ? r : r.withLastValidation(byRunId.apply(r.runId())));
        }
        return new BenchmarkReport(studyId, createdAt, List.copyOf(out));
    }

    public int trials() {
        return rows.size();
    }

    public long totalSteps() {
        return rows.stream().mapToLong(TrialRow::steps).sum();
    }

    /** Steps spent (in finishing order, whole trials) until the end of the first trial whose best reached {@code target}; null if none did. */
    public Long stepsTo(double target) {
        long total = 0;
        for (TrialRow r : rows) {
            total += r.steps();
            if (r.best() != null && r.best() >= target) {
                return total;
            }
        }
        return null;
    }

    /** Time from the study's creation to the end of the first trial that reached {@code target}; null if none did. */
    public Duration wallTo(double target) {
        for (TrialRow r : rows) {
            if (r.best() != null && r.best() >= target) {
                return r.finishedAt() == null ? null : Duration.between(createdAt, r.finishedAt());
            }
        }
        return null;
    }

    /** From the study's creation to its last trial's end. */
    public Duration wall() {
        Instant end = createdAt;
        for (TrialRow r : rows) {
            if (r.finishedAt() != null && r.finishedAt().isAfter(end)) {
                end = r.finishedAt();
            }
        }
        return Duration.between(createdAt, end);
    }

    public Double best() {
        return bestWithin(Long.MAX_VALUE);
    }

    /** The best value among the trials finished within {@code budget} steps (in finishing order). */
    public Double bestWithin(long budget) {
        long spent = 0;
        Double best = null;
        for (TrialRow r : rows) {
            spent += r.steps();
            if (spent > budget) {
                break;
            }
            if (r.best() != null && (best == null || r.best() > best)) {
                best = r.best();
            }
        }
        return best;
    }

    /** The trials that ended early. */
    public List<TrialRow> stopped() {
        return rows.stream().filter(r -> r.stop() != null).toList();
    }

    /** Trials that ended early, by reason (sorted by name). */
    public Map<String, Integer> stops() {
        Map<String, Integer> out = new TreeMap<>();
        for (TrialRow r : stopped()) {
            out.merge(r.stop(), 1, Integer::sum);
        }
        return out;
    }

    /**
     * The upper quartile of the study's trials: the {@code ceil(n / 4)}-th best of the {@code n} trials' best
     * values (nearest rank); null when no trial has a value.
     */
    public Double topQuartile() {
        List<Double> values = rows.stream().map(TrialRow::best).filter(v -> v != null && !v.isNaN())
                .sorted(Comparator.reverseOrder()).toList();
        if (values.isEmpty()) {
            return null;
        }
        return values.get((values.size() + 3) / 4 - 1);
    }

    /**
     * Stopped trials that were on track: their last validation value was already in the top quartile of the
     * study's trials ({@link #topQuartile()}), i.e. a stop that cut a trial among the study's best.
     */
    public int onTrack() {
        Double q = topQuartile();
        if (q == null) {
            return 0;
        }
        return (int) stopped().stream().filter(r -> r.lastValidation() != null && r.lastValidation() >= q).count();
    }

    /** Stopped trials whose last validation value is unknown (the trainer no longer knew the run). */
    public int stoppedWithoutLastValidation() {
        return (int) stopped().stream().filter(r -> r.lastValidation() == null).count();
    }

    private static String text(JsonNode t, String field) {
        return t.hasNonNull(field) ? t.get(field).asText() : null;
    }

    private static Double number(JsonNode t, String field) {
        return t.hasNonNull(field) && t.get(field).isNumber() ? t.get(field).asDouble() : null;
    }

    private static Instant instant(JsonNode t, String field) {
        return t.hasNonNull(field) ? Instant.parse(t.get(field).asText()) : null;
    }

    static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    static String fmt(Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
