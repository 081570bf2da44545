package io.trainwatch.events;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerMapTest {

    private static Map<String, Double> linked(int n) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            m.put("layer" + i, i == 3 ? null : i * 1.5);
        }
        return m;
    }

    @Test
    void behavesAsTheOrderedMapItCopies() {
        for (int n : new int[] {0, 1, 2, 5, 12, 13, 40}) {
            Map<String, Double> source = linked(n);
            LayerMap copy = LayerMap.copyOf(source);
            assertThat(copy).isEqualTo(source).hasSameHashCodeAs(source).hasSize(n);
            assertThat(new ArrayList<>(copy.keySet())).containsExactlyElementsOf(source.keySet());
            assertThat(new ArrayList<>(copy.values())).containsExactlyElementsOf(source.values());
            assertThat(new ArrayList<>(copy.entrySet())).containsExactlyElementsOf(source.entrySet());
            for (String key : source.keySet()) {
                assertThat(copy.containsKey(key)).isTrue();
                assertThat(copy.get(key)).isEqualTo(source.get(key));
            }
            assertThat(copy.get("nope")).isNull();
            assertThat(copy.containsKey(42)).isFalse();
            assertThat(copy.keySet().contains("nope")).isFalse();
            assertThat(copy.toString()).isEqualTo(source.toString());
            List<Double> values = new ArrayList<>(source.values());
            assertThat(copy.first()).isEqualTo(n == 0 ? null : values.get(0));
            assertThat(copy.last()).isEqualTo(n == 0 ? null : values.get(n - 1));
        }
    }

    @Test
    void isImmutableAndCopiedOnlyOnce() {
        Map<String, Double> source = new HashMap<>(linked(4));
        LayerMap copy = LayerMap.copyOf(source);
        source.put("added", 1.0);
        assertThat(copy).hasSize(4);
        assertThat(LayerMap.copyOf(copy)).isSameAs(copy);
        assertThat(LayerMap.copyOf(null)).isNull();
        assertThatThrownBy(() -> copy.put("x", 1.0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> copy.remove("layer0")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(copy::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> copy.values().iterator().remove()).isInstanceOf(UnsupportedOperationException.class);
        var it = copy.keySet().iterator();
        for (int i = 0; i < 4; i++) {
            it.next();
        }
        assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
    }

    @Test
    void aNullLayerNameIsRejected() {
        Map<String, Double> source = new HashMap<>();
        source.put(null, 1.0);
        assertThatThrownBy(() -> LayerMap.copyOf(source)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void builderRefusesARepeatedNameAndGrows() {
        LayerMap.Builder b = new LayerMap.Builder();
        for (int i = 0; i < 20; i++) {
            assertThat(b.add("l" + i, (double) i)).isTrue();
        }
        assertThat(b.add("l7", 9.0)).isFalse();
        LayerMap built = b.build();
        assertThat(built).hasSize(20).containsEntry("l7", 7.0).containsEntry("l19", 19.0);
        assertThat(built.last()).isEqualTo(19.0);
        assertThat(new LayerMap.Builder().build()).isEmpty();
    }

    @Test
    void aWideNetIsIndexedWhenBuilt() {
        LayerMap.Builder b = new LayerMap.Builder();
        for (int i = 0; i < 5000; i++) {
            assertThat(b.add("layer-" + i, (double) i)).isTrue();
        }
        assertThat(b.add("layer-4000", 1.0)).isFalse();
        assertThat(b.add("layer-3", 1.0)).isFalse();
        LayerMap built = b.build();
        assertThat(built).hasSize(5000);
        for (int i = 0; i < 5000; i += 7) {
            assertThat(built.get("layer-" + i)).isEqualTo((double) i);
        }
        assertThat(built.containsKey("layer-5000")).isFalse();
        assertThat(LayerMap.copyOf(new LinkedHashMap<>(built)).get("layer-4999")).isEqualTo(4999.0);
    }

    @Test
    void stepEventsHoldLayerMapsAndSerialiseAsBefore() {
        StepEvent e = new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.parse("2026-01-01T00:00:00Z"), null, null, 3,
                0, 1.0, null, null, null, linked(3), null, Map.of("a", Double.NaN), null, null);
        assertThat(e.layerGradientNorms()).isInstanceOf(LayerMap.class);
        String json = new String(EventCodec.write(e), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"layerGradientNorms\":{\"layer2\":3.0,\"layer1\":1.5,\"layer0\":0.0}");
        StepEvent back = (StepEvent) EventCodec.readTrainingEvent(EventCodec.write(e)).value();
        assertThat(back).isEqualTo(e);
        assertThat(back.layerGradientNorms()).isInstanceOf(LayerMap.class);
    }
}
