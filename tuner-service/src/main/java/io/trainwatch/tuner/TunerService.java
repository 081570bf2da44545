package io.trainwatch.tuner;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.TopicInitializer;
import io.trainwatch.tuner.engine.StudyEngine;
import io.trainwatch.tuner.kafka.LeaderElector;
import io.trainwatch.tuner.kafka.Leadership;
import io.trainwatch.tuner.kafka.TunerRuntime;
import io.trainwatch.tuner.metrics.TunerMetrics;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.net.InetAddress;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The tuner of this process: one instance among those of its consumer group, active or standby
 * ({@link Leadership}, elected by {@link LeaderElector}). While active it runs a {@link TunerRuntime} over a fresh
 * {@link StudyEngine} that reloads the studies from the compacted topic; on losing the election that runtime stops
 * and its state is dropped. A standby answers every study and run request with {@link TunerRuntime.NotReadyException}
 * (HTTP 503) naming its role and the active instance. Alone, an instance is active as soon as it has joined.
 */
@ApplicationScoped
public class TunerService {

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final Clock clock;
    private final Leadership<TunerRuntime> leadership;
    private final LeaderElector elector;

    public TunerService(KafkaClients kafka, TopicInitializer topics, TunerConfig config, TunerMetrics metrics,
                        MeterRegistry registry, Clock clock,
                        @ConfigProperty(name = "quarkus.http.port", defaultValue = "8083") int httpPort) {
        this.clock = clock;
        String instance = config.instanceId().orElseGet(() -> hostName() + ":" + httpPort);
        LeaderElector.Settings election = LeaderElector.Settings.of(config.consumerGroup(), instance,
                config.sessionTimeout());
        TunerRuntime.Settings settings = new TunerRuntime.Settings(config.studiesTopic(), config.consumerGroup(),
                config.pollTimeout(), config.sendTimeout(), config.retryBackoff(), config.sessionTimeout());
        Supplier<TunerRuntime> terms = () -> {
            // the consumer loop's lag gauge of an earlier term would stay bound to that term's counter
            registry.find("trainwatch.consumer.lag").tag("loop", "tuner-loop").meters().forEach(registry::remove);
            return new TunerRuntime(kafka.producer("tuner"), kafka.consumer(config.consumerGroup(), "tuner"), topics,
                    settings, engine(config, clock), metrics, registry).onFenced(this::fenced).start();
        };
        this.leadership = new Leadership<>(instance, terms, election.silenceLimit(), s -> {
            if (s.role() != Leadership.Role.ACTIVE) {
                metrics.refresh(engine(config, clock)); // a standby holds no studies
            }
        }, clock);
        this.elector = new LeaderElector(kafka.consumer(null, "tuner-leader"), kafka.admin("tuner-leader"), topics,
                election, leadership);
        Gauge.builder("tuner.leader", leadership, l -> l.role() == Leadership.Role.ACTIVE ? 1 : 0)
                .description("1 while this tuner instance is the active one, 0 while it stands by").register(registry);
    }

    private static StudyEngine engine(TunerConfig config, Clock clock) {
        return new StudyEngine(new AlertPolicy(config.policySettings()), config.engineSettings(),
                config.steerSettings(), clock);
    }

    private void fenced() {
        leadership.fenced();
    }

    void onStart(@Observes StartupEvent event) {
        elector.start();
        Log.infof("Tuner started; joining the election of %s (studies live in the compacted topic)",
                leadership.status().instance());
    }

    void onStop(@Observes ShutdownEvent event) {
        elector.close();
    }

    /** The role of this instance, with the active one when known. */
    public Leadership.Status status() {
        return leadership.status();
    }

    /** Whether this instance is the active one and has reloaded its studies. */
    public boolean isReady() {
        return leadership.term().map(TunerRuntime::isReady).orElse(false);
    }

    private TunerRuntime active() {
        return leadership.term().orElseThrow(() -> new TunerRuntime.NotReadyException(notActive(leadership.status())));
    }

    /** What a standby answers: its role, and where the active one is. */
    static String notActive(Leadership.Status s) {
        return "this tuner instance (" + s.instance() + ") is " + (s.role() == Leadership.Role.ELECTING
                ? "joining the election" : "the " + s.role().id()) + (s.active() != null
                ? "; the active one is " + s.active() : "; no active instance is known yet")
                + ": send requests to the active tuner";
    }

    /** Starts a study under the requested id, or a new one made of its name and the time. */
    public StudyState create(String requestedId, StudySpec spec) {
        String id = requestedId != null ? requestedId : newId(spec.name());
        return active().create(id, spec);
    }

    public StudyState stop(String id, String reason) {
        return active().stop(id, reason);
    }

    public <T> T read(Function<StudyEngine, T> reader) {
        return active().read(reader);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "tuner-" + ProcessHandle.current().pid();
        }
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
