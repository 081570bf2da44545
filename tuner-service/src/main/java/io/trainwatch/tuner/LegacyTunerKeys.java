package io.trainwatch.tuner;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps the tuner's former setting names working: the tuner's settings are {@code trainwatch.tuner.*} (as
 * {@code trainwatch.monitor.*}, {@code trainwatch.trainer.*}), and were {@code tuner.*} ({@code TUNER_*} in the
 * environment). A {@code trainwatch.tuner.x} that is not set, or set in a lower-priority source than
 * {@code tuner.x} (e.g. only the default, or application.properties against an environment variable), takes
 * {@code tuner.x}'s value, with one warning per key naming the old and the new name. Registered through
 * {@code META-INF/services/io.smallrye.config.ConfigSourceInterceptor}.
 */
@Priority(Priorities.LIBRARY + 500)
public final class LegacyTunerKeys implements ConfigSourceInterceptor {

    static final String PREFIX = "trainwatch.tuner.";
    static final String OLD_PREFIX = "tuner.";

    private static final Logger LOG = Logger.getLogger(LegacyTunerKeys.class);

    private final Consumer<String> warn;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    public LegacyTunerKeys() {
        this(LOG::warn);
    }

    LegacyTunerKeys(Consumer<String> warn) {
        this.warn = warn;
    }

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!name.startsWith(PREFIX)) {
            return value;
        }
        String old = OLD_PREFIX + name.substring(PREFIX.length());
        ConfigValue legacy = context.proceed(old);
        if (legacy == null || legacy.getValue() == null
                || value != null && value.getConfigSourceOrdinal() >= legacy.getConfigSourceOrdinal()) {
            return value;
        }
        if (warned.add(old)) {
            warn.accept("setting '" + old + "' is deprecated: use '" + name + "' (environment: "
                    + env(name) + " instead of " + env(old) + ")");
        }
        return legacy.withName(name);
    }

    private static String env(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
