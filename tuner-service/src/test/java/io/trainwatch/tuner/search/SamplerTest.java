package io.trainwatch.tuner.search;

import io.trainwatch.tuner.study.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerTest {

    static Map<String, ParamSpec> space() {
        Map<String, ParamSpec> s = new LinkedHashMap<>();
        s.put("learningRate", ParamSpec.logUniform(1e-4, 1));
        s.put("dropout", ParamSpec.uniform(0, 0.5));
        s.put("width", ParamSpec.integer(8, 128));
        s.put("activation", ParamSpec.categorical(List.of("relu", "tanh", "sigmoid")));
        return s;
    }

    @Test
    void sameSeedAndIndexGiveTheSamePoint() {
        Map<String, Object> a = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(7, 3));
        Map<String, Object> b = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(7, 3));
        Map<String, Object> c = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(7, 4));
        Map<String, Object> d = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(8, 3));
        assertThat(a).isEqualTo(b).isNotEqualTo(c).isNotEqualTo(d);
        assertThat(Sampler.trialSeed(7, 3)).isEqualTo(Sampler.trialSeed(7, 3)).isNotEqualTo(Sampler.trialSeed(7, 4));
    }

    @Test
    void samplesStayInsideTheirRanges() {
        for (int i = 0; i < 2000; i++) {
            Map<String, Object> p = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(1, i));
            space().forEach((k, spec) -> assertThat(spec.contains(p.get(k))).as(k + "=" + p.get(k)).isTrue());
            assertThat(p.get("width")).isInstanceOf(Integer.class);
        }
    }

    @Test
    void learningRateIsLogUniform() {
        // Log-uniform over four decades: about a quarter of the samples per decade.
        int[] decades = new int[4];
        int n = 4000;
        for (int i = 0; i < n; i++) {
            double lr = (double) Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(2, i)).get("learningRate");
            decades[(int) Math.min(3, Math.floor(Math.log10(lr) + 4))]++;
        }
        for (int count : decades) {
            assertThat(count).isBetween(n / 4 - 150, n / 4 + 150);
        }
    }

    @Test
    void dropoutAndWidthAreUniformIncludingBothEnds() {
        int low = 0;
        int sawMin = 0;
        int sawMax = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            Map<String, Object> p = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(3, i));
            if ((double) p.get("dropout") < 0.25) {
                low++;
            }
            int units = (int) p.get("width");
            sawMin += units == 8 ? 1 : 0;
            sawMax += units == 128 ? 1 : 0;
        }
        assertThat(low).isBetween(n / 2 - 150, n / 2 + 150);
        assertThat(sawMin).isPositive();
        assertThat(sawMax).isPositive();
    }

    @Test
    void favouredChoicesAreDrawnMostOfTheTime() {
        int relu = 0;
        int n = 2000;
        for (int i = 0; i < n; i++) {
            Object a = Sampler.sample(space(), Map.of("activation", List.of("relu")), 0.8, Sampler.randomFor(4, i))
                    .get("activation");
            relu += "relu".equals(a) ? 1 : 0;
        }
        // 0.8 favoured + 0.2 x 1/3 uniform = 0.867
        assertThat(relu / (double) n).isBetween(0.83, 0.90);
    }

    @Test
    void favouringAChoiceTheSpaceLacksFallsBackToUniform() {
        for (int i = 0; i < 200; i++) {
            Object a = Sampler.sample(space(), Map.of("activation", List.of("gelu")), 1.0, Sampler.randomFor(5, i))
                    .get("activation");
            assertThat(a).isIn("relu", "tanh", "sigmoid");
        }
    }

    @Test
    void aFavourOnOneParameterDoesNotShiftTheOthers() {
        Map<String, Object> plain = Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(9, 1));
        Map<String, Object> favoured = Sampler.sample(space(), Map.of("activation", List.of("relu")), 0.8,
                Sampler.randomFor(9, 1));
        assertThat(favoured.get("learningRate")).isEqualTo(plain.get("learningRate"));
        assertThat(favoured.get("width")).isEqualTo(plain.get("width"));
    }

    @Test
    void aSinglePointRangeAlwaysGivesThatPoint() {
        Map<String, ParamSpec> s = Map.of("learningRate", ParamSpec.logUniform(0.01, 0.01), "n", ParamSpec.integer(4, 4));
        Map<String, Object> p = Sampler.sample(s, Map.of(), 0.8, Sampler.randomFor(1, 1));
        assertThat((double) p.get("learningRate")).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(p.get("n")).isEqualTo(4);
    }
}
