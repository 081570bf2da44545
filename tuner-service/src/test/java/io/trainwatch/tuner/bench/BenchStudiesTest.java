package io.trainwatch.tuner.bench;

import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudySpecParser;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The bundled benchmark studies are studies the tuner accepts, and the harder one is harder. */
class BenchStudiesTest {

    static StudySpec bundled(String name) throws Exception {
        try (InputStream in = BenchStudiesTest.class.getResourceAsStream("/bench/" + name + ".json")) {
            return StudySpecParser.parse(in.readAllBytes()).spec();
        }
    }

    @Test
    void theTunerAcceptsTheBundledStudies() throws Exception {
        StudySpec study = bundled("study");
        StudySpec hard = bundled("hard-study");
        assertThat(study.budget().trials()).isEqualTo(16);
        assertThat(hard.budget().trials()).isEqualTo(40);
        assertThat(hard.space()).hasSizeGreaterThanOrEqualTo(6).containsKeys("learningRate", "l2", "dropout", "width",
                "layers", "activation", "weightInit", "optimizer", "batchSize");
        assertThat(TrainerParameters.HYPERPARAMETERS).containsAll(hard.space().keySet());
    }
}
