package io.trainwatch.monitor.notify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.Alert;

import java.util.List;
import java.util.Map;

/**
 * Microsoft Teams through a Workflows ("Post to a channel when a webhook request is received") webhook: a
 * message with one Adaptive Card 1.4 attachment, kept under Teams' ~28 KB message limit by listing fewer
 * alerts and then cutting long texts until the payload fits.
 */
public final class TeamsNotifier implements Notifier {

    static final String CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

    private final int maxBytes;
    private final int maxAlerts;

    public TeamsNotifier(int maxBytes, int maxAlerts) {
        this.maxBytes = Math.min(maxBytes, Platform.TEAMS.maxChars());
        this.maxAlerts = maxAlerts;
    }

    @Override
    public Platform platform() {
        return Platform.TEAMS;
    }

    @Override
    public byte[] suggestion(io.trainwatch.events.TunerCommand c) {
        ObjectNode message = Json.object().put("type", "message");
        ObjectNode attachment = message.putArray("attachments").addObject();
        attachment.put("contentType", CARD_CONTENT_TYPE);
        attachment.putNull("contentUrl");
        ObjectNode card = attachment.putObject("content");
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.4");
        card.putArray("body").addObject().put("type", "TextBlock").put("wrap", true).put("color", "Accent")
                .put("text", AlertText.suggestion(c, AlertText.Markup.PLAIN, Math.min(maxBytes / 2, 4000)));
        return Json.bytes(message);
    }

    @Override
    public byte[] payload(Notification n) {
        List<Alert> alerts = n.alerts();
        int shown = Math.max(1, Math.min(maxAlerts, alerts.size()));
        int fieldCap = AlertText.MAX_FIELD;
        while (true) {
            byte[] bytes = Json.bytes(message(n, alerts, shown, fieldCap));
            if (bytes.length <= maxBytes || fieldCap <= 16) {
                return bytes;
            }
            if (shown > 1) {
                shown = Math.max(1, shown / 2);
            } else {
                fieldCap /= 2;
            }
        }
    }

    private static ObjectNode message(Notification n, List<Alert> alerts, int shown, int fieldCap) {
        ObjectNode message = Json.object().put("type", "message");
        ObjectNode attachment = message.putArray("attachments").addObject();
        attachment.put("contentType", CARD_CONTENT_TYPE);
        attachment.putNull("contentUrl");
        ObjectNode card = attachment.putObject("content");
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.4");
        ArrayNode body = card.putArray("body");
        body.addObject().put("type", "TextBlock").put("size", "Medium").put("weight", "Bolder").put("wrap", true)
                .put("color", color(n.status(), n.severity()))
                .put("text", AlertText.cut(AlertText.header(n, AlertText.Markup.PLAIN), Math.max(fieldCap, 200)));
        for (int i = 0; i < Math.min(shown, alerts.size()); i++) {
            body.add(container(alerts.get(i), fieldCap));
        }
        if (shown < alerts.size()) {
            body.addObject().put("type", "TextBlock").put("isSubtle", true).put("wrap", true)
                    .put("text", "…and " + (alerts.size() - shown) + " more alert(s) in this group");
        }
        card.putObject("msteams").put("width", "Full");
        return message;
    }

    private static ObjectNode container(Alert a, int cap) {
        ObjectNode c = Json.object().put("type", "Container").put("separator", true);
        ArrayNode items = c.putArray("items");
        items.addObject().put("type", "TextBlock").put("weight", "Bolder").put("wrap", true)
                .put("color", color(a.status(), Severity.of(a)))
                .put("text", AlertText.cut(a.status() + " · " + a.severity() + " · " + a.detector(), cap));
        ArrayNode facts = items.addObject().put("type", "FactSet").putArray("facts");
        fact(facts, "Run", a.runId(), cap);
        fact(facts, "Study", a.studyId(), cap);
        fact(facts, "Trial", a.trialId(), cap);
        fact(facts, "Step", a.step() + " (epoch " + a.epoch() + ")", cap);
        if (a.evidence() != null) {
            int n = 0;
            for (Map.Entry<String, Double> e : a.evidence().entrySet()) {
                if (n++ == AlertText.MAX_EVIDENCE) {
                    fact(facts, "…", (a.evidence().size() - AlertText.MAX_EVIDENCE) + " more", cap);
                    break;
                }
                fact(facts, e.getKey(), AlertText.number(e.getValue()), cap);
            }
        }
        items.addObject().put("type", "TextBlock").put("wrap", true).put("text", AlertText.cut(a.summary(), cap));
        if (a.remedy() != null && !a.remedy().isBlank() && Alert.FIRING.equals(a.status())) {
            items.addObject().put("type", "TextBlock").put("wrap", true).put("isSubtle", true)
                    .put("text", AlertText.cut("Remedy: " + a.remedy(), cap));
        }
        return c;
    }

    private static void fact(ArrayNode facts, String title, String value, int cap) {
        if (value != null) {
            facts.addObject().put("title", AlertText.cut(title, Math.min(cap, 60))).put("value", AlertText.cut(value, cap));
        }
    }

    private static String color(String status, Severity severity) {
        if (Alert.RESOLVED.equals(status)) {
            return "Good";
        }
        return switch (severity) {
            case CRITICAL -> "Attention";
            case WARNING -> "Warning";
            case INFO -> "Accent";
        };
    }
}
