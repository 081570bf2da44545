package io.trainwatch.tuner.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Writes and reads the study document of the compacted studies topic; reading never throws. */
public final class StudyJson {

    private static final ObjectMapper MAPPER = EventCodec.MAPPER.copy();

    private StudyJson() {
    }

    public static byte[] write(StudyState state) {
        try {
            return MAPPER.writeValueAsBytes(state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write study " + state.id, e);
        }
    }

    /** The study in {@code bytes}, or empty (with the reason in {@code error[0]}) when it cannot be read. */
    public static Optional<StudyState> read(byte[] bytes, String[] error) {
        try {
            StudyState s = MAPPER.readValue(bytes, StudyState.class);
            if (s.id == null || s.spec == null || s.rounds.isEmpty()) {
                error[0] = "a study document needs id, spec and at least one round";
                return Optional.empty();
            }
            if (s.schemaVersion > Contract.SCHEMA_VERSION) {
                error[0] = "schemaVersion " + s.schemaVersion + " is newer than " + Contract.SCHEMA_VERSION;
                return Optional.empty();
            }
            return Optional.of(s);
        } catch (IOException | RuntimeException e) {
            error[0] = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            return Optional.empty();
        }
    }
}
