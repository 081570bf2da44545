package io.trainwatch.trainer.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trainwatch.trainer.model.LearningRateSchedule;
import io.trainwatch.trainer.model.RunSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The preflight configurations the trainer README gives the tuner are valid {@code POST /runs} bodies. */
class PreflightConfigsTest {

    /** Overfits its 5 batches (README: 1.0 after 35 / 205 steps for seeds 42 / 1). */
    static final String CAN_OVERFIT = "{\"scenario\": \"healthy\", \"steps\": 500, \"subsetBatches\": 5, \"l2\": 0, "
            + "\"dropout\": 0, \"batchNorm\": true}";
    /** Cannot (README: best 0.594 / 0.525). */
    static final String CANNOT_OVERFIT = "{\"scenario\": \"healthy\", \"steps\": 500, \"subsetBatches\": 5, \"l2\": 0, "
            + "\"dropout\": 0, \"hiddenLayers\": [], \"learningRate\": 0.05}";
    static final String RANGE_TEST = "{\"scenario\": \"healthy\", \"steps\": 200, "
            + "\"schedule\": {\"type\": \"range\", \"from\": 1e-6, \"to\": 10, \"steps\": 200}}";

    private static RunSpec parse(String json) throws Exception {
        Map<String, Object> body = new ObjectMapper().readValue(json, new TypeReference<>() {
        });
        return RunResource.parse(new java.util.HashMap<>(body));
    }

    @Test
    void theReadmeConfigsParse() throws Exception {
        RunSpec can = parse(CAN_OVERFIT);
        assertThat(can.subsetBatches()).isEqualTo(5);
        assertThat(can.batchNorm()).isTrue();
        assertThat(can.maxSteps()).isEqualTo(500);
        assertThat((long) can.epochs() * 5).as("enough short epochs for the steps").isGreaterThanOrEqualTo(500);
        assertThat(can.l2()).isZero();
        assertThat(can.dropout()).isZero();
        RunSpec cannot = parse(CANNOT_OVERFIT);
        assertThat(cannot.hiddenLayers()).isEqualTo(List.of());
        assertThat(cannot.learningRate()).isEqualTo(0.05);
        RunSpec range = parse(RANGE_TEST);
        assertThat(range.schedule()).isEqualTo(LearningRateSchedule.range(1e-6, 10, 200));
        assertThat(range.scheduledRate(199)).isEqualTo(10);
    }

    @Test
    void aPlainConfigWithASubsetNeedsEnoughEpochs() throws Exception {
        RunSpec plain = parse("{\"subsetBatches\": 5, \"maxSteps\": 300}");
        assertThat(plain.epochs()).as("the default 20 epochs of 5 steps stop the run at step 100").isEqualTo(20);
        assertThat(parse("{\"subsetBatches\": 5, \"maxSteps\": 300, \"epochs\": 100000}").epochs()).isEqualTo(100000);
    }
}
