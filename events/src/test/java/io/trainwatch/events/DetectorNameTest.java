package io.trainwatch.events;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class DetectorNameTest {

    /** Ids and codes are part of stored state and of every consumer's rules: pinned here on purpose. */
    @Test
    void idsAndCodesAreStable() {
        Map<String, Integer> pinned = Stream.of(DetectorName.values())
                .collect(Collectors.toMap(DetectorName::id, DetectorName::code));
        assertThat(pinned).containsExactlyInAnyOrderEntriesOf(Map.of(
                "vanishing-gradients", 1, "exploding-gradients", 2, "divergence", 3, "plateau", 4,
                "lr-decayed-too-early", 5, "overfitting", 6, "underfitting", 7, "bad-initialization", 8));
    }

    @Test
    void looksUpByIdAndCode() {
        for (DetectorName d : DetectorName.values()) {
            assertThat(DetectorName.fromId(d.id())).contains(d);
            assertThat(DetectorName.fromCode(d.code())).contains(d);
        }
        assertThat(DetectorName.fromId("some-future-detector")).isEmpty();
        assertThat(DetectorName.fromId(null)).isEmpty();
        assertThat(DetectorName.fromCode(0)).isEmpty();
        assertThat(DetectorName.fromCode(99)).isEmpty();
        assertThat(DetectorName.fromCode(-1)).isEmpty();
        assertThat(Alert.DETECTORS).isEqualTo(DetectorName.ids());
    }
}
