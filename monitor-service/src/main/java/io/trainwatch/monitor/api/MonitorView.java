package io.trainwatch.monitor.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.trainwatch.events.Alert;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.config.MonitorConfig;
import io.trainwatch.monitor.engine.RunObserver;
import io.trainwatch.monitor.engine.RunState;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What this instance knows of the runs it monitors, for REST and Prometheus: a bounded map of
 * {@link RunView}s with their per-run gauges (tag {@code run}, and {@code layer}), removed with the run;
 * the last {@code maxAlerts} alerts (deduplicated by id and status); the counters and the timer.
 */
@ApplicationScoped
public class MonitorView implements RunObserver {

    private final MeterRegistry registry;
    private final Clock clock;
    private final int maxRuns;
    private final int maxAlerts;
    private final Map<String, RunView> runs = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> runMeters = new ConcurrentHashMap<>();
    private final Deque<Alert> alerts = new ArrayDeque<>();
    private final Map<String, Alert> alertKeys = new HashMap<>();
    private final BroadcastProcessor<Alert> stream = BroadcastProcessor.create();
    private final Counter events;
    private final Counter deadLetters;
    private final Timer latency;

    @jakarta.inject.Inject
    public MonitorView(MeterRegistry registry, MonitorConfig config) {
        this(registry, config, Clock.systemUTC());
    }

    MonitorView(MeterRegistry registry, MonitorConfig config, Clock clock) {
        this.registry = registry;
        this.clock = clock;
        this.maxRuns = config.runs().maxRuns();
        this.maxAlerts = config.runs().maxAlerts();
        this.events = Counter.builder("monitor.events").description("Valid training events processed")
                .register(registry);
        this.deadLetters = Counter.builder("monitor.dlq").description("Records sent to training.events.dlq")
                .register(registry);
        malformedCounter("other"); // exposed from the start, so that the series (and its alert rule) exist at 0
        this.latency = Timer.builder("monitor.processing.latency")
                .description("Time to fold one event into its run's state and run every detector")
                .publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("monitor.runs", runs, Map::size).description("Runs in this instance's view").register(registry);
    }

    @Override
    public void processed(TrainingEvent event, RunState state, long nanos) {
        events.increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
        RunView view = runs.get(state.runId);
        if (view == null) {
            view = register(state.runId);
        }
        StepEvent step = event instanceof StepEvent s ? s : null;
        view.update(state, step == null ? null : step.layerGradientNorms(), step == null ? null : step.updateRatios(),
                clock.millis());
        if (step != null && (step.layerGradientNorms() != null || step.updateRatios() != null)) {
            registerLayers(view);
        }
    }

    @Override
    public void malformedFields(List<String> fields) {
        for (String field : fields) {
            malformedCounter(MALFORMED_FIELD_TAGS.contains(field) ? field : "other").increment();
        }
    }

    private Counter malformedCounter(String field) {
        return Counter.builder("monitor.events.malformed.fields")
                .description("Optional fields of valid events dropped because they were malformed (wrong type)")
                .tags("field", field).register(registry);
    }

    /** The optional fields a malformed-field counter is tagged with (anything else is {@code other}: bounded tags). */
    static final java.util.Set<String> MALFORMED_FIELD_TAGS = java.util.Set.of("accuracy", "learningRate",
            "gradientNorm", "layerGradientNorms", "parameterNorms", "updateRatios", "stepMillis", "examplesPerSecond",
            "trainLoss", "trainAccuracy", "validationLoss", "validationAccuracy", "config", "details", "backend",
            "device", "reason", "command");

    @Override
    public void deadLettered(String reason) {
        deadLetters.increment();
    }

    @Override
    public void alerted(Alert alert) {
        Counter.builder("monitor.alerts").description("Alerts raised and resolved")
                .tags("detector", alert.detector(), "severity", alert.severity(), "status", alert.status())
                .register(registry).increment();
        synchronized (alerts) {
            String key = alert.alertId() + '/' + alert.status();
            if (alertKeys.putIfAbsent(key, alert) != null) {
                return;
            }
            alerts.addLast(alert);
            while (alerts.size() > maxAlerts) {
                Alert old = alerts.removeFirst();
                alertKeys.remove(old.alertId() + '/' + old.status());
            }
        }
        // Stream threads call this concurrently; a Reactive Streams processor takes one onNext at a time.
        synchronized (stream) {
            stream.onNext(alert);
        }
    }

    @Override
    public void evicted(String runId) {
        RunView view = runs.remove(runId);
        List<Meter> meters = runMeters.remove(runId);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
        if (view != null) {
            synchronized (view.layerGradientNorms) {
                view.layerGradientNorms.clear();
                view.layerUpdateRatios.clear();
            }
        }
    }

    private synchronized RunView register(String runId) {
        RunView existing = runs.get(runId);
        if (existing != null) {
            return existing;
        }
        if (runs.size() >= maxRuns) {
            runs.values().stream().min(Comparator.comparingLong(v -> v.lastSeenMillis))
                    .ifPresent(oldest -> evicted(oldest.runId));
        }
        RunView view = new RunView(runId);
        runs.put(runId, view);
        Tags tags = Tags.of("run", runId);
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("monitor.run.loss", view, RunView::loss).tags(tags).strongReference(true).register(registry));
        meters.add(Gauge.builder("monitor.run.accuracy", view, RunView::accuracy).tags(tags).strongReference(true).register(registry));
        meters.add(Gauge.builder("monitor.run.learning.rate", view, RunView::learningRate).tags(tags).strongReference(true).register(registry));
        meters.add(Gauge.builder("monitor.run.validation.loss", view, RunView::validationLoss).tags(tags).strongReference(true).register(registry));
        meters.add(Gauge.builder("monitor.run.validation.accuracy", view, RunView::validationAccuracy).tags(tags).strongReference(true).register(registry));
        runMeters.put(runId, meters);
        return view;
    }

    private void registerLayers(RunView view) {
        List<Meter> meters = runMeters.get(view.runId);
        if (meters == null) {
            return;
        }
        synchronized (view.layerGradientNorms) {
            if (meters.size() >= 5 + view.layerGradientNorms.size() + view.layerUpdateRatios.size()) {
                return;
            }
            registerLayerGauges("monitor.run.layer.gradient.norm", view.runId, view.layerGradientNorms, meters);
            registerLayerGauges("monitor.run.layer.update.ratio", view.runId, view.layerUpdateRatios, meters);
        }
    }

    private void registerLayerGauges(String name, String runId, Map<String, double[]> layers, List<Meter> meters) {
        for (Map.Entry<String, double[]> e : layers.entrySet()) {
            Gauge g = Gauge.builder(name, e.getValue(), h -> h[0])
                    .tags("run", runId, "layer", e.getKey()).strongReference(true).register(registry);
            if (!meters.contains(g)) {
                meters.add(g);
            }
        }
    }

    /** The runs seen, most recent first. */
    public List<RunView> runs() {
        return runs.values().stream().sorted(Comparator.comparingLong((RunView v) -> v.lastSeenMillis).reversed())
                .toList();
    }

    public RunView run(String runId) {
        return runs.get(runId);
    }

    /** Alerts kept in memory, oldest first, optionally of one run and at or after a time. */
    public List<Alert> alerts(String runId, Instant since) {
        synchronized (alerts) {
            return alerts.stream()
                    .filter(a -> runId == null || a.runId().equals(runId))
                    .filter(a -> since == null || !a.timestamp().isBefore(since))
                    .toList();
        }
    }

    /** New alerts as they come. */
    public io.smallrye.mutiny.Multi<Alert> alertStream() {
        return stream;
    }
}
