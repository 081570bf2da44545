package io.trainwatch.events;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Invariants shared by the records of the contract, and its version and limits. */
public final class Contract {

    /** The schema version this code writes and the newest it reads. */
    public static final int SCHEMA_VERSION = 1;
    /** The largest message accepted, in bytes. */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** The longest run id, study id or trial id accepted. */
    public static final int MAX_ID_LENGTH = 200;

    private Contract() {
    }

    static void requireRunId(String runId) {
        requireId("runId", runId);
    }

    static void requireId(String field, String id) {
        requireText(field, id);
        if (id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(field + " is longer than " + MAX_ID_LENGTH + " characters");
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw new IllegalArgumentException(field + " contains a control character");
            }
        }
    }

    static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
    }

    static void requireTimestamp(Instant timestamp) {
        if (timestamp == null) {
            throw new IllegalArgumentException("timestamp is required");
        }
    }

    static void requireNonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, was " + value);
        }
    }

    static void requireOneOf(String field, String value, Set<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw new IllegalArgumentException(field + " must be one of " + new java.util.TreeSet<>(allowed)
                    + ", was " + (value == null ? "missing" : "'" + value + "'"));
        }
    }

    /** An unmodifiable copy that keeps the iteration order (layers go from input to output). */
    static <V> Map<String, V> orderedCopy(Map<String, V> map) {
        if (map == null) {
            return null;
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
