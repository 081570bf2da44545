package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.Topics;

import java.time.Clock;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The studies of {@code tuner.studies} (a compacted topic: the latest document per study, a null value
 * deletes it), at most {@code maxStudies}: the least recently received goes first. Guarded by the
 * {@link LiveStore}'s lock.
 */
final class LiveStudies {

    private final LiveConfig config;
    private final Clock clock;
    private final LiveChanges changes;
    private final Map<String, LiveStudy> studies = new HashMap<>();

    LiveStudies(LiveConfig config, Clock clock, LiveChanges changes) {
        this.config = config;
        this.clock = clock;
        this.changes = changes;
    }

    LiveStudy get(String id) {
        return studies.get(id);
    }

    Collection<LiveStudy> all() {
        return studies.values();
    }

    int size() {
        return studies.size();
    }

    /** Folds one record in; returns why it was skipped, or null. */
    String apply(String key, byte[] value) {
        if (value == null) {
            if (key != null && studies.remove(key) != null) {
                changes.studyRemoved(key);
            }
            return null;
        }
        JsonNode doc;
        try {
            doc = LiveJson.STUDY_READER.readTree(value);
        } catch (Exception | StackOverflowError e) {
            return Topics.TUNER_STUDIES + ": not JSON: " + e.getClass().getSimpleName();
        }
        LiveStudy s = LiveStudy.from(doc, config.maxTrials(), clock.millis());
        if (s == null) {
            return Topics.TUNER_STUDIES + ": a study document needs an id";
        }
        studies.put(s.id(), s);
        changes.studyChanged(s.id());
        while (studies.size() > config.maxStudies()) {
            LiveStudy oldest = studies.values().stream().min(Comparator.comparingLong(LiveStudy::receivedMillis))
                    .orElseThrow();
            studies.remove(oldest.id());
            changes.studyRemoved(oldest.id());
        }
        return null;
    }
}
