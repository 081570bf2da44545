package io.trainwatch.tuner.health;

import io.trainwatch.tuner.TunerService;
import io.trainwatch.tuner.kafka.Leadership;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/** Always UP (a standby is alive); shows the role in {@code GET /q/health} and {@code /q/health/live}. */
@Liveness
@ApplicationScoped
public class TunerRoleLiveness implements HealthCheck {

    private final TunerService tuner;

    public TunerRoleLiveness(TunerService tuner) {
        this.tuner = tuner;
    }

    @Override
    public HealthCheckResponse call() {
        return describe(tuner.status()).up().build();
    }

    /** {@code tuner-role} with the role, this instance, the active one (when known), why and since when. */
    static HealthCheckResponseBuilder describe(Leadership.Status s) {
        var r = HealthCheckResponse.named("tuner-role").withData("role", s.role().id())
                .withData("instance", s.instance()).withData("reason", s.reason())
                .withData("since", s.since().toString());
        return s.active() == null ? r : r.withData("active", s.active());
    }
}
