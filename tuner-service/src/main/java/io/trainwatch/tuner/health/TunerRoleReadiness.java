package io.trainwatch.tuner.health;

import io.trainwatch.tuner.TunerService;
import io.trainwatch.tuner.kafka.Leadership;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only on the active tuner instance once it has reloaded its studies, so that a load balancer sends requests
 * there; a standby is DOWN with {@code role: standby} and the active instance when known (its liveness stays UP:
 * {@link TunerRoleLiveness}). Beside service-common's broker check.
 */
@Readiness
@ApplicationScoped
public class TunerRoleReadiness implements HealthCheck {

    private final TunerService tuner;

    public TunerRoleReadiness(TunerService tuner) {
        this.tuner = tuner;
    }

    @Override
    public HealthCheckResponse call() {
        Leadership.Status s = tuner.status();
        var r = TunerRoleLiveness.describe(s);
        if (s.role() != Leadership.Role.ACTIVE) {
            return r.down().build();
        }
        return tuner.isReady() ? r.up().build() : r.down().withData("studies", "loading").build();
    }
}
