package io.trainwatch.service;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Ready while the broker answers: a background probe asks the cluster for its nodes every
 * {@link #PROBE_INTERVAL} (each ask bounded by {@link #PROBE_TIMEOUT}), and {@code /q/health/ready} answers at once
 * from the last answer, instead of waiting for the broker inside the HTTP request (Quarkus' own Kafka check waits
 * up to the admin client's 60 s {@code default.api.timeout.ms} while the broker is down). A probe that has not
 * answered for {@link #STALE_AFTER} counts as down even if it is still waiting.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {

    static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(1500);
    static final Duration STALE_AFTER = Duration.ofSeconds(6);

    /** Asks the cluster for its nodes; throws when it cannot within its timeout. */
    @FunctionalInterface
    interface Probe {
        Collection<Node> nodes() throws Exception;
    }

    /** The last probe's outcome. */
    record Answer(boolean up, String detail, Instant at) {
    }

    private final KafkaClients clients;
    private final Clock clock;
    private volatile Probe probe;
    private volatile Answer last;
    private ScheduledExecutorService executor;
    private Admin admin;

    @jakarta.inject.Inject
    public BrokerReadiness(KafkaClients clients) {
        this(clients, Clock.systemUTC(), null);
    }

    BrokerReadiness(KafkaClients clients, Clock clock, Probe probe) {
        this.clients = clients;
        this.clock = clock;
        this.probe = probe;
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void start() {
        if (probe == null) {
            admin = Admin.create(clients.admin("readiness-probe"));
            probe = () -> admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) PROBE_TIMEOUT.toMillis()))
                    .nodes().get(PROBE_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "broker-readiness");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::probeOnce, 0, PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One probe, recorded (the background thread calls it; tests call it directly). */
    void probeOnce() {
        Answer previous = last;
        Answer next;
        try {
            Collection<Node> nodes = probe.nodes();
            next = new Answer(nodes != null && !nodes.isEmpty(), nodes == null ? "no nodes" : nodes.stream()
                    .map(n -> n.host() + ":" + n.port()).collect(Collectors.joining(",")), clock.instant());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            next = new Answer(false, cause.getClass().getSimpleName() + ": " + cause.getMessage(), clock.instant());
        }
        last = next;
        if (previous != null && previous.up() != next.up()) {
            if (next.up()) {
                Log.infof("Broker %s reachable again", clients.bootstrapServers());
            } else {
                Log.warnf("Broker %s not reachable: %s", clients.bootstrapServers(), next.detail());
            }
        }
    }

    @Override
    public HealthCheckResponse call() {
        Answer a = last;
        var r = HealthCheckResponse.named("kafka-broker").withData("bootstrapServers", clients.bootstrapServers());
        if (a == null) {
            return r.down().withData("reason", "not checked yet").build();
        }
        Duration age = Duration.between(a.at(), clock.instant());
        if (age.compareTo(STALE_AFTER) > 0) {
            return r.down().withData("reason", "no answer from the broker for " + age.toSeconds() + " s").build();
        }
        return r.status(a.up()).withData(a.up() ? "nodes" : "reason", a.detail()).build();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }
}
