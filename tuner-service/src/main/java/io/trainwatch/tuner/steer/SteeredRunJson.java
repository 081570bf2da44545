package io.trainwatch.tuner.steer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Writes and reads a steered run's document in the compacted studies topic; reading never throws. */
public final class SteeredRunJson {

    private static final ObjectMapper MAPPER = EventCodec.MAPPER.copy();

    private SteeredRunJson() {
    }

    public static byte[] write(SteeredRun run) {
        try {
            return MAPPER.writeValueAsBytes(run);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write steered run " + run.runId, e);
        }
    }

    /** The run in {@code bytes}, or empty (with the reason in {@code error[0]}) when it cannot be read. */
    public static Optional<SteeredRun> read(byte[] bytes, String[] error) {
        try {
            SteeredRun r = MAPPER.readValue(bytes, SteeredRun.class);
            if (r.runId == null || r.control == null || r.state == null || r.state.status == null) {
                error[0] = "a steered run document needs runId, control and state";
                return Optional.empty();
            }
            if (r.schemaVersion > Contract.SCHEMA_VERSION) {
                error[0] = "schemaVersion " + r.schemaVersion + " is newer than " + Contract.SCHEMA_VERSION;
                return Optional.empty();
            }
            return Optional.of(r);
        } catch (IOException | RuntimeException e) {
            error[0] = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            return Optional.empty();
        }
    }
}
