package io.trainwatch.trainer.trial;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Topics;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.Trial;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.service.consume.PollLoop;
import io.trainwatch.trainer.engine.TrainingRun;
import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.run.RunManager;
import io.trainwatch.trainer.config.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A worker of consumer group {@code trainer-workers} on {@code tuner.trials}: runs each trial (its
 * hyperparameters over its study's base configuration, within its budget) with the trial's
 * studyId/trialId/runId on every event, at most {@code trial-concurrency} at once, and commits a trial's
 * offset only once it has finished, so that the trials of a worker that dies go to another worker.
 * While all slots are busy the partitions are paused but still polled, so the worker stays in the group
 * however long a trial trains. A trial whose id is already running here is not started twice, and the
 * trials of a partition taken away in a rebalance are stopped (their new owner runs them). The consumer runs in
 * the services' {@link PollLoop} (reconnecting after a back-off); an unreadable trial is skipped and its offset
 * counts as done. A trial whose run a dead predecessor left unfinished ({@link RunManager#interruptedByRestart}) is not
 * run again: that run was reported failed at this start.
 */
@ApplicationScoped
public class TrialWorker {

    private record Running(TopicPartition tp, long offset, TrainingRun run) {
    }

    private record Done(TopicPartition tp, long offset, String runId) {
    }

    private final KafkaClients clients;
    private final RunManager runs;
    private final TrainerSettings settings;
    private final Clock clock = Clock.systemUTC();
    /** Trials training here, by run id (trial ids repeat across studies: every study has a t000). */
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
    private final OffsetTracker offsets = new OffsetTracker();
    /** Trials stopped because they were handed over (revoked, shutdown): never committed, so another worker reruns them. */
    private final java.util.Set<String> handedOver = ConcurrentHashMap.newKeySet();
    private final MeterRegistry registry;
    private ExecutorService executor;
    private PollLoop<String, byte[]> loop;

    public TrialWorker(KafkaClients clients, RunManager runs, TrainerSettings settings, MeterRegistry registry) {
        this.clients = clients;
        this.runs = runs;
        this.settings = settings;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.trialsEnabled()) {
            Log.info("trial worker disabled (trainwatch.trainer.trials-enabled=false)");
            return;
        }
        int slots = Math.max(1, settings.trialConcurrency());
        executor = Executors.newFixedThreadPool(slots, r -> {
            Thread t = new Thread(r, "trainer-trial");
            t.setDaemon(true);
            return t;
        });
        loop = newLoop(slots).start();
    }

    private PollLoop<String, byte[]> newLoop(int slots) {
        Map<String, Object> config = new HashMap<>(clients.consumer(Topics.TRAINER_WORKERS_GROUP,
                runs.instanceId() + "-trials"));
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        return PollLoop.<String, byte[]>builder("trainer-trials", () -> new KafkaConsumer<>(config))
                .setup(c -> {
                    c.subscribe(List.of(Topics.TUNER_TRIALS), rebalanceListener(c));
                    return true;
                })
                .beforePoll(c -> {
                    commitDone(c);
                    if (running.size() >= slots) {
                        c.pause(c.assignment());
                    } else {
                        c.resume(c.paused());
                    }
                    return true;
                })
                .handler(this::handle)
                .deadLetter((r, e) -> {
                    // skipped: its offset counts as done, so that the partition's commits go on past it
                    Log.warnf("%s trial at %s-%d@%d skipped: %s", e instanceof PollLoop.Unreadable ? "unreadable"
                            : "failing", r.topic(), r.partition(), r.offset(), e.getMessage());
                    done.add(new Done(new TopicPartition(r.topic(), r.partition()), r.offset(), null));
                })
                .commit(PollLoop.Commit.NONE, Duration.ZERO) // a trial's offset is committed once it has finished
                .onClose(this::commitDone)
                .pollTimeout(Duration.ofMillis(200))
                .metrics(registry)
                .build();
    }

    private ConsumerRebalanceListener rebalanceListener(Consumer<String, byte[]> c) {
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                commitDone(c);
                for (Running r : running.values()) {
                    if (partitions.contains(r.tp())) {
                        handedOver.add(r.run().runId());
                        r.run().requestStop("trial handed to another worker (partition revoked)");
                    }
                }
                partitions.forEach(offsets::forget);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                // nothing: positions come from the group's committed offsets
            }
        };
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        offsets.started(tp, record.offset());
        ReadResult<Trial> read = EventCodec.readTrial(record.value());
        if (!read.isValid()) {
            throw new PollLoop.Unreadable(read.error());
        }
        Trial trial = read.value();
        if (runs.interruptedByRestart(trial.runId())) {
            // Its run was reported failed (interrupted) at this start: the tuner has ended the trial and replaces it
            // as it sees fit; a second run under the same id would follow that run's run-finished.
            Log.infof("trial %s (run %s) was interrupted by the restart and reported failed: %s@%d not run again",
                    trial.trialId(), trial.runId(), tp, record.offset());
            done.add(new Done(tp, record.offset(), null));
            return;
        }
        if (running.containsKey(trial.runId())) {
            Log.infof("trial %s (run %s) is already running here: duplicate at %s@%d skipped", trial.trialId(),
                    trial.runId(), tp, record.offset());
            done.add(new Done(tp, record.offset(), null));
            return;
        }
        RunSpec spec;
        try {
            spec = specOf(trial);
        } catch (InvalidConfigException e) {
            Log.warnf("trial %s of study %s has a bad configuration: %s", trial.trialId(), trial.studyId(), e.getMessage());
            runs.publisher().publish(new RunFinished(Contract.SCHEMA_VERSION, trial.runId(), clock.instant(),
                    trial.studyId(), trial.trialId(), RunFinished.FAILED, "invalid trial configuration: " + e.getMessage(),
                    0, 0L));
            done.add(new Done(tp, record.offset(), null));
            return;
        }
        TrainingRun run;
        try {
            run = runs.create(trial.runId(), trial.studyId(), trial.trialId(), spec);
        } catch (IllegalStateException e) {
            Log.infof("trial %s: %s; skipped", trial.trialId(), e.getMessage());
            done.add(new Done(tp, record.offset(), null));
            return;
        }
        running.put(trial.runId(), new Running(tp, record.offset(), run));
        Log.infof("trial %s of study %s starts as run %s (%s)", trial.trialId(), trial.studyId(), trial.runId(),
                trial.hyperparameters());
        executor.execute(() -> {
            try {
                runs.train(run);
            } finally {
                running.remove(trial.runId());
                if (!handedOver.remove(trial.runId())) {
                    done.add(new Done(tp, record.offset(), trial.runId()));
                }
            }
        });
    }

    /** The run spec of a trial: hyperparameters over the base, cut to the budget, steered by its tuner ({@code auto}). */
    public static RunSpec specOf(Trial trial) {
        Map<String, Object> config = Hyperparameters.merge(trial.base(), trial.hyperparameters());
        RunSpec spec = RunSpecParser.parse(config);
        Trial.Budget budget = trial.budget();
        return spec.withBudget(budget.maxSteps(), budget.maxEpochs()).withControl(RunControl.of(RunControl.AUTO));
    }

    private void commitDone(Consumer<String, byte[]> c) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        Done d;
        while ((d = done.poll()) != null) {
            offsets.finished(d.tp(), d.offset());
            commit.put(d.tp(), null);
        }
        if (commit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsetsToCommit = new HashMap<>();
        for (TopicPartition tp : commit.keySet()) {
            Long next = offsets.committable(tp);
            if (next != null && c.assignment().contains(tp)) {
                offsetsToCommit.put(tp, new OffsetAndMetadata(next));
            }
        }
        if (offsetsToCommit.isEmpty()) {
            return;
        }
        try {
            c.commitSync(offsetsToCommit, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            Log.warnf("cannot commit finished trials %s: %s (they may run again)", offsetsToCommit, e.toString());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        for (Running r : running.values()) {
            handedOver.add(r.run().runId());
            r.run().requestStop("trainer shutting down");
        }
        if (loop != null) {
            loop.stop();
        }
        if (executor != null) {
            executor.shutdown();
        }
    }
}
