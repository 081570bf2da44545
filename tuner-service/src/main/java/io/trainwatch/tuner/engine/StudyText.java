package io.trainwatch.tuner.engine;

import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.study.ParamSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The sentences of the study decisions about ranges and points. */
final class StudyText {

    private StudyText() {
    }

    /** Each range of a space, e.g. {@code learningRate log-uniform [1e-4, 1e-1], width {16, 32}}. */
    static String describe(Map<String, ParamSpec> space) {
        StringBuilder b = new StringBuilder();
        space.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(Ranges.describe(v)));
        return b.toString();
    }

    /** The ranges that changed between two spaces, before -> after. */
    static String changes(Map<String, ParamSpec> before, Map<String, ParamSpec> after) {
        List<String> out = new ArrayList<>();
        after.forEach((k, v) -> {
            if (!v.equals(before.get(k))) {
                out.add(k + " " + Ranges.describe(before.get(k)) + " -> " + Ranges.describe(v));
            }
        });
        return out.isEmpty() ? "no range changed" : String.join(", ", out);
    }

    /** The values of point {@code b} that differ from point {@code a}. */
    static String diff(Map<String, Object> a, Map<String, Object> b) {
        List<String> out = new ArrayList<>();
        b.forEach((k, v) -> {
            if (!v.equals(a.get(k))) {
                out.add(k + "=" + (v instanceof Double d ? Ranges.fmt(d) : v));
            }
        });
        return out.isEmpty() ? "the same point" : String.join(", ", out);
    }
}
