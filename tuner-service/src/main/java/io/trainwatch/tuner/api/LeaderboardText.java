package io.trainwatch.tuner.api;

import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.Decision;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A plain-text rendering of a study for terminals ({@code ./trainwatch study}). */
public final class LeaderboardText {

    private LeaderboardText() {
    }

    public static String render(StudyView v, int decisions) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "study %s (%s): %s%s%n", v.id(), v.name() == null ? "" : v.name(),
                v.status().toUpperCase(Locale.ROOT), v.stopReason() == null ? "" : " - " + v.stopReason()));
        b.append(String.format(Locale.ROOT, "objective %s | trials %d/%d started, %d finished | steps %d/%d%s | round %d of %d%n",
                v.objective(), v.trialsStarted(), v.budget().trials(), v.trialsFinished(), v.steps().spent(),
                v.steps().planned(), v.steps().preflight() == 0 ? "" : " (+" + v.steps().preflight() + " preflight)",
                v.rounds().size(), v.budget().rounds()));
        if (v.best() != null) {
            b.append(String.format(Locale.ROOT, "best %s = %s at step %s%n", v.best().trialId(), Ranges.fmt(v.best().value()),
                    v.best().step()));
        }
        if (v.preflight() != null) {
            for (String line : preflightLines(v.preflight())) {
                b.append(line).append(System.lineSeparator());
            }
        }
        b.append("ranges: ");
        b.append(String.join(", ", v.currentRanges().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
        b.append(System.lineSeparator());
        b.append(String.format(Locale.ROOT, "%-4s %-5s %-3s %-7s %-9s %-10s %-9s %-13s %s%n", "rank", "trial", "rnd",
                "origin", "status", "best", "steps", "stop reason", "hyperparameters"));
        for (StudyView.TrialView t : v.leaderboard()) {
            b.append(String.format(Locale.ROOT, "%-4d %-5s %-3d %-7s %-9s %-10s %-9s %-13s %s%n", t.rank(), t.trialId(),
                    t.round(), t.origin(), t.status(), t.best() == null ? "-" : Ranges.fmt(t.best()),
                    t.steps() + "/" + t.maxSteps(), t.stopReason() == null ? "" : t.stopReason(), params(t.hyperparameters())));
        }
        List<Decision> all = new java.util.ArrayList<>(v.decisions());
        v.leaderboard().forEach(t -> all.addAll(t.decisions()));
        all.sort((x, y) -> x.at().compareTo(y.at()));
        if (decisions > 0 && !all.isEmpty()) {
            b.append("recent decisions:").append(System.lineSeparator());
            for (Decision d : all.subList(Math.max(0, all.size() - decisions), all.size())) {
                b.append(String.format(Locale.ROOT, "  %s %-5s %-20s %-17s %s%n", d.at(), d.trialId() == null ? "" : d.trialId(),
                        d.policy(), d.action(), d.detail()));
            }
        }
        return b.toString();
    }

    /**
     * One line per preflight step, {@code preflight N/3 NAME STATUS: numbers}; the launcher prints each step's
     * line once when it is over.
     */
    public static List<String> preflightLines(StudyView.Preflight p) {
        List<String> out = new java.util.ArrayList<>();
        StudyView.InitialLoss i = p.initialLoss();
        String numbers = i.firstLoss() == null ? "" : String.format(Locale.ROOT, " first loss %s vs ln(C) %s (tolerance x%s)",
                Ranges.fmt(i.firstLoss()), i.expected() == null ? "?" : Ranges.fmt(i.expected()), io.trainwatch.tuner.preflight.PreflightState.factor(i.tolerance()));
        out.add(line(1, "initial-loss", i.status(), numbers + (i.cause() == null ? "" : " cause " + i.cause()), i.detail()));
        StudyView.OverfitSubset o = p.overfitSubset();
        numbers = o.steps() == 0 && o.bestAccuracy() == null ? "" : String.format(Locale.ROOT,
                " %d batches, %d steps, best accuracy %s%s", o.batches(), o.steps(),
                o.bestAccuracy() == null ? "-" : Ranges.fmt(o.bestAccuracy()),
                o.stepsTo100() == null ? "" : ", 100 % after " + o.stepsTo100() + " steps");
        out.add(line(2, "overfit-subset", o.status(), numbers, o.detail()));
        StudyView.LrRangeTest r = p.lrRangeTest();
        numbers = r.points().isEmpty() ? "" : " " + r.points().size() + " points"
                + (r.steepestRate() == null ? "" : ", steepest " + Ranges.fmt(r.steepestRate()))
                + (r.minLossRate() == null ? "" : ", minimum at " + Ranges.fmt(r.minLossRate()))
                + (r.range() == null ? "" : ", range [" + Ranges.fmt(r.range()[0]) + ", " + Ranges.fmt(r.range()[1]) + "]");
        out.add(line(3, "lr-range-test", r.status(), numbers, r.detail()));
        return out;
    }

    private static String line(int n, String name, String status, String numbers, String detail) {
        boolean over = !"pending".equals(status) && !"running".equals(status);
        return "preflight " + n + "/3 " + name + " " + status.toUpperCase(Locale.ROOT) + ":" + numbers
                + (over && detail != null ? " | " + detail : "");
    }

    private static String params(Map<String, Object> p) {
        StringBuilder b = new StringBuilder();
        p.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=')
                .append(v instanceof Double d ? Ranges.fmt(d) : String.valueOf(v)));
        return b.toString();
    }
}
