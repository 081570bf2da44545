package io.trainwatch.trainer.command;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.client.CommandInbox;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.consume.PollLoop;
import io.trainwatch.trainer.config.TrainerSettings;
import io.trainwatch.trainer.run.RunManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code tuner.commands} with the services' {@link PollLoop} and hands each command to the run it names when
 * this instance trains it ({@link RunManager#deliver}). Every instance must see every command, so the consumer
 * assigns itself all partitions (no group membership, no rebalance), but it keeps its place in a consumer group of
 * its own, {@code trainer-commands-<instance-id>} ({@link #groupId}): offsets are committed after each batch is
 * delivered, and a restarted trainer (the instance id stays the same, see {@code state.InstanceId}) or a consumer
 * set up again after a broker outage goes on from there, so the commands written meanwhile are read. With no
 * committed offset yet (the first start) it starts at the end. Commands for runs this instance does not have are
 * skipped; a command read twice (delivered, then the trainer died before the commit) is applied once per run, as
 * each run's {@link CommandInbox} skips a command id it took already. An unreadable command, or one whose delivery
 * fails, is logged and skipped.
 */
@ApplicationScoped
public class CommandListener {

    private final KafkaClients clients;
    private final RunManager runs;
    private final TrainerSettings settings;
    private final MeterRegistry registry;
    private volatile PollLoop<String, byte[]> loop;

    public CommandListener(KafkaClients clients, RunManager runs, TrainerSettings settings, MeterRegistry registry) {
        this.clients = clients;
        this.runs = runs;
        this.settings = settings;
        this.registry = registry;
    }

    /** The consumer group that keeps this instance's place in {@code tuner.commands}. */
    public static String groupId(String instanceId) {
        return "trainer-commands-" + instanceId;
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.commandsEnabled()) {
            Log.info("tuner commands disabled (trainwatch.trainer.commands-enabled=false)");
            return;
        }
        start();
    }

    /** Starts reading (at start-up; tests that assemble a trainer by hand call it themselves). */
    public synchronized void start() {
        if (loop != null) {
            return;
        }
        Map<String, Object> config = new HashMap<>(clients.consumer(groupId(runs.instanceId()),
                runs.instanceId() + "-commands"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        loop = PollLoop.<String, byte[]>builder("trainer-commands", () -> new KafkaConsumer<>(config))
                .setup(CommandListener::assignAll)
                .handler(r -> {
                    ReadResult<TunerCommand> read = EventCodec.readCommand(r.value());
                    if (!read.isValid()) {
                        throw new PollLoop.Unreadable(read.error());
                    }
                    runs.deliver(read.value());
                })
                .commit(PollLoop.Commit.SYNC, Duration.ofSeconds(10))
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
                .metrics(registry)
                .build().start();
    }

    /**
     * Assigns every partition of {@code tuner.commands}, each positioned at the group's committed offset or, without
     * one, at its end (resolved and committed now, so that no command written after this returns is skipped, even
     * by a restart); false while the topic is not there.
     */
    static boolean assignAll(Consumer<String, byte[]> c) {
        List<PartitionInfo> partitions = c.partitionsFor(Topics.TUNER_COMMANDS, Duration.ofSeconds(5));
        if (partitions == null || partitions.isEmpty()) {
            Log.warnf("topic %s not found yet; retrying", Topics.TUNER_COMMANDS);
            return false;
        }
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        c.assign(tps);
        Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(tps), Duration.ofSeconds(10));
        Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
        for (TopicPartition tp : tps) {
            long position = c.position(tp, Duration.ofSeconds(10));
            if (committed.get(tp) == null) {
                start.put(tp, new OffsetAndMetadata(position));
            }
        }
        if (!start.isEmpty()) {
            // The first start: remember where reading began, so that a restart before any command arrived still
            // reads the ones written while it was down.
            c.commitSync(start, Duration.ofSeconds(10));
        }
        return true;
    }

    /** True once the consumer is positioned on every partition (tests wait for it before writing commands). */
    public boolean isReady() {
        PollLoop<String, byte[]> l = loop;
        return l != null && l.isReady();
    }

    /** Stops reading, after a last commit of what was delivered. */
    public synchronized void stop() {
        PollLoop<String, byte[]> l = loop;
        if (l != null) {
            l.stop();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }
}
