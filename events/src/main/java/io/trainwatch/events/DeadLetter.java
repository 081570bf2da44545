package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A rejected record on {@link Topics#TRAINING_EVENTS_DLQ}: the reason, where it came from, and the
 * original bytes (base64, byte for byte) so that nothing is lost and it can be replayed once fixed.
 *
 * <p>A dead letter must always fit where the record came from: base64 makes a payload 4/3 larger, so a record
 * near the broker's limit (about 1 MB by default) could never be dead-lettered whole, and a consumer that
 * insists would stop its partition for good. A payload over {@link #MAX_PAYLOAD_BYTES} is therefore kept as
 * its first {@code MAX_PAYLOAD_BYTES} bytes, with {@code payloadTruncated}; {@code payloadSize} and
 * {@code payloadSha256} always describe the whole original payload.
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
        String payloadPreview,
        Long payloadSize,
        String payloadSha256,
        Boolean payloadTruncated,
        String disposition) {

    /** The record was rejected: nothing of it was used. */
    public static final String REJECTED = "rejected";
    /** The record was used, less the malformed optional fields that {@code reason} names (dropped). */
    public static final String ACCEPTED_WITH_WARNINGS = "accepted-with-warnings";

    /** How much of the payload is shown as text beside the exact bytes. */
    public static final int PREVIEW_CHARS = 512;
    /**
     * The most payload bytes a dead letter carries (192 KiB: 256 KiB in base64, a letter of at most ~260 KiB,
     * a quarter of the broker's and the producer's default 1 MB limit). Three times the contract's 64 KiB
     * message limit, so every record that was rejected for its content (not its size) is kept whole.
     */
    public static final int MAX_PAYLOAD_BYTES = 192 * 1024;
    /** The largest dead letter a reader accepts (letters are larger than the events they carry). */
    public static final int MAX_LETTER_BYTES = 1024 * 1024;

    public DeadLetter {
        Contract.requireText("reason", reason);
        Contract.requireTimestamp(timestamp);
        if (disposition != null) {
            Contract.requireOneOf("disposition", disposition, java.util.Set.of(REJECTED, ACCEPTED_WITH_WARNINGS));
        }
    }

    /** A letter as written before {@code payloadSize}, {@code payloadSha256} and {@code payloadTruncated} existed. */
    public DeadLetter(int schemaVersion, String reason, String sourceTopic, Integer sourcePartition, Long sourceOffset,
                      String key, Instant timestamp, String rejectedBy, String payloadBase64, String payloadPreview) {
        this(schemaVersion, reason, sourceTopic, sourcePartition, sourceOffset, key, timestamp, rejectedBy,
                payloadBase64, payloadPreview, null, null, null, null);
    }

    /**
     * A dead letter for the given bytes, keeping them exactly (the first {@link #MAX_PAYLOAD_BYTES} of a larger
     * payload) with their size, SHA-256 and a short readable preview.
     */
    public static DeadLetter of(String reason, String topic, Integer partition, Long offset, String key,
                                byte[] payload, String rejectedBy, Instant at) {
        return of(reason, topic, partition, offset, key, payload, rejectedBy, at, null);
    }

    /**
     * A warning letter: the record was used, but {@code reason} names the malformed optional fields that were
     * dropped from it, so that its producer can find out (same payload rules as {@link #of}).
     */
    public static DeadLetter warning(String reason, String topic, Integer partition, Long offset, String key,
                                     byte[] payload, String rejectedBy, Instant at) {
        return of(reason, topic, partition, offset, key, payload, rejectedBy, at, ACCEPTED_WITH_WARNINGS);
    }

    private static DeadLetter of(String reason, String topic, Integer partition, Long offset, String key,
                                 byte[] payload, String rejectedBy, Instant at, String disposition) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        String text = new String(bytes, 0, Math.min(bytes.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
        String preview = text.length() > PREVIEW_CHARS ? text.substring(0, PREVIEW_CHARS) + "..." : text;
        boolean truncated = bytes.length > MAX_PAYLOAD_BYTES;
        byte[] kept = truncated ? java.util.Arrays.copyOf(bytes, MAX_PAYLOAD_BYTES) : bytes;
        return new DeadLetter(Contract.SCHEMA_VERSION, reason, topic, partition, offset, key, at, rejectedBy,
                Base64.getEncoder().encodeToString(kept), preview, (long) bytes.length, sha256(bytes),
                truncated ? Boolean.TRUE : null, disposition);
    }

    /** The lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Whether the record was used less some fields ({@link #ACCEPTED_WITH_WARNINGS}) rather than rejected. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean accepted() {
        return ACCEPTED_WITH_WARNINGS.equals(disposition);
    }

    /** The original bytes (only their first {@link #MAX_PAYLOAD_BYTES} when {@code payloadTruncated}). */
    public byte[] payload() {
        return payloadBase64 == null ? new byte[0] : Base64.getDecoder().decode(payloadBase64);
    }
}
