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

    @Test
    void aRoundIsALatinHypercubeEachTrialInItsOwnStratumOfEachParameter() {
        int n = 8;
        boolean[][] seen = new boolean[2][n];
        java.util.Set<Object> activations = new java.util.HashSet<>();
        for (int k = 0; k < n; k++) {
            Map<String, Object> p = Sampler.sampleStratified(space(), Map.of(), 0.8, 5, 0, k, n, Sampler.randomFor(5, k));
            space().forEach((name, spec) -> assertThat(spec.contains(p.get(name))).as(name).isTrue());
            // learning rate: log-uniform over four decades, so stratum = floor((log10(lr) + 4) / 4 * n)
            int lr = (int) Math.floor((Math.log10((double) p.get("learningRate")) + 4) / 4 * n);
            int dropout = (int) Math.floor((double) p.get("dropout") / 0.5 * n);
            assertThat(seen[0][lr]).as("learning-rate stratum %d twice", lr).isFalse();
            assertThat(seen[1][dropout]).as("dropout stratum %d twice", dropout).isFalse();
            seen[0][lr] = true;
            seen[1][dropout] = true;
            activations.add(p.get("activation"));
            assertThat(p).as("the same trial draws the same point")
                    .isEqualTo(Sampler.sampleStratified(space(), Map.of(), 0.8, 5, 0, k, n, Sampler.randomFor(5, k)));
        }
        assertThat(activations).as("8 trials over 3 choices: every choice drawn").hasSize(3);
    }

    @Test
    void theStrataOrderDependsOnTheSeedTheRoundAndTheParameter() {
        assertThat(Sampler.permutation(1, 0, 0, 16)).isNotEqualTo(Sampler.permutation(2, 0, 0, 16))
                .isNotEqualTo(Sampler.permutation(1, 1, 0, 16)).isNotEqualTo(Sampler.permutation(1, 0, 1, 16))
                .isEqualTo(Sampler.permutation(1, 0, 0, 16));
        assertThat(Sampler.permutation(1, 0, 0, 16)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                12, 13, 14, 15);
    }

    @Test
    void aStratifiedDrawStillFavoursAndFallsBackOutsideTheRound() {
        int favouredCount = 0;
        for (int k = 0; k < 100; k++) {
            Map<String, Object> p = Sampler.sampleStratified(space(), Map.of("activation", List.of("relu")), 0.8, 3, 1, k,
                    100, Sampler.randomFor(3, k));
            favouredCount += "relu".equals(p.get("activation")) ? 1 : 0;
        }
        assertThat(favouredCount).isBetween(75, 100);
        assertThat(Sampler.sampleStratified(space(), Map.of(), 0.8, 3, 0, 5, 5, Sampler.randomFor(3, 5)))
                .isEqualTo(Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(3, 5)));
        assertThat(Sampler.sampleStratified(space(), Map.of(), 0.8, 3, 0, 0, 1, Sampler.randomFor(3, 0)))
                .isEqualTo(Sampler.sample(space(), Map.of(), 0.8, Sampler.randomFor(3, 0)));
    }
}
