package io.trainwatch.events;

import com.fasterxml.jackson.databind.JsonNode;

/** What the contract's reader makes of single JSON values: numbers (NaN and infinities as strings too) and messages. */
final class JsonValues {

    private JsonValues() {
    }

    /** The value of a number node or of the strings NaN, Infinity, -Infinity; null for anything else. */
    static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            return switch (v.textValue()) {
                case "NaN" -> Double.NaN;
                case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> null;
            };
        }
        return null;
    }

    /** A short description of a JSON value for messages: its kind and, for scalars, a clipped value. */
    static String kind(JsonNode v) {
        if (v == null || v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "the string '" + clip(v.textValue()) + "'";
        }
        if (v.isBoolean()) {
            return "the boolean " + v.booleanValue();
        }
        if (v.isNumber()) {
            return "the number " + clip(v.asText());
        }
        if (v.isArray()) {
            return "an array";
        }
        if (v.isObject()) {
            return "an object";
        }
        return v.getNodeType().name().toLowerCase();
    }

    static String clip(String s) {
        String oneLine = s.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() > 40 ? oneLine.substring(0, 40) + "..." : oneLine;
    }
}
