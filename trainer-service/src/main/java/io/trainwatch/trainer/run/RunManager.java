package io.trainwatch.trainer.run;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.service.KafkaClients;
import io.trainwatch.trainer.backend.NativeDirs;
import io.trainwatch.trainer.config.TrainerSettings;
import io.trainwatch.trainer.engine.RunView;
import io.trainwatch.trainer.engine.TrainingRun;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.client.EventBuffer;
import io.trainwatch.client.KafkaEventPublisher;
import io.trainwatch.client.SpillFile;
import io.trainwatch.client.TelemetrySink;
import io.trainwatch.trainer.telemetry.MicrometerPublisherMetrics;
import io.trainwatch.trainer.state.InstanceId;
import io.trainwatch.trainer.state.Interruptions;
import io.trainwatch.trainer.state.RunJournal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Owns this instance's runs: starts them on its training threads, routes tuner commands to them, keeps a
 * bounded history for the REST API, and owns the one telemetry publisher all runs share. Its runs in progress are
 * kept in a {@link RunJournal} under the state dir until the broker has acknowledged their {@code run-finished}; at
 * start, before any new run, the runs a dead predecessor left there get their {@code run-finished}
 * ({@link Interruptions}).
 */
@ApplicationScoped
public class RunManager {

    private final TrainerSettings settings;
    private final MeterRegistry registry;
    private final String instanceId;
    private final KafkaEventPublisher publisher;
    private final ExecutorService restRuns;
    private final Clock clock = Clock.systemUTC();
    /** Runs by id, oldest first; finished ones beyond {@code finishedRunsKept} are forgotten. */
    private final Map<String, TrainingRun> runs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final RunJournal journal;
    /** What the runs publish to: the shared publisher, with each run's run-finished recorded in the journal first. */
    private final TelemetrySink runSink;
    /** The runs a dead predecessor left unfinished (or finished, not acknowledged), reported at this start. */
    private final Set<String> interrupted;

    public RunManager(TrainerSettings settings, KafkaClients clients, MeterRegistry registry) {
        NativeDirs.configure(Path.of(settings.nativeDir()));
        this.settings = settings;
        this.registry = registry;
        Path stateDir = Path.of(settings.stateDir());
        this.instanceId = InstanceId.resolve(settings.instanceId(), stateDir);
        EventBuffer buffer = new EventBuffer(settings.queueCapacity(), settings.queueReserve());
        Map<String, Object> producer = clients.producer(instanceId + "-events");
        SpillFile spill = SpillFile.openOrNull(Path.of(settings.spillDir()), SpillFile.directoryName(
                settings.instanceId().orElse("trainer"), String.valueOf(producer.get("bootstrap.servers"))),
                settings.spillMaxBytes());
        this.publisher = new KafkaEventPublisher(producer, Topics.TRAINING_EVENTS, buffer,
                settings.publisherMaxBlock(), new MicrometerPublisherMetrics(registry, buffer), spill);
        this.restRuns = new ThreadPoolExecutor(settings.maxConcurrentRuns(), settings.maxConcurrentRuns(), 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(Math.max(1, settings.maxQueuedRuns())), r -> {
            Thread t = new Thread(r, "trainer-run");
            t.setDaemon(true);
            return t;
        });
        this.journal = new RunJournal(stateDir.resolve("runs"));
        publisher.onRunFinishedAcknowledged(journal::acknowledged);
        this.runSink = event -> {
            if (event instanceof RunFinished finished) {
                journal.ended(finished);
            }
            publisher.publish(event);
        };
        this.interrupted = Interruptions.report(journal, publisher, clock);
        journal.trackProgress(this::activeSteps, Duration.ofSeconds(5));
    }

    public String instanceId() {
        return instanceId;
    }

    public KafkaEventPublisher publisher() {
        return publisher;
    }

