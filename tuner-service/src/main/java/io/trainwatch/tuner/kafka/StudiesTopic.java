package io.trainwatch.tuner.kafka;

import io.quarkus.logging.Log;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudyState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The compacted topic that holds every study's state document (key = study id, cleanup.policy=compact),
 * and the reading of topics from their start at startup: the studies, and which trials the trials topic
 * holds already.
 */
public final class StudiesTopic {

    private static final Topics.TopicSpec SPEC = Topics.spec(Topics.TUNER_STUDIES).orElseThrow();

    private StudiesTopic() {
    }

    /** The topic's configuration, as the contract's {@link Topics#TUNER_STUDIES} has it: compacted, kept forever. */
    public static Map<String, String> configs() {
        return SPEC.configs();
    }

    /** Creates the studies topic, under the configured name, unless it exists. */
    public static void ensure(Admin admin, String topic, Duration timeout) throws Exception {
        Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (names.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(SPEC.partitions()), Optional.empty()).configs(configs())))
                    .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Log.infof("Created the compacted studies topic %s", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /** What the topic holds: the studies, and the steered runs (keys {@link SteeredRun#KEY_PREFIX}runId). */
    public record Loaded(Collection<StudyState> studies, Collection<SteeredRun> runs) {
    }

    /** The latest readable document of every study on the topic (tombstones delete). */
    public static Collection<StudyState> loadStudies(Map<String, Object> consumerConfig, String topic, Duration timeout) {
        return load(consumerConfig, topic, timeout).studies();
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

    private static void readAll(Map<String, Object> consumerConfig, String topic, Duration timeout,
                                BiConsumer<String, byte[]> sink) {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 32 * 1024 * 1024);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return;
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
            long deadline = System.nanoTime() + timeout.toNanos() * 4;
            while (!caughtUp(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + " to its end");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    sink.accept(r.key(), r.value());
                }
            }
        }
    }

    private static boolean caughtUp(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
