package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.service.consume.PollLoop;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudyState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The compacted topic that holds every study's state document (key = study id, cleanup.policy=compact),
 * and the reading of topics from their start at startup: the studies, and which trials the trials topic
 * holds already.
 */
public final class StudiesTopic {

    /** How the topic is made (the contract's {@link Topics#TUNER_STUDIES}: compacted, kept forever); the tuner may rename it. */
    static final Topics.TopicSpec SPEC = Topics.spec(Topics.TUNER_STUDIES).orElseThrow();

    private StudiesTopic() {
    }

    /** What the topic holds: the studies, and the steered runs (keys {@link SteeredRun#KEY_PREFIX}runId). */
    public record Loaded(Collection<StudyState> studies, Collection<SteeredRun> runs) {
    }

    /** The latest readable document of every study and every steered run on the topic (tombstones delete). */
    public static Loaded load(Map<String, Object> consumerConfig, String topic, Duration timeout) {
        Map<String, StudyState> studies = new LinkedHashMap<>();
        Map<String, SteeredRun> runs = new LinkedHashMap<>();
        readAll(consumerConfig, topic, timeout, (key, value) -> {
            if (key != null && key.startsWith(SteeredRun.KEY_PREFIX)) {
                String runId = key.substring(SteeredRun.KEY_PREFIX.length());
                runs.remove(runId);
                if (value == null) {
                    return;
                }
                String[] error = new String[1];
                Optional<SteeredRun> r = SteeredRunJson.read(value, error);
                if (r.isPresent() && r.get().runId.equals(runId)) {
                    runs.put(runId, r.get());
                } else {
                    Log.warnf("Skipped an unreadable steered run document (key %s) on %s: %s", key, topic,
                            r.isPresent() ? "its runId is not the key's" : error[0]);
                }
                return;
            }
            if (value == null) {
                studies.remove(key);
                return;
            }
            String[] error = new String[1];
            Optional<StudyState> s = StudyJson.read(value, error);
            if (s.isPresent()) {
                studies.remove(s.get().id);
                studies.put(s.get().id, s.get());
            } else {
                Log.warnf("Skipped an unreadable study document (key %s) on %s: %s", key, topic, error[0]);
            }
        });
        return new Loaded(studies.values(), runs.values());
    }

    /** The {@code studyId/trialId} of every readable trial on the trials topic for the given studies. */
    public static Set<String> publishedTrials(Map<String, Object> consumerConfig, String topic, Set<String> studyIds,
                                              Duration timeout) {
        Set<String> out = new HashSet<>();
        if (studyIds.isEmpty()) {
            return out;
        }
        readAll(consumerConfig, topic, timeout, (key, value) -> {
            ReadResult<Trial> t = value == null ? null : EventCodec.readTrial(value);
            if (t != null && t.isValid() && studyIds.contains(t.value().studyId())) {
                out.add(t.value().studyId() + "/" + t.value().trialId());
            }
        });
        return out;
    }

    /** Reads the topic from its start to its present end ({@link PollLoop#readToEnd}) with a consumer of no group. */
    private static void readAll(Map<String, Object> consumerConfig, String topic, Duration timeout,
                                BiConsumer<String, byte[]> sink) {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 32 * 1024 * 1024);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            PollLoop.readToEnd(consumer, topic, timeout, r -> sink.accept(r.key(), r.value()));
        }
    }
}
