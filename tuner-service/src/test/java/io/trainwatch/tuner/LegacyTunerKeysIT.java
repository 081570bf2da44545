package io.trainwatch.tuner;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.trainwatch.kafka.KafkaTestResource;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The booted service (not only the mapping in {@link LegacyTunerKeysTest}) still reads settings given under the
 * former {@code tuner.*} names: Quarkus finds {@link LegacyTunerKeys} through its service file.
 */
@QuarkusTest
@TestProfile(LegacyTunerKeysIT.OldNames.class)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
class LegacyTunerKeysIT {

    /** Two settings under their former names only. */
    public static class OldNames implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tuner.max-studies", "7", "tuner.steer.max-runs", "11");
        }
    }

    @Inject
    TunerConfig config;

    @Test
    void settingsUnderTheFormerNamesReachTheService() {
        assertThat(config.maxStudies()).isEqualTo(7);
        assertThat(config.steerSettings().maxRuns()).isEqualTo(11);
        assertThat(config.studiesTopic()).as("the new name in application.properties").isEqualTo("tuner.studies");
    }
}
