package io.trainwatch.monitor.support;

import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import io.trainwatch.monitor.config.MonitorConfig;

import java.util.Map;

/** The monitor's typed settings in plain unit tests: the documented defaults, optionally overridden. */
public final class TestConfig {

    private TestConfig() {
    }

    public static MonitorConfig defaults() {
        return with(Map.of());
    }

    public static MonitorConfig with(Map<String, String> overrides) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(MonitorConfig.class)
                .withSources(new MapBackedConfigSource("test", overrides, 500) {
                })
                .build();
        return config.getConfigMapping(MonitorConfig.class);
    }
}
