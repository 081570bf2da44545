package io.trainwatch.trainer.config;

import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainerSettingsTest {

    private static TrainerSettings settings(Map<String, String> properties) {
        // default interceptors: the expressions in values and defaults are expanded, as in Quarkus
        SmallRyeConfig config = new SmallRyeConfigBuilder().addDefaultInterceptors()
                .withMapping(TrainerSettings.class)
                .withSources(new io.smallrye.config.PropertiesConfigSource(properties, "test", 100))
                .build();
        return config.getConfigMapping(TrainerSettings.class);
    }

    @Test
    void theTrialConcurrencyFollowsTheConcurrentRunsByDefault() {
        assertThat(settings(Map.of()).maxConcurrentRuns()).isEqualTo(2);
        assertThat(settings(Map.of()).trialConcurrency()).as("a study's concurrentTrials 2 runs two at once")
                .isEqualTo(2);
        assertThat(settings(Map.of("trainwatch.trainer.max-concurrent-runs", "4")).trialConcurrency()).isEqualTo(4);
        assertThat(settings(Map.of("trainwatch.trainer.max-concurrent-runs", "4",
                "trainwatch.trainer.trial-concurrency", "1")).trialConcurrency()).as("an explicit setting wins")
                .isEqualTo(1);
    }
}
