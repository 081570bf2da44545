package io.trainwatch.trainer.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Settings of the trainer service ({@code trainwatch.trainer.*}); each default says where it comes from. */
@ConfigMapping(prefix = "trainwatch.trainer")
public interface TrainerSettings {

    /**
     * Names this instance in client ids and its command consumer's group; default: the one kept in
     * {@code <state-dir>/instance-id}, made up on the first start (so it stays the same across restarts).
     */
    Optional<String> instanceId();

    /**
     * This instance's own state: its instance id and the journal of its runs in progress ({@code runs/}), read at
     * the next start; default {@code .trainwatch/trainer} under the working directory (the repo root), beside the
     * checkpoints. Two trainers must not share it.
     */
    @WithDefault(".trainwatch/trainer")
    String stateDir();

    /**
     * Folder for JavaCPP's unpacked native libraries ({@code javacpp/}, ~400 MB) and DL4J's resources
     * ({@code dl4j/}) unless {@code -Dorg.bytedeco.javacpp.cachedir} / {@code -Dorg.deeplearning4j.resources.directory}
     * are given; default {@code .trainwatch} under the working directory (the repo root), so that
     * the libraries are unpacked once per checkout rather than into the home folder.
     */
    @WithDefault(".trainwatch")
    String nativeDir();

    /** Where model+updater checkpoints go; default {@code .trainwatch/checkpoints} under the working directory (the repo root). */
    @WithDefault(".trainwatch/checkpoints")
    String checkpointDir();

    /**
     * Events the telemetry queue holds before it drops the oldest steps: 10,000 is ~10 s of one run at
     * 1 ms/step (the reference MLP measured 1.2-1.5 ms per step), ~10 MB of events at most.
     */
    @WithDefault("10000")
    int queueCapacity();

    /** Extra room for kept events (run-started, validation, command-applied, run-finished) when full of them. */
    @WithDefault("2000")
    int queueReserve();

    /**
     * The longest one producer {@code send} may block the publisher thread (Kafka's default of 60 s would
     * stall the publisher behind a dead broker); 1 s keeps retries prompt once it returns.
     */
    @WithDefault("PT1S")
    Duration publisherMaxBlock();

    /**
     * Where telemetry goes while the broker is away (sent in order once it is back): a spill of this instance
     * under this folder (its {@code instance-id}, else {@code trainer}, and a hash of the broker address), so a
     * restarted trainer sends what the previous one left. Default {@code .trainwatch/spill} under the working
     * directory, next to the checkpoints.
     */
    @WithDefault(".trainwatch/spill")
    String spillDir();

    /**
     * The most bytes the spill takes on disk; steps beyond it are dropped and counted; 0 turns spilling off.
     * 256 MiB is ~500,000 step events (about 500 bytes each): over 8 minutes of a run at 1 ms per step.
     */
    @WithDefault("268435456")
    long spillMaxBytes();

    /** Runs started through the REST API that train at once (2 cores here: one run per core). */
    @WithDefault("2")
    int maxConcurrentRuns();

    /** Runs accepted and waiting for a free slot beyond that; more is a 503. */
    @WithDefault("16")
    int maxQueuedRuns();

    /**
     * Trials this instance runs at once as a worker of {@code trainer-workers}; default: as many as
     * {@code max-concurrent-runs} (one per core here), so that a study's {@code concurrentTrials} up to that number
     * is what one trainer gives it without a setting by hand.
     */
    @WithDefault("${trainwatch.trainer.max-concurrent-runs:2}")
    int trialConcurrency();

    /** Whether this instance takes trials from {@code tuner.trials}. */
    @WithDefault("true")
    boolean trialsEnabled();

    /** Whether this instance obeys {@code tuner.commands}. */
    @WithDefault("true")
    boolean commandsEnabled();

    /** Applied command ids remembered per run for idempotence (a run sees a few commands; 1024 is ample). */
    @WithDefault("1024")
    int rememberedCommands();

    /** Finished runs kept for {@code GET /runs} (older ones are forgotten; their events stay on Kafka). */
    @WithDefault("200")
    int finishedRunsKept();
}
