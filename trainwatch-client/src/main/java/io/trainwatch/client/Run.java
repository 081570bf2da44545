package io.trainwatch.client;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One training run of a program, opened by {@link TrainwatchClient#run}: it publishes the run's events (never
 * blocking) and holds the commands addressed to it until the training loop takes them at a step boundary
 * ({@link #pollCommand()} or {@link #applyPending}). Reporting methods are for the training thread; commands
 * arrive on the client's consumer thread. {@link #close()} publishes {@code run-finished} (completed, or stopped
 * after a stop command) unless {@link #finish} did.
 */
public final class Run implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Run.class.getName());

    private final TelemetrySink sink;
    private final Clock clock;
    /** What finishing the run does to its inbox (the client also stops routing commands to it). */
    private final Consumer<CommandInbox> onFinish;
    private final String runId;
    private final String studyId;
    private final String trialId;
    private final CommandInbox inbox;
    private volatile String stopReason;
    private volatile boolean finished;
    private volatile long lastStep = -1;
    private volatile Double lastLoss;

    Run(TrainwatchClient client, String runId, String studyId, String trialId, CommandInbox inbox) {
        this(client.sink(), client.clock(), client::unregister, runId, studyId, trialId, inbox);
    }

    private Run(TelemetrySink sink, Clock clock, Consumer<CommandInbox> onFinish, String runId, String studyId,
                String trialId, CommandInbox inbox) {
        this.sink = sink;
        this.clock = clock;
        this.onFinish = onFinish;
        this.runId = runId;
        this.studyId = studyId;
        this.trialId = trialId;
        this.inbox = inbox;
    }

    /**
     * A run whose events go to {@code sink} and whose commands are handed to it with {@link #submit} by its owner
     * (a service that routes commands to its runs itself), instead of by a {@link TrainwatchClient}'s consumer.
     * Finishing it closes {@code inbox}.
     */
    public static Run of(String runId, String studyId, String trialId, TelemetrySink sink, Clock clock,
                         CommandInbox inbox) {
        if (!runId.equals(inbox.runId())) {
            throw new IllegalArgumentException("inbox of run " + inbox.runId() + " for run " + runId);
        }
        return new Run(sink, clock, CommandInbox::close, runId, studyId, trialId, inbox);
    }

    public String runId() {
        return runId;
    }

    public String studyId() {
        return studyId;
    }

    public String trialId() {
        return trialId;
    }

    /** Publishes {@code run-started}: what the program knows of its configuration, and how it may be steered. */
    public void started(RunConfig config, RunControl control) {
        started(config, control, null, null);
    }

    /** Publishes {@code run-started} with the backend ({@code nd4j-native}) and device it trains on. */
    public void started(RunConfig config, RunControl control, String backend, String device) {
        publish(new RunStarted(Contract.SCHEMA_VERSION, runId, now(), studyId, trialId, config, backend, device,
                control));
    }

    /** Publishes a {@code step} with the loss and what else is known (null: unknown). */
    public void step(long step, int epoch, double loss, Double accuracy, Double learningRate) {
        step(step, epoch, loss, accuracy, learningRate, null, null, null, null, null, null);
    }

    /** Publishes a full {@code step}; per-layer maps are ordered input to output, null fields are left out. */
    public void step(long step, int epoch, double loss, Double accuracy, Double learningRate, Double gradientNorm,
                     Map<String, Double> layerGradientNorms, Map<String, Double> parameterNorms,
                     Map<String, Double> updateRatios, Double stepMillis, Double examplesPerSecond) {
        lastStep = step;
        lastLoss = loss;
        publish(new StepEvent(Contract.SCHEMA_VERSION, runId, now(), studyId, trialId, step, epoch, loss, accuracy,
                learningRate, gradientNorm, layerGradientNorms, parameterNorms, updateRatios, stepMillis,
                examplesPerSecond));
    }

    /** Publishes a {@code validation} measured after {@code step}. */
    public void validation(long step, int epoch, Double trainLoss, Double trainAccuracy, Double validationLoss,
                           Double validationAccuracy) {
        publish(new ValidationEvent(Contract.SCHEMA_VERSION, runId, now(), studyId, trialId, step, epoch, trainLoss,
                trainAccuracy, validationLoss, validationAccuracy));
    }

    /** Publishes any contract event of this run (it must carry this run's id). */
    public void publish(TrainingEvent event) {
        if (!runId.equals(event.runId())) {
            throw new IllegalArgumentException("event of run " + event.runId() + " published on run " + runId);
        }
        try {
            sink.publish(event);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "telemetry rejected a " + event.type() + " event", e);
        }
    }

    /**
     * The next command to apply (never a suggestion, never a duplicate), or null. The caller applies it and
     * confirms it with {@link #confirm}. A {@code stop} also sets {@link #stopRequested()}.
     */
    public TunerCommand pollCommand() {
        TunerCommand c = inbox.poll();
        if (c != null && TunerCommand.STOP.equals(c.type())) {
            requestStop("stopped by command " + c.commandId() + ": " + c.reason());
        }
        return c;
    }

    /** Whether a command may be waiting (a cheap check for the training loop). */
    public boolean hasPendingCommand() {
        return inbox.hasPending();
    }

    /**
     * Applies every waiting command with {@code handler} (training thread, between two steps) and confirms each
     * with {@code command-applied} at {@code step}, the first step that runs under it. Returns how many.
     */
    public int applyPending(long step, CommandHandler handler) {
        int n = 0;
        TunerCommand c;
        while ((c = pollCommand()) != null) {
            Map<String, Object> details;
            try {
                details = handler.apply(c);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "command " + c.commandId() + " of run " + runId + " could not be applied", e);
                continue;
            }
            confirm(c, step, details);
            n++;
        }
        return n;
    }

    /** Publishes {@code command-applied} for a command applied before {@code step}, with the reason and alert id. */
    public void confirm(TunerCommand command, long step, Map<String, Object> details) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (details != null) {
            d.putAll(details);
        }
        d.put("reason", command.reason());
        if (command.alertId() != null) {
            d.put("alertId", command.alertId());
        }
        publish(new CommandApplied(Contract.SCHEMA_VERSION, runId, now(), studyId, trialId, command.commandId(),
                step, command.type(), d));
    }

    /** Hands a command to this run directly (a local stop button): the same path as one read from Kafka. */
    public boolean submit(TunerCommand command) {
        return inbox.offer(command);
    }

    /** Asks the training loop to stop (what a {@code stop} command does). */
    public void requestStop(String reason) {
        if (stopReason == null) {
            stopReason = reason;
        }
    }

    /** True once a stop was asked for; the loop should end and {@link #close()} reports {@code stopped}. */
    public boolean stopRequested() {
        return stopReason != null;
    }

    public String stopReason() {
        return stopReason;
    }

    /** The last step reported, or -1. */
    public long lastStep() {
        return lastStep;
    }

    /** The last loss reported, or null. */
    public Double lastLoss() {
        return lastLoss;
    }

    public boolean isFinished() {
        return finished;
    }

    /**
     * Publishes {@code run-finished} once ({@code completed}, {@code stopped}, {@code diverged} or {@code failed})
     * with the index of the last step done, and stops taking commands. The events this run lost are added to
     * {@code droppedEvents} by the publisher. Later calls do nothing.
     */
    public synchronized void finish(String status, String reason, long lastStep) {
        if (finished) {
            return;
        }
        finished = true;
        onFinish.accept(inbox);
        publish(new RunFinished(Contract.SCHEMA_VERSION, runId, now(), studyId, trialId, status, reason,
                Math.max(0, lastStep), 0L));
    }

    /** Finishes the run unless done: {@code stopped} after a stop, else {@code completed}, at the last step reported. */
    @Override
    public void close() {
        if (stopRequested()) {
            finish(RunFinished.STOPPED, stopReason, lastStep);
        } else {
            finish(RunFinished.COMPLETED, "closed by the program", lastStep);
        }
    }

    private java.time.Instant now() {
        return clock.instant();
    }
}
