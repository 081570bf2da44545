package io.trainwatch.events;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed access to the fields of one JSON object, with the contract's rules: required fields reject the
 * message with a precise reason; optional metrics that are malformed are dropped with a warning, so that
 * the valid rest of the message is kept.
 *
 * <p>One getter per kind of field, strict or lenient, all sharing the same path, warning and rejection rules: it is
 * kept as one table (about 400 lines) so that those rules are read in one place. What is about single JSON values
 * is {@link JsonValues}'; the fast path for UTC times is {@link UtcInstants}'.
 */
final class Fields {

    /** Why a message was rejected; cheap (no stack trace), since hostile input is expected. */
    static final class Rejected extends Exception {
        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    final ObjectNode node;
    private final String prefix;
    private final List<String> warnings;

    Fields(ObjectNode node, String prefix, List<String> warnings) {
        this.node = node;
        this.prefix = prefix;
        this.warnings = warnings;
    }

    int schemaVersion() throws Rejected {
        JsonNode v = present("schemaVersion");
        if (v == null) {
            throw missing("schemaVersion");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType("schemaVersion", "an integer", v);
        }
        int version = v.intValue();
        if (version < 1) {
            throw new Rejected("field 'schemaVersion' must be >= 1, was " + version);
        }
        if (version > Contract.SCHEMA_VERSION) {
            throw new Rejected("schemaVersion " + version + " is newer than the supported "
                    + Contract.SCHEMA_VERSION);
        }
        return version;
    }

    String requiredText(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            throw missing(name);
        }
        if (!v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        if (v.textValue().isBlank()) {
            throw new Rejected("field '" + path(name) + "' must not be blank");
        }
        return v.textValue();
    }

    String requiredId(String name) throws Rejected {
        return checkId(name, requiredText(name));
    }

    String optionalId(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        return v.textValue().isBlank() ? null : checkId(name, v.textValue());
    }

    private String checkId(String name, String id) throws Rejected {
        if (id.length() > Contract.MAX_ID_LENGTH) {
            throw new Rejected("field '" + path(name) + "' is longer than " + Contract.MAX_ID_LENGTH + " characters");
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw new Rejected("field '" + path(name) + "' contains a control character");
            }
        }
        return id;
    }

