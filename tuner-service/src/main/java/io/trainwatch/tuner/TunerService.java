package io.trainwatch.tuner;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.kafka.TunerRuntime;
import io.trainwatch.tuner.metrics.TunerMetrics;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/** The tuner of this process: one {@link TunerRuntime} over the configured broker, started with the app. */
@ApplicationScoped
public class TunerService {

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final TunerRuntime runtime;
    private final Clock clock;

    public TunerService(KafkaClients kafka, TopicInitializer topics, TunerConfig config, TunerMetrics metrics,
                        MeterRegistry registry, Clock clock) {
        this.clock = clock;
        StudyEngine engine = new StudyEngine(new AlertPolicy(config.policySettings()), config.engineSettings(),
                config.steerSettings(), clock);
        this.runtime = new TunerRuntime(kafka.producer("tuner"), kafka.consumer(config.consumerGroup(), "tuner"),
                topics, new TunerRuntime.Settings(config.studiesTopic(), config.consumerGroup(),
                config.pollTimeout(), config.sendTimeout(), config.retryBackoff()), engine, metrics, registry);
    }

    void onStart(@Observes StartupEvent event) {
        runtime.start();
        Log.infof("Tuner started; studies live in the compacted topic");
    }

    void onStop(@Observes ShutdownEvent event) {
        runtime.close();
    }

    public boolean isReady() {
        return runtime.isReady();
    }

    /** Starts a study under the requested id, or a new one made of its name and the time. */
    public StudyState create(String requestedId, StudySpec spec) {
        String id = requestedId != null ? requestedId : newId(spec.name());
        return runtime.create(id, spec);
    }

    public StudyState stop(String id, String reason) {
        return runtime.stop(id, reason);
    }

    public <T> T read(Function<StudyEngine, T> reader) {
        return runtime.read(reader);
    }

    private String newId(String name) {
        String slug = name == null ? "study" : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
                .replaceAll("(^-+|-+$)", "");
        if (slug.isEmpty()) {
            slug = "study";
        }
        if (slug.length() > 40) {
            slug = slug.substring(0, 40);
        }
        return slug + "-" + ID_TIME.format(clock.instant()) + "-"
                + Integer.toHexString(0x1000 + ThreadLocalRandom.current().nextInt(0xF000));
    }
}
