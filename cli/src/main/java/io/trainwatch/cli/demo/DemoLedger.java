package io.trainwatch.cli.demo;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The demo's bookkeeping: turns the events of its own studies (training events, alerts, tuner commands and
 * trials) into one printed line each, and at the end into the summary table and the verdict. Events of runs
 * that are not the demo's are ignored; duplicates (a re-sent command, a replayed alert) print once.
 */
public final class DemoLedger {

    private static final int MAX_LINE = 220;
    private static final Pattern PREFLIGHT_DONE = Pattern.compile("^preflight ([0-9])/[0-9] [a-z-]+ (PASSED|FAILED|SKIPPED):");

    /** What the demo saw of one run. */
    static final class RunRecord {
        final String runId;
        final DemoPlan.Study study;
        final String trialId;
        final Map<String, Long> firing = new LinkedHashMap<>();
        /** Tuner actions by command id, in the order they were sent; the value says whether it was applied. */
        final Map<String, String> actions = new LinkedHashMap<>();
        final Map<String, Long> appliedAt = new java.util.HashMap<>();
        final java.util.Set<String> seenCommands = new java.util.HashSet<>();
        final java.util.Set<String> seenAlerts = new java.util.HashSet<>();
        String hyperparameters;
        boolean started;
        long lastStep = -1;
        Double validationAccuracy;
        RunFinished finished;

        RunRecord(String runId, DemoPlan.Study study, String trialId) {
            this.runId = runId;
            this.study = study;
            this.trialId = trialId;
        }

        String label() {
            return study.expected() == null ? study.label() + " " + trialId : study.label();
        }
    }

    /** One row of the summary. */
    public record Row(String scenario, String expected, String diagnosis, String tunerAction, String outcome,
                      String verdict) {
    }

    private final Map<String, DemoPlan.Study> studies = new LinkedHashMap<>();
    private final Map<String, RunRecord> runs = new LinkedHashMap<>();
    private final Set<String> printedPreflight = new HashSet<>();

    public DemoLedger(List<DemoPlan.Study> plan) {
        plan.forEach(s -> studies.put(s.studyId(), s));
    }

    /** A trial on {@code tuner.trials}: printed for the studies (a one-trial scenario study needs no line). */
    public Optional<String> onTrial(Trial trial) {
        RunRecord run = record(trial.runId(), trial.studyId(), trial.trialId());
        if (run == null || run.hyperparameters != null) {
            return Optional.empty();
        }
        run.hyperparameters = trial.hyperparameters().entrySet().stream()
                .map(e -> e.getKey() + "=" + value(e.getValue())).collect(Collectors.joining(", "));
        if (run.study.expected() != null) {
            return Optional.empty();
        }
        return line("TUNER  new trial %s (%s): %s", run.label(), trial.origin(), run.hyperparameters);
    }

    /** A training event; returns the line to print, if any. */
    public Optional<String> onEvent(TrainingEvent event) {
        RunRecord run = record(event.runId(), event.studyId(), event.trialId());
        if (run == null) {
            return Optional.empty();
        }
        if (event instanceof StepEvent s) {
            run.lastStep = Math.max(run.lastStep, s.step());
            return Optional.empty();
        }
        if (event instanceof ValidationEvent v) {
            run.lastStep = Math.max(run.lastStep, v.step());
            if (v.validationAccuracy() != null && Double.isFinite(v.validationAccuracy())) {
                run.validationAccuracy = v.validationAccuracy();
            }
            return Optional.empty();
        }
        if (event instanceof RunStarted) {
            if (run.started) {
                return Optional.empty();
            }
            run.started = true;
            String expects = run.study.expected() == null ? ""
                    : DemoPlan.NONE.equals(run.study.expected()) ? " (healthy: expects no alert)"
                    : " (expects " + run.study.expected() + ")";
            return line("run    %-24s started as %s%s", run.label(), run.runId, expects);
        }
        if (event instanceof CommandApplied c) {
            if (!run.seenCommands.add("applied:" + c.commandId())) {
                return Optional.empty();
            }
            run.appliedAt.put(c.commandId(), c.step());
            return line("TUNER  %s confirmed by the trainer at step %d on %s", c.command(), c.step(), run.label());
        }
        if (event instanceof RunFinished f) {
            if (run.finished != null) {
                return Optional.empty();
            }
            run.finished = f;
            run.lastStep = Math.max(run.lastStep, f.step());
            return line("run    %-24s %s at step %d%s", run.label(), f.status(), f.step(),
                    f.reason() == null ? "" : ": " + f.reason());
        }
        return Optional.empty();
    }