    /** A new run id: {@code run-} and 12 hex digits. */
    public static String newRunId() {
        return "run-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Creates a run (not started) that publishes through the shared publisher and has its own gauges. */
    public TrainingRun create(String runId, String studyId, String trialId, RunSpec spec) {
        RunGauges gauges = new RunGauges(registry, runId);
        TrainingRun run = new TrainingRun(runId, studyId, trialId, spec, runSink, gauges, clock,
                Path.of(settings.checkpointDir()), settings.rememberedCommands());
        synchronized (runs) {
            TrainingRun existing = runs.get(runId);
            if (existing != null && !existing.isFinished()) {
                gauges.remove();
                throw new IllegalStateException("run " + runId + " is already in progress");
            }
            runs.remove(runId);
            runs.put(runId, run);
            forgetOldFinished();
        }
        journal.started(runId, studyId, trialId, clock.instant());
        return run;
    }

    /**
     * Trains a created run on the calling thread. It leaves the run journal once the broker has acknowledged its
     * {@code run-finished} (the publisher tells the journal), not before.
     */
    public void train(TrainingRun run) {
        run.run();
    }

    /**
     * Whether a run of this id was left by this trainer's predecessor, unfinished or with its {@code run-finished}
     * not acknowledged, and reported at this start: it is over and must not train again under this id.
     */
    public boolean interruptedByRestart(String runId) {
        return interrupted.contains(runId);
    }

    /** The last step done of each run in the journal that this instance trains (-1: none yet). */
    private Map<String, Long> activeSteps() {
        Map<String, Long> steps = new LinkedHashMap<>();
        for (String id : journal.activeRunIds()) {
            TrainingRun run = runs.get(id);
            if (run != null && !run.isFinished()) {
                RunView v = run.view();
                steps.put(id, v.loss() == null ? -1L : v.step());
            }
        }
        return steps;
    }

    /** Starts a REST run on the run pool; throws {@link RejectedExecutionException} when the pool and its queue are full. */
    public TrainingRun startRest(String runId, RunSpec spec) {
        TrainingRun run = create(runId, null, null, spec);
        try {
            restRuns.execute(() -> train(run));
        } catch (RejectedExecutionException e) {
            runs.remove(runId);
            journal.finished(runId);
            throw e;
        }
        return run;
    }

    public Optional<TrainingRun> find(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** Every known run, newest first. */
    public List<RunView> views() {
        List<TrainingRun> copy;
        synchronized (runs) {
            copy = new ArrayList<>(runs.values());
        }
        Collections.reverse(copy);
        return copy.stream().map(TrainingRun::view).toList();
    }

    /** Hands a tuner command to the run it names, if this instance owns it and it is in progress; never a suggestion. */
    public boolean deliver(TunerCommand command) {
        if (command.isSuggestion()) {
            Log.debugf("suggestion %s for run %s: for its owner to read, never applied", command.commandId(),
                    command.runId());
            return false;
        }
        TrainingRun run = runs.get(command.runId());
        if (run == null || run.isFinished()) {
            Log.debugf("command %s for run %s: not a run in progress here, ignored", command.commandId(), command.runId());
            return false;
        }
        boolean accepted = run.submit(command);
        if (accepted) {
            Log.infof("command %s (%s) queued for run %s", command.commandId(), command.type(), command.runId());
        }
        return accepted;
    }

    /** Stops a run through the same path as a tuner {@code stop} command; false when unknown or finished. */
    public boolean stop(String runId, String reason) {
        TrainingRun run = runs.get(runId);
        if (run == null || run.isFinished()) {
            return false;
        }
        return run.submit(new TunerCommand(Contract.SCHEMA_VERSION, "rest-stop-" + UUID.randomUUID(), runId,
                TunerCommand.STOP, null, reason, null, clock.instant(), run.studyId(), run.trialId()));
    }

    private void forgetOldFinished() {
        long finished = runs.values().stream().filter(TrainingRun::isFinished).count();
        Iterator<TrainingRun> it = runs.values().iterator();
        while (finished > settings.finishedRunsKept() && it.hasNext()) {
            if (it.next().isFinished()) {
                it.remove();
                finished--;
            }
        }
    }

    /** Makes the manager at start-up (not at the first request), so that the interrupted runs are reported now. */
    void onStart(@Observes StartupEvent event) {
        Log.debugf("trainer %s: %d interrupted run(s) reported", instanceId, interrupted.size());
    }

    void onStop(@Observes ShutdownEvent event) {
        synchronized (runs) {
            for (TrainingRun run : runs.values()) {
                run.requestStop("trainer shutting down");
            }
        }
        restRuns.shutdown();
        try {
            restRuns.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publisher.close();
        // Runs that have not ended by now, and those whose run-finished the broker has not acknowledged, stay in the
        // journal: the next start reports them.
        journal.close();
    }

    /** Whether a finished run ended with one of {@link RunFinished#STATUSES}. */
    static boolean isTerminal(String status) {
        return RunFinished.STATUSES.contains(status);
    }
}
