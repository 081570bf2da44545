package io.trainwatch.tuner.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.trainwatch.events.RunControl;
import io.trainwatch.tuner.engine.Effects;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.kafka.TunerListener;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer metrics of the tuner: {@code tuner.studies{status}}, {@code tuner.trials{status}},
 * {@code tuner.study.best{study}}, {@code tuner.study.steps{study}}, {@code tuner.decisions{policy,action}},
 * {@code tuner.commands{type}} (applied commands, retries included), {@code tuner.suggestions{type}},
 * {@code tuner.runs{mode,status}} (steered runs outside the studies), {@code tuner.trials.published{origin}} and
 * {@code tuner.records.rejected{topic}}. Gauges read counts taken after each change, never the engine.
 */
@ApplicationScoped
public class TunerMetrics implements TunerListener {

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> studies = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> trials = new ConcurrentHashMap<>();
    private final Map<String, double[]> best = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> steps = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> runs = new ConcurrentHashMap<>();

    public TunerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String s : StudyState.STATUSES) {
            AtomicLong n = new AtomicLong();
            studies.put(s, n);
            Gauge.builder("tuner.studies", n, AtomicLong::get).tag("status", s)
                    .description("Studies by status").register(registry);
        }
        for (String s : TrialStatus.ids()) {
            AtomicLong n = new AtomicLong();
            trials.put(s, n);
            Gauge.builder("tuner.trials", n, AtomicLong::get).tag("status", s)
                    .description("Trials of the studies in memory, by status").register(registry);
        }
        for (String mode : List.of(RunControl.AUTO, RunControl.SUGGEST)) {
            for (String s : TrialStatus.ids()) {
                if (TrialStatus.QUEUED.id().equals(s)) {
                    continue;
                }
                AtomicLong n = new AtomicLong();
                runs.put(mode + "/" + s, n);
                Gauge.builder("tuner.runs", n, AtomicLong::get).tags("mode", mode, "status", s)
                        .description("Steered runs outside the studies in memory, by control mode and status")
                        .register(registry);
            }
        }
    }

    @Override
    public void published(Effects effects, StudyEngine engine) {
        for (Decision d : effects.decisions()) {
            Counter.builder("tuner.decisions").tags(Tags.of("policy", d.policy(), "action", d.action()))
                    .description("Decisions taken, by policy and action").register(registry).increment();
        }
        effects.commands().forEach(c -> {
            if (c.isSuggestion()) {
                Counter.builder("tuner.suggestions").tag("type", c.type())
                        .description("Suggestions published to runs that declared control suggest").register(registry)
                        .increment();
            } else {
                Counter.builder("tuner.commands").tag("type", c.type())
                        .description("Commands sent to trainers, retries included").register(registry).increment();
            }
        });
        effects.trials().forEach(t -> Counter.builder("tuner.trials.published").tag("origin", t.origin())
                .description("Trials published to tuner.trials").register(registry).increment());
        refresh(engine);
    }

    @Override
    public void rejected(String topic, String reason) {
        Counter.builder("tuner.records.rejected").tag("topic", topic)
                .description("Records that could not be read").register(registry).increment();
    }

    /** Recounts studies and trials and updates the per-study gauges. */
    public void refresh(StudyEngine engine) {
        Map<String, Long> s = new java.util.HashMap<>();
        Map<String, Long> t = new java.util.HashMap<>();
        for (StudyState st : engine.studies()) {
            s.merge(st.status, 1L, Long::sum);
            for (TrialState tr : st.trials) {
                t.merge(tr.status.id(), 1L, Long::sum);
            }
            double value = st.bestTrial().map(x -> x.best).orElse(Double.NaN);
            best.computeIfAbsent(st.id, id -> {
                double[] holder = {Double.NaN};
                Gauge.builder("tuner.study.best", holder, h -> h[0]).tag("study", id)
                        .description("Best objective value of a study").register(registry);
                return holder;
            })[0] = value;
            steps.computeIfAbsent(st.id, id -> {
                AtomicLong holder = new AtomicLong();
                Gauge.builder("tuner.study.steps", holder, AtomicLong::get).tag("study", id)
                        .description("Training steps spent by a study's trials").register(registry);
                return holder;
            }).set(st.stepsTrained());
        }
        java.util.Set<String> known = new java.util.HashSet<>();
        engine.studies().forEach(st -> known.add(st.id));
        for (String id : java.util.List.copyOf(best.keySet())) {
            if (!known.contains(id)) {
                best.remove(id);
                steps.remove(id);
                registry.find("tuner.study.best").tag("study", id).meters().forEach(registry::remove);
                registry.find("tuner.study.steps").tag("study", id).meters().forEach(registry::remove);
            }
        }
        Map<String, Long> r = new java.util.HashMap<>();
        for (SteeredRun run : engine.runs().runs()) {
            r.merge(run.control.mode() + "/" + run.state.status.id(), 1L, Long::sum);
        }
        runs.forEach((k, v) -> v.set(r.getOrDefault(k, 0L)));
        studies.forEach((k, v) -> v.set(s.getOrDefault(k, 0L)));
        trials.forEach((k, v) -> v.set(t.getOrDefault(k, 0L)));
    }
}
