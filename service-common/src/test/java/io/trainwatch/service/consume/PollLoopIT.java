package io.trainwatch.service.consume;

import io.trainwatch.kafka.TestKafka;
import io.trainwatch.service.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The loop over the shared local broker: a consumer group reads past a bad record and commits what it handled. */
class PollLoopIT {

    @Test
    void aGroupLoopSkipsTheBadRecordCommitsEverythingAndAReadToEndSeesTheSame() throws Exception {
        KafkaClients kafka = new KafkaClients(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String topic = "poll-loop-it-" + suffix;
        String group = "poll-loop-it-" + suffix;
        try (Admin admin = Admin.create(kafka.admin("poll-loop-it"))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("poll-loop-it"))) {
            for (String v : List.of("a", "bad", "c")) {
                producer.send(new ProducerRecord<>(topic, "k", v.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        List<String> handled = new CopyOnWriteArrayList<>();
        List<Long> dead = new CopyOnWriteArrayList<>();
        PollLoop<String, byte[]> loop = PollLoop.<String, byte[]>builder("poll-loop-it",
                        () -> new KafkaConsumer<>(kafka.consumer(group, "poll-loop-it")))
                .setup(c -> {
                    c.subscribe(List.of(topic));
                    return true;
                })
                .handler(r -> {
                    String v = new String(r.value(), StandardCharsets.UTF_8);
                    if (v.equals("bad")) {
                        throw new IllegalArgumentException("unreadable");
                    }
                    handled.add(v);
                })
                .deadLetter((r, e) -> dead.add(r.offset()))
                .pollTimeout(Duration.ofMillis(100))
                .build().start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 2);
            assertThat(handled).containsExactly("a", "c");
            assertThat(dead).containsExactly(1L);
            assertThat(loop.recordsSkipped()).isEqualTo(1);
        } finally {
            loop.stop();
        }
        try (Admin admin = Admin.create(kafka.admin("poll-loop-it"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            long committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(tp).offset();
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS)
                    .get(tp).offset();
            assertThat(committed).isEqualTo(end);
        }

        List<String> again = new CopyOnWriteArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(kafka.consumer(null, "poll-loop-it-read"))) {
            PollLoop.readToEnd(c, topic, Duration.ofSeconds(10),
                    r -> again.add(new String(r.value(), StandardCharsets.UTF_8)));
        }
        assertThat(again).containsExactly("a", "bad", "c");
    }
}
