package io.trainwatch.tuner;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tuner's settings under {@code trainwatch.tuner.*}, and the former {@code tuner.*} names with a warning (the
 * mapping as Quarkus builds it, with Quarkus' duration format, without booting Quarkus).
 */
class LegacyTunerKeysTest {

    private final List<String> warnings = new ArrayList<>();

    private TunerConfig config(Map<String, String> low, Map<String, String> high) {
        SmallRyeConfig c = new SmallRyeConfigBuilder()
                .withInterceptors(new LegacyTunerKeys(warnings::add))
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(TunerConfig.class)
                .withSources(new PropertiesConfigSource(low, "application.properties", 250))
                .withSources(new PropertiesConfigSource(high, "environment", 300))
                .build();
        return c.getConfigMapping(TunerConfig.class);
    }

    @Test
    void theNewNamesAreReadAndNoWarningIsLogged() {
        TunerConfig c = config(Map.of("trainwatch.tuner.plateau.factor", "0.5",
                "trainwatch.tuner.command.confirm-timeout", "7s"), Map.of());
        assertThat(c.plateau().factor()).isEqualTo(0.5);
        assertThat(c.command().confirmTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.studiesTopic()).isEqualTo("tuner.studies");
        assertThat(warnings).isEmpty();
    }

    @Test
    void anOldNameStillWorksWithAWarningNamingTheOldAndTheNewKey() {
        TunerConfig c = config(Map.of("tuner.plateau.factor", "0.3", "tuner.steer.max-runs", "12"), Map.of());
        assertThat(c.plateau().factor()).isEqualTo(0.3);
        assertThat(c.steer().maxRuns()).isEqualTo(12);
        assertThat(c.plateau().cooldownSteps()).as("unset: the default").isEqualTo(50);
        assertThat(warnings).hasSize(2).anySatisfy(w -> assertThat(w)
                .contains("'tuner.plateau.factor' is deprecated").contains("'trainwatch.tuner.plateau.factor'")
                .contains("TRAINWATCH_TUNER_PLATEAU_FACTOR").contains("TUNER_PLATEAU_FACTOR"));
    }

    @Test
    void anOldNameInAHigherSourceWinsOverTheNewNameInALowerOneButNotInTheSameOne() {
        TunerConfig c = config(Map.of("trainwatch.tuner.studies-topic", "tuner.studies",
                "trainwatch.tuner.max-studies", "9", "tuner.max-studies", "8"), Map.of("tuner.studies-topic", "mine"));
        assertThat(c.studiesTopic()).isEqualTo("mine");
        assertThat(c.maxStudies()).isEqualTo(9);
        assertThat(warnings).singleElement().asString().contains("'tuner.studies-topic'");
    }
}
