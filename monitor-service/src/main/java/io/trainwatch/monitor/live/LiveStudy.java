package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study's leaderboard for the live page, read from its document on {@code tuner.studies} (schema
 * {@code study-state.schema.json}; fields as the tuner's {@code StudyState} writes them): name, status,
 * objective, the best {@code maxTrials} trials, and the learning-rate range test of its preflight when it
 * has one ({@code preflight.lrRangeTest.points} = [[rate, smoothedLoss], ...], {@code .range} = [lo, hi]).
 * Read tolerantly: a missing or mistyped field is left out, never an error.
 *
 * @param id             the study id
 * @param receivedMillis when the feed read this document (the least recent study is dropped first)
 * @param json           what {@code GET /live/studies} shows
 */
record LiveStudy(String id, long receivedMillis, Map<String, Object> json) {

    /** Range-test points kept (evenly thinned beyond). */
    static final int MAX_RANGE_POINTS = 500;

    static LiveStudy from(JsonNode doc, int maxTrials, long nowMillis) {
        if (doc == null || !doc.isObject() || !doc.path("id").isTextual() || doc.path("id").asText().isBlank()) {
            return null;
        }
        String id = doc.path("id").asText();
        JsonNode spec = doc.path("spec");
        String objective = text(spec.path("objective"));
        boolean maximise = objective == null || !objective.contains("loss");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("studyId", id);
        put(m, "name", text(spec.path("name")));
        put(m, "status", text(doc.path("status")));
        put(m, "stopReason", text(doc.path("stopReason")));
        put(m, "objective", objective);
        put(m, "createdAt", text(doc.path("createdAt")));
        put(m, "updatedAt", text(doc.path("updatedAt")));
        put(m, "finishedAt", text(doc.path("finishedAt")));
        m.put("rounds", doc.path("rounds").isArray() ? doc.path("rounds").size() : 0);

        List<Map<String, Object>> trials = new ArrayList<>();
        JsonNode ts = doc.path("trials");
        if (ts.isArray()) {
            for (JsonNode t : ts) {
                if (!t.isObject()) {
                    continue;
                }
                Map<String, Object> row = new LinkedHashMap<>();
                put(row, "trialId", text(t.path("trialId")));
                put(row, "runId", text(t.path("runId")));
                put(row, "status", text(t.path("status")));
                put(row, "origin", text(t.path("origin")));
                put(row, "remedyOf", text(t.path("remedyOf")));
                put(row, "round", number(t.path("round")));
                put(row, "best", number(t.path("best")));
                put(row, "bestStep", number(t.path("bestStep")));
                put(row, "lastStep", number(t.path("lastStep")));
                put(row, "learningRate", number(t.path("learningRate")));
                put(row, "decays", number(t.path("decays")));
                put(row, "stopReason", clip(text(t.path("stopReason"))));
                put(row, "stopDetector", text(t.path("stopDetector")));
                put(row, "finishStatus", text(t.path("finishStatus")));
                if (t.path("params").isObject()) {
                    Map<String, Object> params = new LinkedHashMap<>();
                    Iterator<Map.Entry<String, JsonNode>> it = t.path("params").fields();
                    while (it.hasNext() && params.size() < 16) {
                        Map.Entry<String, JsonNode> e = it.next();
                        JsonNode v = e.getValue();
                        params.put(e.getKey(), v.isNumber() ? (Object) v.doubleValue() : clip(v.isTextual() ? v.asText() : v.toString()));
                    }
                    row.put("params", params);
                }
                trials.add(row);
            }
        }
        m.put("trialCount", trials.size());
        Comparator<Map<String, Object>> byBest = Comparator.comparing(
                (Map<String, Object> r) -> r.get("best") instanceof Double d && Double.isFinite(d) ? d : null,
                Comparator.nullsLast(maximise ? Comparator.<Double>reverseOrder() : Comparator.<Double>naturalOrder()));
        trials.sort(byBest);
        for (int i = 0; i < trials.size(); i++) {
            trials.get(i).put("rank", i + 1);
        }
        m.put("trials", trials.size() > maxTrials ? List.copyOf(trials.subList(0, maxTrials)) : trials);

        JsonNode preflight = doc.path("preflight");
        if (preflight.isObject()) {
            m.put("preflight", preflight(preflight));
        }
        return new LiveStudy(id, nowMillis, m);
    }

    /** The preflight's outcome: the range test's points (thinned) and range, the other steps' scalar figures. */
    private static Map<String, Object> preflight(JsonNode preflight) {
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = preflight.fields();
        while (it.hasNext() && out.size() < 16) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("lrRangeTest")) {
                continue;
            }
            if (e.getValue().isValueNode()) {
                out.put(e.getKey(), scalar(e.getValue()));
            } else if (e.getValue().isObject()) {
                Map<String, Object> step = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> f = e.getValue().fields();
                while (f.hasNext() && step.size() < 16) {
                    Map.Entry<String, JsonNode> g = f.next();
                    if (g.getValue().isValueNode()) {
                        step.put(g.getKey(), scalar(g.getValue()));
                    }
                }
                out.put(e.getKey(), step);
            }
        }
        JsonNode lr = preflight.path("lrRangeTest");
        if (lr.isObject()) {
            Map<String, Object> test = new LinkedHashMap<>();
            List<double[]> points = new ArrayList<>();
            if (lr.path("points").isArray()) {
                for (JsonNode p : lr.path("points")) {
                    Double rate = p.isArray() && p.size() >= 2 ? number(p.get(0)) : null;
                    Double loss = rate == null ? null : number(p.get(1));
                    if (rate != null && loss != null && points.size() < 100_000) {
                        points.add(new double[]{rate, loss});
                    }
                }
            }
            if (points.size() > MAX_RANGE_POINTS) {
                List<double[]> thinned = new ArrayList<>(MAX_RANGE_POINTS);
                for (int i = 0; i < MAX_RANGE_POINTS; i++) {
                    thinned.add(points.get((int) ((long) i * (points.size() - 1) / (MAX_RANGE_POINTS - 1))));
                }
                points = thinned;
            }
            test.put("points", points);
            JsonNode range = lr.path("range");
            Double lo = range.isArray() && range.size() == 2 ? number(range.get(0)) : null;
            Double hi = lo == null ? null : number(range.get(1));
            if (lo != null && hi != null) {
                test.put("range", new double[]{lo, hi});
            }
            Iterator<Map.Entry<String, JsonNode>> f = lr.fields();
            while (f.hasNext()) {
                Map.Entry<String, JsonNode> g = f.next();
                if (g.getValue().isValueNode() && test.size() < 16) {
                    test.put(g.getKey(), scalar(g.getValue()));
                }
            }
            out.put("lrRangeTest", test);
        }
        return out;
    }

    private static Object scalar(JsonNode v) {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        return v.isNull() ? null : clip(v.asText());
    }

    private static String text(JsonNode n) {
        return n != null && n.isValueNode() && !n.isNull() ? n.asText() : null;
    }

    /** A number, also from the strings NaN / Infinity / -Infinity the contract writes; null otherwise. */
    private static Double number(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isTextual()) {
            return switch (n.asText()) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> null;
            };
        }
        return null;
    }

    private static String clip(String s) {
        return s == null || s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