    /** An alert on {@code training.alerts}. */
    public Optional<String> onAlert(Alert alert) {
        RunRecord run = record(alert.runId(), alert.studyId(), alert.trialId());
        if (run == null || !run.seenAlerts.add(alert.alertId() + "/" + alert.status())) {
            return Optional.empty();
        }
        if (Alert.RESOLVED.equals(alert.status())) {
            return line("       resolved: %s on %s at step %d", alert.detector(), run.label(), alert.step());
        }
        run.firing.putIfAbsent(alert.detector(), alert.step());
        String evidence = alert.evidence().entrySet().stream().limit(4)
                .map(e -> e.getKey() + "=" + value(e.getValue())).collect(Collectors.joining(" "));
        return line("ALERT  %-20s %s at step %d [%s] %s | %s", alert.detector(), run.label(), alert.step(),
                alert.severity(), evidence, alert.summary() == null ? "" : alert.summary());
    }

    /** A command on {@code tuner.commands} (re-sent ones print once). */
    public Optional<String> onCommand(TunerCommand command) {
        RunRecord run = record(command.runId(), command.studyId(), command.trialId());
        if (run == null || !run.seenCommands.add("sent:" + command.commandId())) {
            return Optional.empty();
        }
        String what = TunerCommand.SET_LEARNING_RATE.equals(command.type())
                ? "set-learning-rate " + value(command.learningRate()) : command.type();
        run.actions.put(command.commandId(), TunerCommand.SET_LEARNING_RATE.equals(command.type())
                ? "lr -> " + value(command.learningRate()) : command.type());
        return line("TUNER  %s for %s: %s", what, run.label(), command.reason() == null ? "" : command.reason());
    }

    /**
     * The preflight steps of a study's {@code GET /studies/{id}/text} that are over and were not printed yet, as the
     * tuner words them ({@code preflight 1/3 initial-loss PASSED: first loss ...}).
     */
    public List<String> onStudyText(String studyId, String text) {
        List<String> lines = new ArrayList<>();
        DemoPlan.Study study = studies.get(studyId);
        if (text == null || study == null) {
            return lines;
        }
        for (String l : text.split("\n")) {
            Matcher m = PREFLIGHT_DONE.matcher(l.strip());
            if (m.find() && printedPreflight.add(studyId + "/" + m.group(1))) {
                line("PREFLIGHT %s: %s", study.label(), l.strip()).ifPresent(lines::add);
            }
        }
        return lines;
    }

    /** Whether every run of the scenario studies has finished (the other studies' end is the tuner's to say). */
    public boolean scenarioRunsFinished() {
        for (DemoPlan.Study s : studies.values()) {
            if (s.expected() == null) {
                continue;
            }
            boolean done = runs.values().stream().anyMatch(r -> r.study == s && r.finished != null);
            if (!done) {
                return false;
            }
        }
        return true;
    }

