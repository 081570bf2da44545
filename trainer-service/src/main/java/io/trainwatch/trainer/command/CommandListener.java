package io.trainwatch.trainer.command;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.trainer.service.RunManager;
import io.trainwatch.trainer.service.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reads {@code tuner.commands} and hands each command to the run it names when this instance trains it.
 * Every instance must see every command, so it assigns itself all partitions (no consumer group) and
 * starts at the end: commands written before it started belong to runs it does not have.
 */
@ApplicationScoped
public class CommandListener {

    private final KafkaClients clients;
    private final RunManager runs;
    private final TrainerSettings settings;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean ready;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public CommandListener(KafkaClients clients, RunManager runs, TrainerSettings settings) {
        this.clients = clients;
        this.runs = runs;
        this.settings = settings;
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.commandsEnabled()) {
            Log.info("tuner commands disabled (trainwatch.trainer.commands-enabled=false)");
            return;
        }
        running = true;
        thread = new Thread(this::loop, "trainer-commands");
        thread.setDaemon(true);
        thread.start();
    }

    /** True once the consumer is positioned on every partition (tests wait for it before writing commands). */
    public boolean isReady() {
        return ready;
    }

    private void loop() {
        Map<String, Object> config = new HashMap<>(clients.consumer("unused", runs.instanceId() + "-commands"));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(config)) {
            consumer = c;
            while (running && !assign(c)) {
                if (stopped.await(2, TimeUnit.SECONDS)) {
                    return;
                }
            }
            while (running) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                    handle(record);
                }
                ready = true;
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Log.errorf(e, "the tuner command consumer stopped");
        }
    }

    private boolean assign(KafkaConsumer<String, byte[]> c) {
        try {
            List<PartitionInfo> partitions = c.partitionsFor(Topics.TUNER_COMMANDS, Duration.ofSeconds(5));
            if (partitions == null || partitions.isEmpty()) {
                Log.warnf("topic %s not found yet; retrying", Topics.TUNER_COMMANDS);
                return false;
            }
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(tps);
            c.seekToEnd(tps);
            for (TopicPartition tp : tps) {
                c.position(tp, Duration.ofSeconds(10)); // resolve now, so that later commands are not skipped
            }
            ready = true;
            return true;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            Log.warnf("broker not reachable for %s; retrying", Topics.TUNER_COMMANDS);
            return false;
        }
    }

    void handle(ConsumerRecord<String, byte[]> record) {
        ReadResult<TunerCommand> read = EventCodec.readCommand(record.value());
        if (!read.isValid()) {
            Log.warnf("unreadable command at %s-%d@%d ignored: %s", record.topic(), record.partition(), record.offset(),
                    read.error());
            return;
        }
        runs.deliver(read.value());
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        stopped.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }
}
