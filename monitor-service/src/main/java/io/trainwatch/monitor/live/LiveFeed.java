package io.trainwatch.monitor.live;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.consume.PollLoop;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Feeds the live page: its own {@link KafkaConsumer} (no consumer group) is assigned every partition of
 * {@code training.events}, {@code training.alerts}, {@code tuner.commands}, {@code tuner.trials} and
 * {@code tuner.studies}, starting at now minus {@code trainwatch.live.lookback}, so that every monitor instance's
 * page shows every run, not only its Kafka Streams partitions; records go into the {@link LiveStore}. A
 * second thread pushes what changed every {@code push-interval} to the pages' event streams. Both threads run
 * apart from the detectors, log any error and go on (the reading one in a {@link PollLoop}: a record it cannot
 * apply is skipped, a lost broker means a new consumer after a back-off, going on where the last one stopped); a
 * slow page drops pushes (and reloads) rather than holding anything up.
 */
@ApplicationScoped
public class LiveFeed {

    /** The topics the page shows. */
    public static final List<String> TOPICS = List.of(Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS,
            Topics.TUNER_COMMANDS, Topics.TUNER_TRIALS, Topics.TUNER_STUDIES);

    private final LiveConfig config;
    private final KafkaClients kafka;
    private final Clock clock = Clock.systemUTC();
    private final LiveStore store;
    private final BroadcastProcessor<LiveStore.Delta> pushes = BroadcastProcessor.create();
    private final BroadcastProcessor<TunerCommand> suggestions = BroadcastProcessor.create();
    private final AtomicInteger clients = new AtomicInteger();
    private final MeterRegistry registry;
    private PollLoop<String, byte[]> loop;
    private ScheduledExecutorService ticker;
    private volatile boolean caughtUp;

    public LiveFeed(LiveConfig config, KafkaClients kafka, MeterRegistry registry) {
        this.config = config;
        this.kafka = kafka;
        this.store = new LiveStore(config, clock);
        this.registry = registry;
        FunctionCounter.builder("monitor.live.records", store, LiveStore::records)
                .description("Records read by the live page's feed").register(registry);
        FunctionCounter.builder("monitor.live.skipped", store, LiveStore::skipped)
                .description("Unreadable records the live page's feed skipped").register(registry);
        Gauge.builder("monitor.live.runs", store, LiveStore::runCount).description("Runs on the live page")
                .register(registry);
        Gauge.builder("monitor.live.clients", clients, AtomicInteger::get)
                .description("Browsers on the live page's event stream").register(registry);
    }

    /** The tuner's suggestions ({@code mode: suggest}) as they are read, after the look-back (for {@code ./trainwatch alerts}). */
    public Multi<TunerCommand> suggestions() {
        return suggestions;
    }

    public LiveStore store() {
        return store;
    }

    /** Whether the feed has assigned its partitions and read up to where it started (then it follows). */
    public boolean caughtUp() {
        return caughtUp;
    }

