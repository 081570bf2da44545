package io.trainwatch.events;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The detectors of the contract, defined once. {@link #id()} is the name that appears in events
 * ({@code Alert.detector}, dashboards, chat); {@link #code()} is a stable number for compact binary
 * state. Neither may change for an existing detector: add new ones with new ids and new codes, and
 * never key stored state by {@link #ordinal()}.
 */
public enum DetectorName {
    VANISHING_GRADIENTS("vanishing-gradients", 1),
    EXPLODING_GRADIENTS("exploding-gradients", 2),
    DIVERGENCE("divergence", 3),
    PLATEAU("plateau", 4),
    LR_DECAYED_TOO_EARLY("lr-decayed-too-early", 5),
    OVERFITTING("overfitting", 6),
    UNDERFITTING("underfitting", 7),
    BAD_INITIALIZATION("bad-initialization", 8);

    private static final DetectorName[] BY_CODE = new DetectorName[256];

    static {
        for (DetectorName d : values()) {
            if (BY_CODE[d.code] != null) {
                throw new ExceptionInInitializerError("two detectors share code " + d.code);
            }
            BY_CODE[d.code] = d;
        }
    }

    private final String id;
    private final int code;

    DetectorName(String id, int code) {
        this.id = id;
        this.code = code;
    }

    /** The name in events, e.g. {@code vanishing-gradients}. */
    public String id() {
        return id;
    }

    /** A stable number in 1..255 for binary state; never reused. */
    public int code() {
        return code;
    }

    /** The detector an event names, if the contract knows it (events may name detectors added later). */
    public static Optional<DetectorName> fromId(String id) {
        if (id == null) {
            return Optional.empty();
        }
        for (DetectorName d : values()) {
            if (d.id.equals(id)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The detector with a stable code, if any. */
    public static Optional<DetectorName> fromCode(int code) {
        return code > 0 && code < BY_CODE.length ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }

    /** Every id, in declaration order. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(DetectorName::id).toList();
    }

    @Override
    public String toString() {
        return id;
    }
}
