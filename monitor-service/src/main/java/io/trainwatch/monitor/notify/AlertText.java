package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Shared wording of chat messages (header, one block per alert, evidence numbers) and the truncation
 * that keeps a message within a platform's limit without splitting a character.
 */
public final class AlertText {

    /** Evidence entries listed per alert; the rest is summarised. */
    static final int MAX_EVIDENCE = 8;
    /** Characters of one free-text field (summary, remedy) before it is cut. */
    static final int MAX_FIELD = 600;
    static final String ELLIPSIS = "…";

    private AlertText() {
    }

    /** How a platform marks up text. */
    public record Markup(String boldOpen, String boldClose, String code, UnaryOperator<String> escape) {

        /** Slack's mrkdwn: *bold*, and &, <, > escaped so that no text can become a link or a mention. */
        public static final Markup SLACK = new Markup("*", "*", "`", AlertText::escapeSlack);
        /** Markdown (Mattermost, Discord): **bold**, and @ defused so that a run name cannot ping @channel. */
        public static final Markup MARKDOWN = new Markup("**", "**", "`", AlertText::defuseMentions);
        /** Plain text (Teams TextBlocks). */
        public static final Markup PLAIN = new Markup("", "", "", s -> s);

        String bold(String s) {
            return boldOpen + s + boldClose;
        }

        String code(String s) {
            return code + escape.apply(s.replace("`", "'")) + code;
        }

        String text(String s) {
            return escape.apply(s);
        }
    }

    /**
     * A tuner's suggestion to a run that takes suggestions only ({@code control.mode suggest}): what the tuner
     * would do and why, said to be not applied; within {@code maxChars}.
     */
    public static String suggestion(TunerCommand c, Markup m, int maxChars) {
        String what = TunerCommand.STOP.equals(c.type()) ? "stop the run"
                : "set the learning rate to " + number(c.learningRate() == null ? Double.NaN : c.learningRate());
        String s = m.bold("[SUGGESTION]") + " run " + m.code(c.runId()) + ": " + m.text(what) + " (" + m.text(c.reason())
                + "). Not applied: the run takes suggestions only.";
        return cut(s, maxChars);
    }

    /** The first line: status with counts, detectors and runs of the group. */
    public static String header(Notification n, Markup m) {
        String icon = n.firing().isEmpty() && n.firedAndResolved().isEmpty() ? "✅" : switch (n.severity()) {
            case CRITICAL -> "🔴";
            case WARNING -> "🟠";
            case INFO -> "🔵";
        };
        StringBuilder status = new StringBuilder();
        if (!n.firing().isEmpty()) {
            status.append("FIRING");
            if (n.size() > 1) {
                status.append(':').append(n.firing().size());
            }
        }
        if (!n.firedAndResolved().isEmpty()) {
            if (!status.isEmpty()) {
                status.append(' ');
            }
            status.append("FIRED AND RESOLVED");
            if (n.size() > 1) {
                status.append(':').append(n.firedAndResolved().size());
            }
        }
        if (!n.resolved().isEmpty()) {
            if (!status.isEmpty()) {
                status.append(' ');
            }
            status.append("RESOLVED");
            if (n.size() > 1) {
                status.append(':').append(n.resolved().size());
            }
        }
        Set<String> detectors = new LinkedHashSet<>();
        Set<String> runs = new LinkedHashSet<>();
        for (Alert a : n.alerts()) {
            detectors.add(a.detector());
            runs.add(a.runId());
        }
        String line = icon + " " + m.bold("[" + status + "] " + m.text(n.severity().id()) + " "
                + m.text(join(detectors, 3))) + " on run " + codeList(runs, 3, m);
        return n.repeat() ? line + " (still firing)" : line;
    }

    /** One alert: status, severity, detector, run (study, trial), step; then summary, evidence, remedy. */
    public static String block(Alert a, Markup m) {
        StringBuilder b = new StringBuilder();
        b.append(m.bold(m.text(a.status()) + " · " + m.text(a.severity()) + " · " + m.text(a.detector())));
        b.append(" · run ").append(m.code(a.runId()));
        if (a.studyId() != null || a.trialId() != null) {
            b.append(" (");
            if (a.studyId() != null) {
                b.append("study ").append(m.code(a.studyId()));
            }
            if (a.trialId() != null) {
                b.append(a.studyId() != null ? ", " : "").append("trial ").append(m.code(a.trialId()));
            }
            b.append(')');
        }
        b.append(" · step ").append(a.step()).append(", epoch ").append(a.epoch());
        b.append('\n').append(m.text(cut(a.summary(), MAX_FIELD)));
        String evidence = evidence(a.evidence());
        if (!evidence.isEmpty()) {
            b.append('\n').append(m.bold("Evidence:")).append(' ').append(m.text(evidence));
        }
        if (a.remedy() != null && !a.remedy().isBlank() && Alert.FIRING.equals(a.status())) {
            b.append('\n').append(m.bold("Remedy:")).append(' ').append(m.text(cut(a.remedy(), MAX_FIELD)));
        }
        return b.toString();
    }

