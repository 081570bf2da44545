package io.trainwatch.events;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of reading one message: the value (perhaps with warnings about optional fields that were
 * dropped because they were malformed), or the precise reason it was rejected. Never both.
 */
public record ReadResult<T>(T value, String error, List<String> warnings) {

    public ReadResult {
        if ((value == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of value and error");
        }
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    public static <T> ReadResult<T> ok(T value, List<String> warnings) {
        return new ReadResult<>(value, null, warnings);
    }

    public static <T> ReadResult<T> rejected(String error) {
        return new ReadResult<>(null, error, List.of());
    }

    public boolean isValid() {
        return value != null;
    }

    public Optional<T> asOptional() {
        return Optional.ofNullable(value);
    }
}
