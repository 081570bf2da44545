package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;

import java.util.Locale;
import java.util.Optional;

/** Alert severities in increasing order, for "at least this severe" routing. */
public enum Severity {
    INFO(Alert.INFO), WARNING(Alert.WARNING), CRITICAL(Alert.CRITICAL);

    private final String id;

    Severity(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<Severity> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Severity s : values()) {
            if (s.id.equals(n)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The severity of an alert; an unknown one (a newer contract) counts as the most severe, never lost. */
    public static Severity of(Alert alert) {
        return parse(alert.severity()).orElse(CRITICAL);
    }
}