    void start(@Observes StartupEvent event) {
        if (!config.enabled()) {
            Log.info("Live page feed disabled (trainwatch.live.enabled=false)");
            return;
        }
        loop = newLoop().start();
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trainwatch-live-push");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(50, config.pushInterval().toMillis());
        ticker.scheduleWithFixedDelay(this::push, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.stop();
        }
        if (ticker != null) {
            ticker.shutdownNow();
        }
        try {
            if (ticker != null) {
                ticker.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS); // no push() beside onComplete()
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pushes.onComplete();
    }

    /**
     * The event stream of one page: a {@code hello} with the current sequence number, then every push as JSON
     * (points only for {@code runId}). A page that does not keep up loses pushes, sees the gap in {@code seq}
     * and reloads: nothing is buffered for it.
     */
    public Multi<String> stream(String runId) {
        Multi<String> hello = Multi.createFrom().item(() -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "hello");
            m.put("seq", store.seq());
            return LiveJson.write(m);
        });
        Multi<String> live = pushes.onOverflow().drop().map(d -> d.json(runId));
        return Multi.createBy().concatenating().streams(hello, live)
                .onSubscription().invoke(() -> clients.incrementAndGet())
                .onTermination().invoke(() -> clients.decrementAndGet());
    }

    void push() {
        try {
            LiveStore.Delta d = store.drain();
            if (d != null) {
                pushes.onNext(d);
            }
        } catch (RuntimeException e) {
            Log.warnf(e, "Live page push failed; the next one goes on");
        }
    }

    private PollLoop<String, byte[]> newLoop() {
        return PollLoop.<String, byte[]>builder("trainwatch-live-feed", () -> new KafkaConsumer<>(consumerConfig()))
                .setup(c -> {
                    assigned.clear(); // a new consumer: assign again (where the last one stopped)
                    nextCheck = 0;
                    startEnds = null;
                    return true;
                })
                .beforePoll(this::assignWhenDue)
                .handler(this::apply)
                .deadLetter((r, e) -> Log.warnf(e, "Live page skipped a record of %s-%d@%d", r.topic(), r.partition(),
                        r.offset()))
                .afterBatch(this::afterBatch)
                .commit(PollLoop.Commit.NONE, Duration.ZERO)
                .backoff(Duration.ofSeconds(1), Duration.ofSeconds(30))
                .idle(Duration.ofMillis(500))
                .metrics(registry)
                .build();
    }

    /** The next offset of every partition read so far, kept across reconnects (feed thread only; 5 topics' partitions). */
    private final Map<TopicPartition, Long> resumeAt = new HashMap<>();
    /** What the current consumer is assigned, when it looks for new partitions next, and the ends it started from. */
    private final Set<TopicPartition> assigned = new HashSet<>();
    private long nextCheck;
    private Map<TopicPartition, Long> startEnds;

    /** Assigns new partitions when it is time to look; false while there is nothing to poll. */
    private boolean assignWhenDue(Consumer<String, byte[]> c) {
        if (System.currentTimeMillis() >= nextCheck) {
            List<TopicPartition> added = assignNew(c, assigned);
            if (!added.isEmpty() && startEnds == null) {
                startEnds = c.endOffsets(added, Duration.ofSeconds(10));
            }
            // Every topic there: look again rarely (new partitions); some missing: soon.
            nextCheck = System.currentTimeMillis() + (missingTopics(assigned) ? 5_000 : 60_000);
        }
        return !assigned.isEmpty();
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        store.apply(r.topic(), r.key(), r.value());
        if (caughtUp && Topics.TUNER_COMMANDS.equals(r.topic()) && r.value() != null) {
            ReadResult<TunerCommand> command = EventCodec.readCommand(r.value());
            if (command.isValid() && command.value().isSuggestion()) {
                suggestions.onNext(command.value());
            }
        }
    }

    private void afterBatch(Consumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> of = records.records(tp);
            resumeAt.put(tp, of.get(of.size() - 1).offset() + 1);
        }
        if (!caughtUp && startEnds != null && startEnds.entrySet().stream()
                .allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
            caughtUp = true;
            Log.infof("Live page feed caught up: %s", store.stats());
        }
    }

    /**
     * Assigns the partitions not assigned yet, each where a previous consumer of this feed stopped, else from now minus
     * the lookback; returns them.
     */
    private List<TopicPartition> assignNew(Consumer<String, byte[]> c, Set<TopicPartition> assigned) {
        List<TopicPartition> added = new ArrayList<>();
        Map<String, List<PartitionInfo>> topics = c.listTopics(Duration.ofSeconds(10));
        for (String topic : TOPICS) {
            List<PartitionInfo> infos = topics.get(topic);
            if (infos == null) {
                continue;
            }
            for (PartitionInfo p : infos) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                if (!assigned.contains(tp)) {
                    added.add(tp);
                }
            }
        }
        if (added.isEmpty()) {
            return added;
        }
        assigned.addAll(added);
        c.assign(assigned);
        long from = clock.millis() - config.lookback().toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        added.forEach(tp -> query.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(query, Duration.ofSeconds(10));
        List<TopicPartition> toEnd = new ArrayList<>();
        for (TopicPartition tp : added) {
            OffsetAndTimestamp o = offsets.get(tp);
            Long resume = resumeAt.get(tp);
            if (resume != null) {
                c.seek(tp, resume); // a reconnect goes on where the last consumer stopped, not 6 h back
            } else if (o == null) {
                toEnd.add(tp); // nothing newer than the lookback
            } else {
                c.seek(tp, o.offset());
            }
        }
        if (!toEnd.isEmpty()) {
            c.seekToEnd(toEnd);
        }
        Log.infof("Live page feed reads %d partitions from %s (lookback %s)", added.size(),
                java.time.Instant.ofEpochMilli(from), config.lookback());
        return added;
    }

    private static boolean missingTopics(Set<TopicPartition> assigned) {
        Set<String> have = new HashSet<>();
        assigned.forEach(tp -> have.add(tp.topic()));
        return !have.containsAll(TOPICS);
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> c = new HashMap<>(kafka.consumer("unused", "trainwatch-live-feed"));
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Alerts are written in exactly-once transactions: show only committed ones.
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        // A study document may reach a few MB (tuner.studies allows 8 MiB messages).
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024 + 1024);
        return c;
    }
}