    /** Descriptive text: a value of another type is dropped with a warning. */
    String optionalText(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            warn(name, "a string", v);
            return null;
        }
        return v.textValue();
    }

    /** A flag: null when absent; a value of another type is dropped with a warning. */
    Boolean optionalBoolean(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            warn(name, "a boolean", v);
            return null;
        }
        return v.booleanValue();
    }

    String requiredOneOf(String name, Set<String> allowed) throws Rejected {
        String value = requiredText(name);
        if (!allowed.contains(value)) {
            throw new Rejected("field '" + path(name) + "' must be one of " + new TreeSet<>(allowed) + ", was '"
                    + JsonValues.clip(value) + "'");
        }
        return value;
    }

    Instant requiredInstant(String name) throws Rejected {
        Instant t = optionalInstant(name);
        if (t == null) {
            throw missing(name);
        }
        return t;
    }

    /**
     * An ISO-8601 time: with Z or an offset; a time with neither (what Python's {@code isoformat()} gives
     * for a naive datetime) is taken as UTC, with a warning.
     */
    Instant optionalInstant(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(name, "an ISO-8601 string", v);
        }
        String text = v.textValue().trim();
        Instant fast = UtcInstants.parseOrNull(text);
        if (fast != null) {
            return fast;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                Instant t = LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
                warnings.add("field '" + path(name) + "' has no time zone; taken as UTC");
                return t;
            } catch (DateTimeParseException e) {
                throw new Rejected("field '" + path(name) + "' is not an ISO-8601 time: '" + JsonValues.clip(text) + "'");
            }
        }
    }

    /** A count: an integer >= 0. */
    long requiredCount(String name) throws Rejected {
        Long value = optionalCount(name);
        if (value == null) {
            throw missing(name);
        }
        return value;
    }

    Long optionalCount(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        long value = integral(name, v);
        if (value < 0) {
            throw new Rejected("field '" + path(name) + "' must be >= 0, was " + value);
        }
        return value;
    }

    /** A structural integer >= 0 (an epoch): a wrong type rejects the message. */
    int optionalInt(String name, int absent) throws Rejected {
        Long value = optionalCount(name);
        if (value == null) {
            return absent;
        }
        if (value > Integer.MAX_VALUE) {
            throw new Rejected("field '" + path(name) + "' is too large: " + value);
        }
        return value.intValue();
    }

    /** A descriptive integer (a layer width): a malformed value is dropped with a warning. */
    Integer optionalIntOrNull(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 0) {
            return v.intValue();
        }
        if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()) && v.doubleValue() >= 0
                && v.doubleValue() <= Integer.MAX_VALUE) {
            return (int) v.doubleValue();
        }
        warn(name, "an integer >= 0", v);
        return null;
    }

    private long integral(String name, JsonNode v) throws Rejected {
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong()) {
                throw new Rejected("field '" + path(name) + "' is too large: " + JsonValues.clip(v.asText()));
            }
            return v.longValue();
        }
        if (v.isFloatingPointNumber()) {
            double d = v.doubleValue();
            if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
                return (long) d;
            }
        }
        throw wrongType(name, "an integer", v);
    }

    /** A required number; NaN and +/-Infinity are valid values (bare tokens or strings). */
    double requiredNumber(String name) throws Rejected {
        Double d = optionalStrictNumber(name);
        if (d == null) {
            throw missing(name);
        }
        return d;
    }

    /** An optional metric; a malformed one is dropped with a warning. */
    Double optionalNumber(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        Double d = JsonValues.number(v);
        if (d == null) {
            warn(name, "a number", v);
        }
        return d;
    }

    /** An optional accuracy: a finite number in [0, 1]; anything else is dropped with a warning. */
    Double optionalFraction(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        Double d = JsonValues.number(v);
        if (d == null || !(d >= 0 && d <= 1)) {
            warn(name, "a number in [0, 1]", v);
            return null;
        }
        return d;
    }

    /** An object of named numbers (per-layer norms), in order; malformed entries are dropped with a warning. */
    Map<String, Double> numberMap(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            warn(name, "an object of numbers", v);
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Double d = JsonValues.number(e.getValue());
            if (d == null) {
                warnings.add("field '" + path(name) + "." + JsonValues.clip(e.getKey()) + "' must be a number, was "
                        + JsonValues.kind(e.getValue()) + "; dropped");
            } else {
                out.put(e.getKey(), d);
            }
        }
        return out;
    }

    Map<String, Object> requiredMap(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            throw missing(name);
        }
        if (!v.isObject()) {
            throw wrongType(name, "an object", v);
        }
        return EventCodec.MAPPER.convertValue(v, MAP);
    }

    Map<String, Object> optionalMap(String name) {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            warn(name, "an object", v);
            return null;
        }
        return EventCodec.MAPPER.convertValue(v, MAP);
    }

    /** An optional object: null when absent (or JSON null), rejected when of another type. */
    Fields optionalObject(String name) throws Rejected {
        return present(name) == null ? null : requiredObject(name);
    }

    /** An optional number that, when present, must be one (rejected otherwise: not a metric to drop). */
    Double optionalStrictNumber(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        Double d = JsonValues.number(v);
        if (d == null) {
            throw wrongType(name, "a number", v);
        }
        return d;
    }

    /** An optional flag that, when present, must be a boolean (rejected otherwise). */
    Boolean strictBoolean(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw wrongType(name, "a boolean", v);
        }
        return v.booleanValue();
    }

    /** Whether the field is present and not JSON null. */
    boolean has(String name) {
        return present(name) != null;
    }

    Fields requiredObject(String name) throws Rejected {
        JsonNode v = present(name);
        if (v == null) {
            throw missing(name);
        }
        if (!(v instanceof ObjectNode object)) {
            throw wrongType(name, "an object", v);
        }
        return new Fields(object, path(name) + ".", warnings);
    }

    /** A list of objects; elements that are not objects are dropped with a warning. */
    List<Fields> objectList(String name) {
        JsonNode v = present(name);
        List<Fields> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            warn(name, "an array", v);
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (e instanceof ObjectNode object) {
                out.add(new Fields(object, path(name) + "[" + i + "].", warnings));
            } else {
                warnings.add("field '" + path(name) + "[" + i + "]' must be an object, was " + JsonValues.kind(e) + "; dropped");
            }
        }
        return out;
    }

    private JsonNode present(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private String path(String name) {
        return prefix + name;
    }

    private Rejected missing(String name) {
        return new Rejected("missing field '" + path(name) + "'");
    }

    private Rejected wrongType(String name, String expected, JsonNode v) {
        return new Rejected("field '" + path(name) + "' must be " + expected + ", was " + JsonValues.kind(v));
    }

    private void warn(String name, String expected, JsonNode v) {
        warnings.add("field '" + path(name) + "' must be " + expected + ", was " + JsonValues.kind(v) + "; dropped");
    }
}