    /**
     * The whole message: the header, then as many alert blocks as fit in {@code maxChars} (at most
     * {@code maxAlerts}), then "…and N more"; never longer than {@code maxChars}.
     */
    public static String message(Notification n, Markup m, int maxChars, int maxAlerts) {
        String header = header(n, m);
        List<Alert> alerts = n.alerts();
        List<String> blocks = new ArrayList<>();
        int length = header.length();
        int shown = 0;
        for (Alert a : alerts) {
            if (shown >= maxAlerts) {
                break;
            }
            String block = block(a, m);
            int reserve = shown + 1 < alerts.size() ? 40 : 0; // room for "…and N more"
            if (length + 2 + block.length() + reserve > maxChars) {
                if (shown == 0) { // the first block always appears, cut to fit
                    block = cut(block, Math.max(0, maxChars - length - 2 - reserve));
                    blocks.add(block);
                    shown++;
                }
                break;
            }
            blocks.add(block);
            length += 2 + block.length();
            shown++;
        }
        StringBuilder text = new StringBuilder(header);
        for (String block : blocks) {
            text.append("\n\n").append(block);
        }
        if (shown < alerts.size()) {
            text.append("\n\n").append(m.text("…and " + (alerts.size() - shown) + " more alert(s) in this group"));
        }
        return cut(text.toString(), maxChars);
    }

    /** Evidence as {@code name=value} pairs, numbers at 4 significant digits, NaN and Infinity spelt out. */
    public static String evidence(Map<String, Double> evidence) {
        if (evidence == null || evidence.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (Map.Entry<String, Double> e : evidence.entrySet()) {
            if (n == MAX_EVIDENCE) {
                b.append(", …(").append(evidence.size() - n).append(" more)");
                break;
            }
            if (n > 0) {
                b.append(", ");
            }
            b.append(cut(e.getKey(), 60)).append('=').append(number(e.getValue()));
            n++;
        }
        return b.toString();
    }

    /** A number at 4 significant digits: plain between 1e-4 and 1e7, scientific beyond; NaN/Infinity spelt out. */
    public static String number(Double v) {
        if (v == null) {
            return "null";
        }
        if (v.isNaN()) {
            return "NaN";
        }
        if (v.isInfinite()) {
            return v > 0 ? "Infinity" : "-Infinity";
        }
        if (v == 0.0) {
            return "0";
        }
        BigDecimal d = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
        double abs = Math.abs(v);
        return abs >= 1e-4 && abs < 1e7 ? d.toPlainString() : d.toString();
    }

    /**
     * The text cut to at most {@code max} UTF-16 units, ending with "…" when cut, never splitting a
     * surrogate pair (an emoji cut in half would make the JSON invalid for some platforms).
     */
    public static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        if (max <= 0) {
            return "";
        }
        int end = max - ELLIPSIS.length();
        if (end <= 0) {
            return s.substring(0, safeEnd(s, max));
        }
        return s.substring(0, safeEnd(s, end)) + ELLIPSIS;
    }

    private static int safeEnd(String s, int end) {
        return end > 0 && Character.isHighSurrogate(s.charAt(end - 1)) ? end - 1 : end;
    }

    static String escapeSlack(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Puts a zero-width space after each @ so that {@code @channel} or {@code @all} in a run name pings nobody. */
    static String defuseMentions(String s) {
        return s.replace("@", "@\u200B");
    }

    private static String join(Set<String> values, int max) {
        List<String> list = new ArrayList<>(values);
        String joined = String.join(", ", list.subList(0, Math.min(max, list.size())));
        return list.size() > max ? joined + " +" + (list.size() - max) : joined;
    }

    private static String codeList(Set<String> values, int max, Markup m) {
        List<String> list = new ArrayList<>(values);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(max, list.size()); i++) {
            b.append(i > 0 ? ", " : "").append(m.code(cut(list.get(i), 120)));
        }
        if (list.size() > max) {
            b.append(" +").append(list.size() - max);
        }
        return b.toString();
    }
}
