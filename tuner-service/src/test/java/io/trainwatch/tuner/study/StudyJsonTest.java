package io.trainwatch.tuner.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The study documents on the studies topic: one written by the tuner before trial statuses were typed (a study
 * with a trial running with a decay awaiting confirmation, one stopped for divergence, one completed, a remedy
 * queued) is still read, with the same statuses, and written back unchanged.
 */
class StudyJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] stored() throws IOException {
        try (InputStream in = StudyJsonTest.class.getResourceAsStream("/study/state-written-before-typed-status.json")) {
            return in.readAllBytes();
        }
    }

    @Test
    void aDocumentWrittenBeforeStatusesWereTypedIsReadWithTheSameStatuses() throws IOException {
        String[] error = new String[1];
        Optional<StudyState> read = StudyJson.read(stored(), error);
        assertThat(read).as(error[0]).isPresent();
        StudyState s = read.orElseThrow();
        assertThat(s.id).isEqualTo("legacy");
        assertThat(s.status).isEqualTo(StudyState.RUNNING);
        JsonNode trials = JSON.readTree(stored()).get("trials");
        assertThat(s.trials).hasSize(trials.size());
        for (int i = 0; i < trials.size(); i++) {
            assertThat(s.trials.get(i).status.id()).isEqualTo(trials.get(i).get("status").asText());
        }
        assertThat(s.trials).extracting(t -> t.status).contains(TrialStatus.RUNNING, TrialStatus.STOPPING,
                TrialStatus.COMPLETED);
        assertThat(s.trial("t000").orElseThrow().pending).isNotEmpty();
        assertThat(s.remedyQueue).isNotEmpty();
    }

    @Test
    void itIsWrittenBackUnchanged() throws IOException {
        StudyState s = StudyJson.read(stored(), new String[1]).orElseThrow();
        assertThat(JSON.readTree(StudyJson.write(s))).isEqualTo(JSON.readTree(stored()));
    }

    @Test
    void aStatusTheTunerDoesNotKnowMakesTheDocumentUnreadableNotFatal() throws IOException {
        String doc = new String(stored(), StandardCharsets.UTF_8).replace("\"status\":\"completed\"",
                "\"status\":\"paused\"");
        String[] error = new String[1];
        assertThat(StudyJson.read(doc.getBytes(StandardCharsets.UTF_8), error)).isEmpty();
        assertThat(error[0]).contains("paused");
    }

    @Test
    void everyStatusKeepsItsString() {
        assertThat(TrialStatus.ids()).containsExactly("queued", "running", "stopping", "completed", "stopped",
                "diverged", "failed", "lost");
        for (TrialStatus st : TrialStatus.values()) {
            assertThat(TrialStatus.fromId(st.id())).isSameAs(st);
        }
        assertThat(TrialStatus.ACTIVE).containsExactlyInAnyOrder(TrialStatus.QUEUED, TrialStatus.RUNNING,
                TrialStatus.STOPPING);
    }
}
