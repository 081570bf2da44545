package io.trainwatch.tuner.search;

import io.trainwatch.tuner.study.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RangesTest {

    @Test
    void narrowsALogRangeInLogSpace() {
        Map<String, ParamSpec> space = Map.of("learningRate", ParamSpec.logUniform(1e-4, 1));
        List<Map<String, Object>> top = List.of(Map.of("learningRate", 1e-3), Map.of("learningRate", 1e-2));
        ParamSpec lr = Ranges.narrow(space, top, 0.25, 0.1).get("learningRate");
        // span of one decade, 0.25 decade on each side
        assertThat(Math.log10(lr.min())).isCloseTo(-3.25, within(1e-9));
        assertThat(Math.log10(lr.max())).isCloseTo(-1.75, within(1e-9));
        assertThat(lr.type()).isEqualTo(ParamSpec.LOG_UNIFORM);
    }

    @Test
    void aSingleTopPointKeepsAMinimumWidthAroundIt() {
        Map<String, ParamSpec> space = Map.of("dropout", ParamSpec.uniform(0, 0.5));
        ParamSpec d = Ranges.narrow(space, List.of(Map.of("dropout", 0.2)), 0.25, 0.1).get("dropout");
        assertThat(d.min()).isCloseTo(0.175, within(1e-9));
        assertThat(d.max()).isCloseTo(0.225, within(1e-9));
    }

    @Test
    void aWindowAtTheEdgeShiftsInsideRatherThanShrinking() {
        Map<String, ParamSpec> space = Map.of("dropout", ParamSpec.uniform(0, 0.5));
        ParamSpec d = Ranges.narrow(space, List.of(Map.of("dropout", 0.0)), 0.25, 0.2).get("dropout");
        assertThat(d.min()).isEqualTo(0.0);
        assertThat(d.max()).isCloseTo(0.1, within(1e-9));
    }

    @Test
    void integersRoundOutwardsAndCategoriesKeepWhatTheTopUsed() {
        Map<String, ParamSpec> space = new LinkedHashMap<>();
        space.put("width", ParamSpec.integer(8, 128));
        space.put("activation", ParamSpec.categorical(List.of("relu", "tanh", "sigmoid")));
        List<Map<String, Object>> top = List.of(Map.of("width", 40, "activation", "tanh"),
                Map.of("width", 61, "activation", "relu"));
        Map<String, ParamSpec> out = Ranges.narrow(space, top, 0.25, 0.1);
        assertThat(out.get("width")).isEqualTo(ParamSpec.integer(34, 67));
        assertThat(out.get("activation").values()).containsExactly("relu", "tanh");
    }

    @Test
    void ignoresNonFiniteAndMissingValues() {
        Map<String, ParamSpec> space = Map.of("learningRate", ParamSpec.logUniform(1e-4, 1), "l2", ParamSpec.logUniform(1e-6, 1e-2));
        List<Map<String, Object>> top = List.of(Map.of("learningRate", Double.NaN), Map.of("learningRate", -1.0));
        Map<String, ParamSpec> out = Ranges.narrow(space, top, 0.25, 0.1);
        assertThat(out).isEqualTo(space);
    }

    @Test
    void narrowingNeverLeavesTheCurrentRange() {
        Map<String, ParamSpec> space = Map.of("x", ParamSpec.uniform(0, 1));
        ParamSpec x = Ranges.narrow(space, List.of(Map.of("x", 0.0), Map.of("x", 1.0)), 0.5, 0.1).get("x");
        assertThat(x).isEqualTo(ParamSpec.uniform(0, 1));
    }

    @Test
    void lowersACeilingButKeepsAShareOfTheRange() {
        ParamSpec lr = ParamSpec.logUniform(1e-4, 1);
        assertThat(Ranges.lowerCeiling(lr, 0.05, 0.25).max()).isCloseTo(0.05, within(1e-12));
        // below the kept quarter (1e-3): stops at 1e-3
        assertThat(Ranges.lowerCeiling(lr, 1e-5, 0.25).max()).isCloseTo(1e-3, within(1e-12));
        assertThat(Ranges.lowerCeiling(lr, 2.0, 0.25)).isEqualTo(lr);
        assertThat(Ranges.lowerCeiling(lr, Double.NaN, 0.25)).isEqualTo(lr);
        assertThat(Ranges.lowerCeiling(lr, -1, 0.25)).isEqualTo(lr);
    }

    @Test
    void raisesAFloorButKeepsAShareOfTheRange() {
        ParamSpec d = ParamSpec.uniform(0, 0.5);
        assertThat(Ranges.raiseFloor(d, 0.2, 0.25).min()).isCloseTo(0.2, within(1e-12));
        assertThat(Ranges.raiseFloor(d, 0.49, 0.25).min()).isCloseTo(0.375, within(1e-12));
        assertThat(Ranges.raiseFloor(d, 0.0, 0.25)).isEqualTo(d);
        ParamSpec units = ParamSpec.integer(8, 128);
        assertThat(Ranges.raiseFloor(units, 40.4, 0.25)).isEqualTo(ParamSpec.integer(40, 128));
    }
}
