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
        b.append(String.format(Locale.ROOT, "objective %s | trials %d/%d started, %d finished | steps %d | round %d of %d%n",
                v.objective(), v.trialsStarted(), v.budget().trials(), v.trialsFinished(), v.stepsTrained(),
                v.rounds().size(), v.budget().rounds()));
        if (v.best() != null) {
            b.append(String.format(Locale.ROOT, "best %s = %s at step %s%n", v.best().trialId(), Ranges.fmt(v.best().value()),
                    v.best().step()));
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

    private static String params(Map<String, Object> p) {
        StringBuilder b = new StringBuilder();
        p.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=')
                .append(v instanceof Double d ? Ranges.fmt(d) : String.valueOf(v)));
        return b.toString();
    }
}