    /** The summary: one row per scenario run and per search trial, in the order they appeared. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (DemoPlan.Study s : studies.values()) {
            List<RunRecord> ofStudy = runs.values().stream().filter(r -> r.study == s).toList();
            if (ofStudy.isEmpty()) {
                rows.add(new Row(s.label(), expected(s), "-", "-", "no run seen", s.expected() == null ? "" : "FAIL"));
            }
            for (RunRecord r : ofStudy) {
                String diagnosis = r.firing.isEmpty() ? "no alert" : r.firing.entrySet().stream()
                        .map(e -> e.getKey() + " @" + e.getValue()).collect(Collectors.joining(", "));
                String action = r.actions.isEmpty() ? "-" : r.actions.entrySet().stream()
                        .map(e -> e.getValue() + (r.appliedAt.containsKey(e.getKey())
                                ? " (applied @" + r.appliedAt.get(e.getKey()) + ")" : " (not confirmed)"))
                        .collect(Collectors.joining(", "));
                rows.add(new Row(r.label(), expected(s), diagnosis, action, outcome(r), verdict(r)));
            }
        }
        return rows;
    }

    /** True when every scenario got its expected diagnosis and no healthy run got an alert. */
    public boolean passed() {
        return rows().stream().noneMatch(r -> r.verdict().equals("FAIL"));
    }

    /** The summary as a fixed-width text table. */
    public String table() {
        List<Row> rows = rows();
        String[] head = {"scenario", "expected", "diagnosis (first step)", "tuner action", "outcome", "verdict"};
        int[] w = new int[head.length];
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (Row r : rows) {
            cells.add(new String[] {r.scenario(), r.expected(), r.diagnosis(), r.tunerAction(), r.outcome(), r.verdict()});
        }
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.min(Math.max(w[i], c[i].length()), 48);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < cells.size(); k++) {
            String[] c = cells.get(k);
            for (int i = 0; i < c.length; i++) {
                String cell = c[i].length() > 48 ? c[i].substring(0, 47) + "~" : c[i];
                sb.append(String.format(Locale.ROOT, "%-" + w[i] + "s", cell)).append(i + 1 < c.length ? "  " : "");
            }
            sb.append('\n');
            if (k == 0) {
                for (int i = 0; i < w.length; i++) {
                    sb.append("-".repeat(w[i])).append(i + 1 < w.length ? "  " : "");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static String expected(DemoPlan.Study s) {
        return s.expected() == null ? "-" : DemoPlan.NONE.equals(s.expected()) ? "no alert" : s.expected();
    }

    private static String verdict(RunRecord r) {
        String expected = r.study.expected();
        if (expected == null) {
            return "";
        }
        if (r.finished == null && r.lastStep < 0) {
            return "FAIL";
        }
        if (DemoPlan.NONE.equals(expected)) {
            return r.firing.isEmpty() ? "ok" : "FAIL";
        }
        return r.firing.containsKey(expected) ? "ok" : "FAIL";
    }

    private static String outcome(RunRecord r) {
        if (r.finished == null) {
            return r.lastStep < 0 ? "not started" : "still running at step " + r.lastStep;
        }
        String acc = r.validationAccuracy == null ? "" : String.format(Locale.ROOT, ", val acc %.3f", r.validationAccuracy);
        return r.finished.status() + " at step " + r.finished.step() + acc;
    }

    private RunRecord record(String runId, String studyId, String trialId) {
        RunRecord run = runs.get(runId);
        if (run != null) {
            return run;
        }
        DemoPlan.Study study = studyId == null ? null : studies.get(studyId);
        if (study == null) {
            return null;
        }
        run = new RunRecord(runId, study, trialId == null ? runId : trialId);
        runs.put(runId, run);
        return run;
    }

    private static String value(Object v) {
        if (v instanceof Double d) {
            return Double.isFinite(d) && d != 0 && (Math.abs(d) < 1e-3 || Math.abs(d) >= 1e4)
                    ? String.format(Locale.ROOT, "%.3g", d) : String.format(Locale.ROOT, "%.4g", d);
        }
        return String.valueOf(v);
    }

    private static Optional<String> line(String format, Object... args) {
        String s = String.format(Locale.ROOT, format, args).replace('\n', ' ');
        return Optional.of(s.length() > MAX_LINE ? s.substring(0, MAX_LINE - 1) + "~" : s);
    }
}
