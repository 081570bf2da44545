package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The live page's memory: every run, alert, tuner action and study the feed has read, bounded by
 * {@link LiveConfig} (runs, points per series, layers, alerts, actions, studies), plus what changed since
 * the last push ({@link #drain()}), itself bounded. Plain Java, one lock, no Kafka: the feed
 * {@link #apply applies} raw records, the REST resource reads snapshots. Bad records are counted and
 * skipped; duplicate and out-of-order steps are counted and change nothing; NaN and infinities are data.
 */
public final class LiveStore {

    public static final String LOSS = "loss";
    public static final String ACCURACY = "accuracy";
    public static final String LEARNING_RATE = "learningRate";
    public static final String VALIDATION_LOSS = "validationLoss";
    public static final String VALIDATION_ACCURACY = "validationAccuracy";
    public static final String LAYER_PREFIX = "grad:";
    /** Alerts held for one push; beyond it the push tells every page to reload. */
    static final int MAX_PENDING_ALERTS = 200;

    private final LiveConfig config;
    private final Clock clock;
    private final Map<String, LiveRun> runs = new HashMap<>();
    private final Map<String, LiveStudy> studies = new HashMap<>();

    // What changed since the last drain.
    private long seq;
    private final Set<String> changedRuns = new LinkedHashSet<>();
    private final Set<String> evictedRuns = new LinkedHashSet<>();
    private final Map<String, Map<String, Pending>> pendingPoints = new HashMap<>();
    private final Set<String> resyncRuns = new LinkedHashSet<>();
    private final List<Alert> pendingAlerts = new ArrayList<>();
    private final Map<String, Set<String>> changedActions = new LinkedHashMap<>();
    private final Set<String> changedStudies = new LinkedHashSet<>();
    private final Set<String> removedStudies = new LinkedHashSet<>();
    private boolean resyncAll;

    private long records;
    private long skipped;
    private long ignored;
    private String lastSkipReason;

    public LiveStore(LiveConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /** Folds one raw record of a topic in; never throws on bad bytes (they are counted as skipped). */
    public synchronized void apply(String topic, String key, byte[] value) {
        records++;
        switch (topic) {
            case Topics.TRAINING_EVENTS -> {
                ReadResult<TrainingEvent> r = EventCodec.readTrainingEvent(value);
                if (r.isValid()) {
                    event(r.value());
                } else {
                    skip(topic, r.error());
                }
            }
            case Topics.TRAINING_ALERTS -> {
                ReadResult<Alert> r = EventCodec.readAlert(value);
                if (r.isValid()) {
                    alert(r.value());
                } else {
                    skip(topic, r.error());
                }
            }
            case Topics.TUNER_COMMANDS -> {
                ReadResult<TunerCommand> r = EventCodec.readCommand(value);
                if (r.isValid()) {
                    command(r.value());
                } else {
                    skip(topic, r.error());
                }
            }
            case Topics.TUNER_TRIALS -> {
                ReadResult<Trial> r = EventCodec.readTrial(value);
                if (r.isValid()) {
                    trial(r.value());
                } else {
                    skip(topic, r.error());
                }
            }
            case Topics.TUNER_STUDIES -> study(key, value);
            default -> skip(topic, "not a topic of the live page");
        }
    }

    private void skip(String topic, String reason) {
        skipped++;
        lastSkipReason = topic + ": " + reason;
    }

    // ---- training.events

    private void event(TrainingEvent e) {
        LiveRun run = runFor(e.runId());
        if (e.studyId() != null) {
            run.studyId = e.studyId();
        }
        if (e.trialId() != null) {
            run.trialId = e.trialId();
        }
        if (e.timestamp() != null && (run.lastEventAt == null || e.timestamp().isAfter(run.lastEventAt))) {
            run.lastEventAt = e.timestamp(); // a replayed or late event never moves it back
        }
        if (LiveRun.QUEUED.equals(run.status)) {
            run.status = LiveRun.RUNNING;
        }
        if (e instanceof RunStarted s) {
            run.started(s.config());
            run.startedAt = s.timestamp();
            run.backend = s.backend();
            run.device = s.device();
        } else if (e instanceof StepEvent s) {
            step(run, s);
        } else if (e instanceof ValidationEvent v) {
            validation(run, v);
        } else if (e instanceof CommandApplied c) {
            applied(run, c);
        } else if (e instanceof RunFinished f) {
            run.status = f.status();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", f.status());
            if (f.reason() != null) {
                m.put("reason", clip(f.reason(), 500));
            }
            m.put("step", f.step());
            if (f.droppedEvents() != null) {
                m.put("droppedEvents", f.droppedEvents());
            }
            m.put("at", f.timestamp());
            run.finished = m;
        }
        changed(run);
    }

    private void step(LiveRun run, StepEvent s) {
        if (s.step() <= run.step) {
            run.ignored++;
            ignored++;
            return;
        }
        run.step = s.step();
        run.epoch = s.epoch();
        run.loss = s.loss();
        run.accuracy = s.accuracy();
        if (s.learningRate() != null) {
            run.learningRate = s.learningRate();
        }
        run.gradientNorm = s.gradientNorm();
        point(run, LOSS, s.step(), s.loss());
        if (s.accuracy() != null) {
            point(run, ACCURACY, s.step(), s.accuracy());
        }
        if (s.learningRate() != null) {
            point(run, LEARNING_RATE, s.step(), s.learningRate());
        }
        if (s.layerGradientNorms() != null) {
            for (Map.Entry<String, Double> l : s.layerGradientNorms().entrySet()) {
                String name = LAYER_PREFIX + l.getKey();
                if (l.getValue() == null || (!run.series.containsKey(name) && run.layers >= config.maxLayers())) {
                    continue;
                }
                if (!run.series.containsKey(name)) {
                    run.layers++;
                }
                point(run, name, s.step(), l.getValue());
            }
        }
    }

    private void validation(LiveRun run, ValidationEvent v) {
        if (v.step() <= run.validationStep) {
            run.ignored++;
            ignored++;
            return;
        }
        run.validationStep = v.step();
        if (v.validationLoss() != null) {
            run.validationLoss = v.validationLoss();
            point(run, VALIDATION_LOSS, v.step(), v.validationLoss());
        }
        if (v.validationAccuracy() != null) {
            run.validationAccuracy = v.validationAccuracy();
            point(run, VALIDATION_ACCURACY, v.step(), v.validationAccuracy());
        }
    }

    private void point(LiveRun run, String name, long step, double value) {
        Series s = run.series.computeIfAbsent(name, k -> new Series(config.maxPoints()));
        if (!s.add(step, value)) {
            return;
        }
        if (resyncRuns.contains(run.runId)) {
            return; // the page reloads this run anyway
        }
        Pending p = pendingPoints.computeIfAbsent(run.runId, k -> new LinkedHashMap<>())
                .computeIfAbsent(name, k -> new Pending());
        if (p.n >= config.maxPendingPoints()) {
            resyncRuns.add(run.runId);
            pendingPoints.remove(run.runId);
            return;
        }
        p.add(step, (float) value);
    }

    private void applied(LiveRun run, CommandApplied c) {
        Map<String, Object> a = action(run, c.commandId());
        a.putIfAbsent("type", c.command() == null ? "command" : c.command());
        a.put("appliedStep", c.step());
        a.put("appliedAt", c.timestamp());
        a.put("status", "applied");
        if (c.details() != null) {
            Map<String, Object> d = c.details();
            Object lr = d.get("learningRate");
            Object prev = d.get("previousLearningRate");
            if (lr instanceof Number) {
                a.putIfAbsent("learningRate", lr);
            }
            if (prev instanceof Number) {
                a.put("previousLearningRate", prev);
            }
            if (d.get("reason") instanceof String r) {
                a.putIfAbsent("reason", clip(r, 500));
            }
        }
        a.putIfAbsent("issuedStep", c.step());
        kind(a);
        detector(run, a);
    }

    // ---- tuner.commands, tuner.trials

    private void command(TunerCommand c) {
        LiveRun run = runFor(c.runId());
        if (c.studyId() != null) {
            run.studyId = c.studyId();
        }
        if (c.trialId() != null) {
            run.trialId = c.trialId();
        }
        Map<String, Object> a = action(run, c.commandId());
        a.put("type", c.type());
        if (c.learningRate() != null) {
            a.put("learningRate", c.learningRate());
        }
        a.put("reason", clip(c.reason(), 500));
        if (c.alertId() != null) {
            a.put("alertId", c.alertId());
        }
        a.put("issuedAt", c.timestamp() == null ? Instant.ofEpochMilli(clock.millis()) : c.timestamp());
        if (c.isSuggestion()) {
            // Shown apart from commands: only suggested to the run's owner, never applied nor confirmed.
            a.put("mode", TunerCommand.SUGGEST);
            a.put("status", "suggested");
        } else {
            a.putIfAbsent("status", "issued");
        }
        Long alertStep = run.alerts.stream().filter(x -> x.alertId().equals(c.alertId())).map(Alert::step)
                .findFirst().orElse(null);
        a.put("issuedStep", alertStep != null ? alertStep : Math.max(run.step, 0));
        if (!a.containsKey("previousLearningRate") && run.learningRate != null) {
            a.put("previousLearningRate", run.learningRate);
        }
        kind(a);
        detector(run, a);
        changed(run);
    }

    private void trial(Trial t) {
        boolean known = runs.containsKey(t.runId());
        LiveRun run = runFor(t.runId());
        run.studyId = t.studyId();
        run.trialId = t.trialId();
        if (!known) {
            run.status = LiveRun.QUEUED; // until its trainer's first event
        }
        changed(run);
    }

    private Map<String, Object> action(LiveRun run, String commandId) {
        Map<String, Object> a = run.actions.get(commandId);
        if (a == null) {
            a = new LinkedHashMap<>();
            a.put("commandId", commandId);
            run.actions.put(commandId, a);
            while (run.actions.size() > config.maxActions()) {
                run.actions.remove(run.actions.keySet().iterator().next());
            }
        }
        changedActions.computeIfAbsent(run.runId, k -> new LinkedHashSet<>()).add(commandId);
        return a;
    }

    /** decay, raise or stop: what the page draws. */
    private static void kind(Map<String, Object> a) {
        if (TunerCommand.STOP.equals(a.get("type"))) {
            a.put("kind", "stop");
        } else if (a.get("learningRate") instanceof Number lr && a.get("previousLearningRate") instanceof Number prev) {
            a.put("kind", lr.doubleValue() < prev.doubleValue() ? "decay" : "raise");
        } else {
            a.putIfAbsent("kind", "set-learning-rate");
        }
    }

    private static void detector(LiveRun run, Map<String, Object> a) {
        Object alertId = a.get("alertId");
        for (Alert x : run.alerts) {
            if (x.alertId().equals(alertId)) {
                a.put("detector", x.detector());
                return;
            }
        }
        if (!a.containsKey("detector") && a.get("reason") instanceof String r) {
            int colon = r.indexOf(':');
            String head = colon > 0 ? r.substring(0, colon).trim() : "";
            if (Alert.DETECTORS.contains(head)) {
                a.put("detector", head);
            }
        }
    }

    // ---- training.alerts

    private void alert(Alert alert) {
        LiveRun run = runFor(alert.runId());
        if (!run.alertKeys.add(alert.alertId() + '/' + alert.status())) {
            ignored++;
            return;
        }
        run.alerts.addLast(alert);
        while (run.alerts.size() > config.maxAlerts()) {
            Alert old = run.alerts.removeFirst();
            run.alertKeys.remove(old.alertId() + '/' + old.status());
        }
        if (Alert.FIRING.equals(alert.status())) {
            run.firingTotal++;
            run.active.put(alert.detector(), alert);
        } else {
            Alert a = run.active.get(alert.detector());
            if (a != null && a.alertId().equals(alert.alertId())) {
                run.active.remove(alert.detector());
            }
        }
        for (Map<String, Object> a : run.actions.values()) {
            // The tuner may answer an alert before this feed has read it: place the action at the alert's step.
            if (alert.alertId().equals(a.get("alertId")) && Alert.FIRING.equals(alert.status())) {
                a.put("detector", alert.detector());
                a.put("issuedStep", alert.step());
                changedActions.computeIfAbsent(run.runId, k -> new LinkedHashSet<>()).add((String) a.get("commandId"));
            }
        }
        if (pendingAlerts.size() < MAX_PENDING_ALERTS) {
            pendingAlerts.add(alert);
        } else {
            resyncAll = true;
        }
        changed(run);
    }

    // ---- tuner.studies

    private void study(String key, byte[] value) {
        if (value == null) {
            if (key != null && studies.remove(key) != null) {
                removedStudies.add(key);
                changedStudies.remove(key);
            }
            return;
        }
        JsonNode doc;
        try {
            doc = LiveJson.STUDY_READER.readTree(value);
        } catch (Exception | StackOverflowError e) {
            skip(Topics.TUNER_STUDIES, "not JSON: " + e.getClass().getSimpleName());
            return;
        }
        LiveStudy s = LiveStudy.from(doc, config.maxTrials(), clock.millis());
        if (s == null) {
            skip(Topics.TUNER_STUDIES, "a study document needs an id");
            return;
        }
        studies.put(s.id(), s);
        changedStudies.add(s.id());
        removedStudies.remove(s.id());
        while (studies.size() > config.maxStudies()) {
            LiveStudy oldest = studies.values().stream().min(Comparator.comparingLong(LiveStudy::receivedMillis)).orElseThrow();
            studies.remove(oldest.id());
            changedStudies.remove(oldest.id());
            removedStudies.add(oldest.id());
        }
    }

    // ---- bookkeeping

    private LiveRun runFor(String runId) {
        LiveRun run = runs.get(runId);
        if (run == null) {
            run = new LiveRun(runId);
            run.updatedMillis = clock.millis();
            runs.put(runId, run);
            evictedRuns.remove(runId);
            while (runs.size() > config.maxRuns()) {
                LiveRun oldest = null;
                for (LiveRun r : runs.values()) {
                    if (r != run && (oldest == null || r.updatedMillis < oldest.updatedMillis)) {
                        oldest = r;
                    }
                }
                evict(oldest.runId);
            }
        }
        return run;
    }

    private void evict(String runId) {
        runs.remove(runId);
        evictedRuns.add(runId);
        changedRuns.remove(runId);
        pendingPoints.remove(runId);
        resyncRuns.remove(runId);
        changedActions.remove(runId);
    }

    private void changed(LiveRun run) {
        run.updatedMillis = clock.millis();
        changedRuns.add(run.runId);
    }

    /**
     * What changed since the last call, as one push message (null when nothing did), then forgets it. Points
     * are by run, for the pages that show that run; a run whose new points overflowed the buffer, or a push
     * with too many alerts, tells the pages to reload that run (or everything) instead.
     */
    public synchronized Delta drain() {
        if (changedRuns.isEmpty() && evictedRuns.isEmpty() && pendingPoints.isEmpty() && pendingAlerts.isEmpty()
                && changedActions.isEmpty() && changedStudies.isEmpty() && removedStudies.isEmpty() && !resyncAll
                && resyncRuns.isEmpty()) {
            return null;
        }
        seq++;
        Map<String, Object> common = new LinkedHashMap<>();
        common.put("type", "delta");
        common.put("seq", seq);
        List<Map<String, Object>> runSummaries = new ArrayList<>();
        for (String id : changedRuns) {
            LiveRun r = runs.get(id);
            if (r != null) {
                Map<String, Object> summary = r.summary();
                if (!r.configChanged) {
                    summary.remove("config"); // set once at run-started; GET /live/runs has it
                }
                r.configChanged = false;
                runSummaries.add(summary);
            }
        }
        common.put("runs", runSummaries);
        common.put("evicted", List.copyOf(evictedRuns));
        common.put("alerts", List.copyOf(pendingAlerts));
        List<Map<String, Object>> actions = new ArrayList<>();
        changedActions.forEach((runId, ids) -> {
            LiveRun r = runs.get(runId);
            if (r != null) {
                ids.forEach(id -> {
                    Map<String, Object> a = r.actions.get(id);
                    if (a != null) {
                        actions.add(actionJson(r, a));
                    }
                });
            }
        });
        common.put("actions", actions);
        List<Map<String, Object>> st = new ArrayList<>();
        changedStudies.forEach(id -> {
            LiveStudy s = studies.get(id);
            if (s != null) {
                st.add(s.json());
            }
        });
        common.put("studies", st);
        common.put("removedStudies", List.copyOf(removedStudies));
        common.put("resync", List.copyOf(resyncRuns));
        common.put("resyncAll", resyncAll);
        Map<String, Map<String, Object>> points = new HashMap<>();
        pendingPoints.forEach((runId, byName) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            byName.forEach((name, p) -> m.put(name, p.json()));
            points.put(runId, m);
        });
        changedRuns.clear();
        evictedRuns.clear();
        pendingPoints.clear();
        pendingAlerts.clear();
        changedActions.clear();
        changedStudies.clear();
        removedStudies.clear();
        resyncRuns.clear();
        resyncAll = false;
        return new Delta(seq, common, points);
    }

    /** The sequence number of the last push. */
    public synchronized long seq() {
        return seq;
    }

    /** Every run, most recently updated first. */
    public synchronized List<Map<String, Object>> runs() {
        return runs.values().stream().sorted(Comparator.comparingLong((LiveRun r) -> r.updatedMillis).reversed()
                .thenComparing(r -> r.runId)).map(LiveRun::summary).toList();
    }

    /** One run's whole picture: summary, series, alerts and tuner actions; null when unknown. */
    public synchronized Map<String, Object> run(String runId) {
        LiveRun r = runs.get(runId);
        if (r == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", seq);
        m.put("run", r.summary());
        Map<String, Object> series = new LinkedHashMap<>();
        r.series.forEach((name, s) -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("steps", s.steps());
            one.put("values", s.values());
            one.put("width", s.width());
            series.put(name, one);
        });
        m.put("series", series);
        m.put("alerts", List.copyOf(r.alerts));
        m.put("actions", r.actions.values().stream().map(a -> actionJson(r, a)).toList());
        return m;
    }

    private static Map<String, Object> actionJson(LiveRun r, Map<String, Object> a) {
        Map<String, Object> copy = new LinkedHashMap<>();
        copy.put("runId", r.runId);
        copy.putAll(a);
        return copy;
    }

    /** The studies, most recently received first. */
    public synchronized List<Map<String, Object>> studies() {
        return studies.values().stream().sorted(Comparator.comparingLong(LiveStudy::receivedMillis).reversed())
                .map(LiveStudy::json).toList();
    }

    /** Counters and sizes, for the page's footer and the README's figures. */
    public synchronized Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", records);
        m.put("skipped", skipped);
        m.put("ignored", ignored);
        m.put("lastSkipReason", lastSkipReason);
        m.put("runs", runs.size());
        m.put("studies", studies.size());
        m.put("seriesBytes", runs.values().stream().mapToLong(LiveRun::seriesBytes).sum());
        return m;
    }

    public synchronized long records() {
        return records;
    }

    public synchronized long skipped() {
        return skipped;
    }

    public synchronized long ignored() {
        return ignored;
    }

    public synchronized int runCount() {
        return runs.size();
    }

    /** Heap held by one run's series, or -1 when unknown. */
    public synchronized long seriesBytes(String runId) {
        LiveRun r = runs.get(runId);
        return r == null ? -1 : r.seriesBytes();
    }

    private static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }

    /** New points of one series since the last push, raw (the page decimates nothing). */
    private static final class Pending {
        long[] steps = new long[8];
        float[] values = new float[8];
        int n;

        void add(long step, float value) {
            if (n == steps.length) {
                steps = Arrays.copyOf(steps, n * 2);
                values = Arrays.copyOf(values, n * 2);
            }
            steps[n] = step;
            values[n] = value;
            n++;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("steps", Arrays.copyOf(steps, n));
            m.put("values", Arrays.copyOf(values, n));
            return m;
        }
    }

    /**
     * One push: {@code common} for every page, {@code points} by run for the pages showing that run.
     */
    public record Delta(long seq, Map<String, Object> common, Map<String, Map<String, Object>> points) {

        /** The message for a page that shows {@code runId} (or none). */
        public String json(String runId) {
            Map<String, Object> m = new LinkedHashMap<>(common);
            Map<String, Object> p = runId == null ? null : points.get(runId);
            m.put("points", p == null ? Map.of() : Map.of(runId, p));
            return LiveJson.write(m);
        }
    }
}
