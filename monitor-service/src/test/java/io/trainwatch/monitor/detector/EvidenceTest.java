package io.trainwatch.monitor.detector;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Evidence rounded on read is the ordered map of 6-significant-digit values it always was. */
class EvidenceTest {

    @Test
    void isTheOrderedMapOfRoundedValues() {
        Map<String, Double> m = Evidence.of("loss", 1.23456789).and("nan", Double.NaN).and("inf", Double.NEGATIVE_INFINITY)
                .and("zero", -0.0).and("tiny", 1.000000501e-300).and("big", 123456789.0).and("half", 2.000005).map();
        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put("loss", 1.23457);
        expected.put("nan", Double.NaN);
        expected.put("inf", Double.NEGATIVE_INFINITY);
        expected.put("zero", -0.0);
        expected.put("tiny", 1.00000e-300);
        expected.put("big", 123457000.0);
        expected.put("half", new java.math.BigDecimal(2.000005).round(new java.math.MathContext(6)).doubleValue());
        assertThat(m).containsExactlyEntriesOf(expected);
        assertThat(m).isEqualTo(expected).hasSameHashCodeAs(expected);
        assertThat(m.get("loss")).isEqualTo(1.23457);
        assertThat(m.containsKey("nope")).isFalse();
        assertThat(m.size()).isEqualTo(7);
    }

    @Test
    void aRepeatedKeyKeepsItsPlaceAndTakesTheLastValue() {
        Map<String, Double> m = Evidence.of("a", 1).and("b", 2).and("a", 3).map();
        assertThat(m).containsExactly(Map.entry("a", 3.0), Map.entry("b", 2.0));
    }

    @Test
    void aMapIsASnapshotAndReadOnly() {
        Evidence e = Evidence.of("a", 1);
        Map<String, Double> first = e.map();
        e.and("b", 2);
        assertThat(first).containsOnlyKeys("a");
        assertThat(e.map()).containsOnlyKeys("a", "b");
        Map<String, Double> second = e.map();
        e.and("a", 5); // a new value for a key already read: the maps read before keep theirs
        assertThat(first).containsEntry("a", 1.0);
        assertThat(second).containsEntry("a", 1.0).containsEntry("b", 2.0);
        assertThat(e.map()).containsEntry("a", 5.0);
        assertThat(new Evidence().map()).isEmpty();
        assertThatThrownBy(() -> first.put("c", 3.0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void growsPastItsFirstCapacity() {
        Evidence e = new Evidence();
        for (int i = 0; i < 20; i++) {
            e.and("k" + i, i);
        }
        assertThat(e.map()).hasSize(20).containsEntry("k19", 19.0);
    }
}
