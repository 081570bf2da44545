package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one finished study for the benchmark: total training steps, steps and wall time until a
 * trial first reached the target validation accuracy (counting every step spent by then, in the order the
 * trials finished), the best accuracy, and the best accuracy within a given step budget.
 */
public record BenchmarkReport(String studyId, int trials, long totalSteps, Long stepsToTarget, Duration wallToTarget,
                              Duration wall, Double best, List<TrialRow> rows) {

    /** One finished trial: its steps, best value and when it ended. */
    public record TrialRow(String trialId, long steps, Double best, Instant startedAt, Instant finishedAt, String status) {
    }

    /** Reads a study as {@code GET /studies/{id}} returns it. */
    public static BenchmarkReport of(JsonNode study, double target) {
        Instant created = Instant.parse(study.get("createdAt").asText());
        List<TrialRow> rows = new ArrayList<>();
        for (JsonNode t : study.get("leaderboard")) {
            rows.add(new TrialRow(t.get("trialId").asText(), t.get("steps").asLong(),
                    t.hasNonNull("best") ? t.get("best").asDouble() : null,
                    t.hasNonNull("startedAt") ? Instant.parse(t.get("startedAt").asText()) : null,
                    t.hasNonNull("finishedAt") ? Instant.parse(t.get("finishedAt").asText()) : null,
                    t.get("status").asText()));
        }
        rows.sort(Comparator.comparing(TrialRow::finishedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(TrialRow::trialId));
        long total = 0;
        Long toTarget = null;
        Duration wallToTarget = null;
        Double best = null;
        Instant end = created;
        for (TrialRow r : rows) {
            total += r.steps();
            if (r.finishedAt() != null && r.finishedAt().isAfter(end)) {
                end = r.finishedAt();
            }
            if (r.best() != null && (best == null || r.best() > best)) {
                best = r.best();
            }
            if (toTarget == null && r.best() != null && r.best() >= target) {
                toTarget = total;
                wallToTarget = r.finishedAt() == null ? null : Duration.between(created, r.finishedAt());
            }
        }
        return new BenchmarkReport(study.get("id").asText(), rows.size(), total, toTarget, wallToTarget,
                Duration.between(created, end), best, rows);
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

    static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    static String fmt(Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
