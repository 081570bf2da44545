package io.trainwatch.events;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dead letter always fits the broker's default 1 MB limit, whatever the size of the record it carries, and
 * says what it kept: records up to {@link DeadLetter#MAX_PAYLOAD_BYTES} byte for byte, larger ones as a prefix
 * with the whole payload's size and SHA-256.
 */
class DeadLetterSizeTest {

    /** Kafka's default {@code message.max.bytes} (broker) and about its {@code max.request.size} (producer). */
    private static final int BROKER_LIMIT = 1_048_588;

    @ParameterizedTest
    @ValueSource(doubles = {0.0001, 0.05, 0.5, 0.9, 1.0})
    void aLetterForARecordOfAnySizeTheBrokerAcceptsFitsTheBroker(double share) {
        byte[] payload = new byte[(int) (BROKER_LIMIT * share)];
        Arrays.fill(payload, (byte) 'x');
        payload[0] = '{';
        DeadLetter letter = DeadLetter.of("payload of " + payload.length + " bytes is over the 64 KiB limit",
                Topics.TRAINING_EVENTS, 1, 7L, "run-1", payload, "test", Samples.T0);
        byte[] written = EventCodec.write(letter);
        assertThat(written.length).isLessThan(BROKER_LIMIT / 3);
        ReadResult<DeadLetter> back = EventCodec.readDeadLetter(written);
        assertThat(back.error()).isNull();
        DeadLetter read = back.value();
        assertThat(read.payloadSize()).isEqualTo(payload.length);
        assertThat(read.payloadSha256()).isEqualTo(DeadLetter.sha256(payload)).hasSize(64);
        boolean whole = payload.length <= DeadLetter.MAX_PAYLOAD_BYTES;
        assertThat(read.payloadTruncated()).isEqualTo(whole ? null : Boolean.TRUE);
        byte[] kept = read.payload();
        assertThat(kept).hasSize(Math.min(payload.length, DeadLetter.MAX_PAYLOAD_BYTES));
        assertThat(kept).isEqualTo(Arrays.copyOf(payload, kept.length));
        if (whole) {
            assertThat(DeadLetter.sha256(kept)).isEqualTo(read.payloadSha256());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65_536})
    void smallLettersKeepEveryByteAndSayNothingIsMissing(int size) {
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 0xff);
        DeadLetter letter = DeadLetter.of("x", null, null, null, null, payload, "t", Samples.T0);
        String json = EventCodec.writeString(letter);
        assertThat(json).doesNotContain("payloadTruncated");
        assertThat(EventCodec.readDeadLetter(json.getBytes(StandardCharsets.UTF_8)).value().payload()).isEqualTo(payload);
    }
}
