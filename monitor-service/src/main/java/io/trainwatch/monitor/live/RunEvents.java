package io.trainwatch.monitor.live;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;

import java.util.Map;

/**
 * Folds a run's own records into its {@link LiveRun}: {@code training.events} (configuration, latest figures,
 * bounded series per metric and per layer, the outcome), {@code training.alerts} and {@code tuner.trials}.
 * Duplicate and out-of-order steps and validations are counted and change nothing; NaN and infinities are data.
 * Guarded by the {@link LiveStore}'s lock.
 */
final class RunEvents {

    static final String LOSS = "loss";
    static final String ACCURACY = "accuracy";
    static final String LEARNING_RATE = "learningRate";
    static final String VALIDATION_LOSS = "validationLoss";
    static final String VALIDATION_ACCURACY = "validationAccuracy";
    static final String LAYER_PREFIX = "grad:";

    private final LiveConfig config;
    private final LiveRuns runs;
    private final LiveChanges changes;
    private final TunerActions actions;
    private long ignored;

    RunEvents(LiveConfig config, LiveRuns runs, LiveChanges changes, TunerActions actions) {
        this.config = config;
        this.runs = runs;
        this.changes = changes;
        this.actions = actions;
    }

    /** Duplicate and out-of-order records, and alerts read twice. */
    long ignored() {
        return ignored;
    }

    void event(TrainingEvent e) {
        LiveRun run = runs.runFor(e.runId());
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
            actions.applied(run, c);
        } else if (e instanceof RunFinished f) {
            run.status = f.status();
            run.finished = new LiveViews.Finished(f.status(), LiveAction.clip(f.reason()), f.step(), f.droppedEvents(),
                    f.timestamp());
        }
        runs.changed(run);
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
        if (s.add(step, value)) {
            changes.point(run.runId, name, step, value);
        }
    }

    void alert(Alert alert) {
        LiveRun run = runs.runFor(alert.runId());
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
        actions.alertRead(run, alert);
        changes.alert(alert);
        runs.changed(run);
    }

    void trial(Trial t) {
        boolean known = runs.contains(t.runId());
        LiveRun run = runs.runFor(t.runId());
        run.studyId = t.studyId();
        run.trialId = t.trialId();
        if (!known) {
            run.status = LiveRun.QUEUED; // until its trainer's first event
        }
        runs.changed(run);
    }
}
