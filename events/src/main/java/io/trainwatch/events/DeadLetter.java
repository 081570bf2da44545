package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A rejected record on {@link Topics#TRAINING_EVENTS_DLQ}: the reason, where it came from, and the
 * original bytes (base64, byte for byte) so that nothing is lost and it can be replayed once fixed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "reason", "sourceTopic", "sourcePartition", "sourceOffset", "key", "timestamp"})
public record DeadLetter(
        int schemaVersion,
        String reason,
        String sourceTopic,
        Integer sourcePartition,
        Long sourceOffset,
        String key,
        Instant timestamp,
        String rejectedBy,
        String payloadBase64,
        String payloadPreview) {

    /** How much of the payload is shown as text beside the exact bytes. */
    public static final int PREVIEW_CHARS = 512;

    public DeadLetter {
        Contract.requireText("reason", reason);
        Contract.requireTimestamp(timestamp);
    }

    /** A dead letter for the given bytes, keeping them exactly and a short readable preview. */
    public static DeadLetter of(String reason, String topic, Integer partition, Long offset, String key,
                                byte[] payload, String rejectedBy, Instant at) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        String text = new String(bytes, 0, Math.min(bytes.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
        String preview = text.length() > PREVIEW_CHARS ? text.substring(0, PREVIEW_CHARS) + "..." : text;
        return new DeadLetter(Contract.SCHEMA_VERSION, reason, topic, partition, offset, key, at, rejectedBy,
                Base64.getEncoder().encodeToString(bytes), preview);
    }

    /** The original bytes. */
    public byte[] payload() {
        return payloadBase64 == null ? new byte[0] : Base64.getDecoder().decode(payloadBase64);
    }
}
