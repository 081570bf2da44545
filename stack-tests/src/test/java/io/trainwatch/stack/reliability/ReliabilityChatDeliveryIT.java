package io.trainwatch.stack.reliability;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Topics;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Chat delivery across the stack through a chat server that fails: the monitor's webhook channel {@code relchat}
 * (Slack's payload, runs {@code rel-chat-*}, configured through the services' environment as monitor-service's
 * NOTIFY.md says, see {@link ReliabilityStack}) posts to {@link ChatReceiver}, which answers every message 429 with
 * {@code Retry-After: 1}, then 500, then nothing for longer than the client's timeout, and only then 200. Two runs
 * with a warning alert each (vanishing gradients, bad initialization) train to their end, so each alert fires and
 * resolves. Figures: firing alerts delivered of those on {@code training.alerts}, resolutions delivered, whether
 * every FIRING came before its RESOLVED, the largest delay from the alert's record to its delivered message.
 */
class ReliabilityChatDeliveryIT {

    /** A block of a message: "*firing · warning · plateau* · run `id` · step 12, epoch 0" (Slack markup). */
    private static final Pattern BLOCK = Pattern.compile("(firing|resolved) · [a-z]+ · ([a-z-]+)\\*? · run `([^`]+)`");

    private final ReliabilityStack rs = ReliabilityStack.get();
    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    @Test
    void everyFiringAlertReachesAChatServerThatAnswers429And500AndHangsFirst() throws Exception {
        rs.awaitAllReady(Duration.ofSeconds(120));
        List<String> runs = List.of(ReliabilityStack.CHAT_RUN_PREFIX + "vanishing-" + suffix,
                ReliabilityStack.CHAT_RUN_PREFIX + "badinit-" + suffix);
        int deliveredBefore = rs.chat().delivered().size();
        try (RecordTap tap = new RecordTap(rs.bootstrapServers(), true, k -> k != null && k.contains(suffix),
                Topics.TRAINING_ALERTS)) {
            rs.startRun("""
                    {"runId": "%s", "scenario": "vanishing-gradients", "steps": 150, "control": {"mode": "off"}}"""
                    .formatted(runs.get(0)));
            rs.startRun("""
                    {"runId": "%s", "scenario": "bad-initialization", "steps": 150, "control": {"mode": "off"}}"""
                    .formatted(runs.get(1)));
            // Every alert of the runs fired and resolved on the topic, and every one of them reached the chat server.
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() -> {
                Set<String> firing = keys(tap.alerts(), Alert.FIRING);
                Set<String> resolved = keys(tap.alerts(), Alert.RESOLVED);
                Set<String> chatFiring = new HashSet<>();
                Set<String> chatResolved = new HashSet<>();
                blocks(rs.chat().delivered().subList(deliveredBefore, rs.chat().delivered().size()), chatFiring, chatResolved, null);
                return !firing.isEmpty() && resolved.containsAll(firing) && runs.stream()
                        .allMatch(r -> firing.stream().anyMatch(k -> k.startsWith(r + " ")))
                        && chatFiring.containsAll(firing) && chatResolved.containsAll(resolved);
            });
            List<ChatReceiver.Delivered> delivered = rs.chat().delivered();
            delivered = delivered.subList(deliveredBefore, delivered.size());
            Set<String> firing = keys(tap.alerts(), Alert.FIRING);
            Set<String> resolved = keys(tap.alerts(), Alert.RESOLVED);
            Set<String> chatFiring = new HashSet<>();
            Set<String> chatResolved = new HashSet<>();
            Map<String, Integer> order = new HashMap<>(); // "run detector status" -> index of first message
            blocks(delivered, chatFiring, chatResolved, order);
            int resolvedBeforeFiring = 0;
            for (String k : chatResolved) {
                Integer f = order.get(k + " firing");
                if (f == null || f > order.get(k + " resolved")) {
                    resolvedBeforeFiring++;
                }
            }
            // Delay: from the alert record's arrival here to the first delivered message that carries it.
            Map<String, Long> alertArrived = new HashMap<>();
            for (RecordTap.Rec r : tap.of(Topics.TRAINING_ALERTS)) {
                Alert a = io.trainwatch.events.EventCodec.readAlert(r.value()).value();
                alertArrived.putIfAbsent(a.runId() + " " + a.detector() + " " + a.status(), r.arrivedNanos());
            }
            long maxDelay = 0;
            for (Map.Entry<String, Integer> e : order.entrySet()) {
                Long arrived = alertArrived.get(e.getKey());
                if (arrived != null) {
                    maxDelay = Math.max(maxDelay, delivered.get(e.getValue()).arrivedNanos() - arrived);
                }
            }
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("firing alerts on the topic", firing.size());
            f.put("firing delivered", chatFiring.stream().filter(firing::contains).count() + " / " + firing.size());
            f.put("resolved delivered", chatResolved.stream().filter(resolved::contains).count() + " / " + resolved.size());
            f.put("messages delivered", delivered.size());
            f.put("every FIRING before its RESOLVED", resolvedBeforeFiring == 0);
            f.put("max delivery delay s", ReliabilityStack.seconds(maxDelay));
            f.put("answers 429 / 500 / hung (whole stack)", rs.chat().answered429() + " / " + rs.chat().answered500()
                    + " / " + rs.chat().hung());
            f.put("monitor retries (metric)", (long) rs.metric(Service.MONITOR, "monitor_notifications_retries_total"));
            ReliabilityStack.report("chat-delivery", f);

            assertThat(chatFiring).as("firing alerts delivered").containsAll(firing);
            assertThat(chatResolved).as("resolutions delivered").containsAll(resolved);
            assertThat(resolvedBeforeFiring).as("RESOLVED messages before their FIRING").isZero();
            assertThat(rs.chat().answered429()).isPositive();
            assertThat(rs.chat().answered500()).isPositive();
            assertThat(rs.chat().hung()).isPositive();
        }
    }

    /** "run detector" of the alerts with a status. */
    private static Set<String> keys(List<Alert> alerts, String status) {
        Set<String> out = new HashSet<>();
        alerts.stream().filter(a -> a.status().equals(status)).forEach(a -> out.add(a.runId() + " " + a.detector()));
        return out;
    }

    /** Reads the alert blocks of the messages: "run detector" per status, and where each first appeared. */
    private static void blocks(List<ChatReceiver.Delivered> messages, Set<String> firing, Set<String> resolved,
                               Map<String, Integer> first) {
        List<ChatReceiver.Delivered> list = new ArrayList<>(messages);
        for (int i = 0; i < list.size(); i++) {
            Matcher m = BLOCK.matcher(list.get(i).text());
            while (m.find()) {
                String key = m.group(3) + " " + m.group(2);
                (m.group(1).equals("firing") ? firing : resolved).add(key);
                if (first != null) {
                    first.putIfAbsent(key + " " + m.group(1), i);
                }
            }
        }
    }
}
