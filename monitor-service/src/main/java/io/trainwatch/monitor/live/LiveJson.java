package io.trainwatch.monitor.live;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.trainwatch.events.EventCodec;

import java.io.UncheckedIOException;

/**
 * The live page's JSON: written with the contract's mapper, so NaN and the infinities are always the
 * strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"} (never bare tokens, which no browser
 * parses), and study documents read leniently (NaN tokens, up to 8 MiB, nesting up to 64).
 */
public final class LiveJson {

    /** Writes: ISO-8601 times, no nulls from the contract records, non-finite numbers as strings. */
    public static final ObjectMapper WRITER = EventCodec.MAPPER.copy();

    /** Reads study documents of {@code tuner.studies} (larger than the contract's 64 KiB messages). */
    public static final ObjectMapper STUDY_READER = JsonMapper.builder(JsonFactory.builder()
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64)
                            .maxStringLength(1024 * 1024).maxDocumentLength(8L * 1024 * 1024).build())
                    .build())
            .build();

    private LiveJson() {
    }

    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write live JSON", e);
        }
    }
}
