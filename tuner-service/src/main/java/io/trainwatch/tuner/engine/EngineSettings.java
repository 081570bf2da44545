package io.trainwatch.tuner.engine;

import java.time.Duration;

/**
 * How the study engine runs trials and commands. Defaults and their sources:
 *
 * @param commandConfirmTimeout how long a command may wait for {@code command-applied} before it is sent
 *                              again (ours: 30 s, well above a trainer's step time and broker latency)
 * @param commandMaxAttempts    sends of one command before it is reported unconfirmed (ours: 3, as
 *                              Alertmanager-style bounded retries)
 * @param trialSilenceTimeout   a started trial with no event for this long is declared lost (ours: 10 min)
 * @param narrowTopFraction     share of the trials so far that the next round narrows around (ours: 0.25)
 * @param narrowTopMin          ... but at least this many (ours: 2, so one lucky trial does not decide alone)
 * @param narrowMargin          the narrowed range extends the top trials' span by this share on each side (ours: 0.25)
 * @param narrowMinKeep         a narrowed range keeps at least this share of the previous width (ours: 0.1)
 * @param maxDecisionsPerTrial  decisions kept per trial (oldest dropped; bounds the study document)
 * @param maxStudyDecisions     study-level decisions kept
 * @param maxStudies            studies kept in memory (finished ones evicted first)
 * @param persistInterval       how often progress that needs no immediate write (step counts) is persisted
 * @param workerTrialSlots      the trials the trainer workers are known to run at once, all together (ours: 2,
 *                              one trainer at its defaults: its trial concurrency follows its max-concurrent-runs,
 *                              2); a study asking for more {@code concurrentTrials} is told so when it is created
 */
public record EngineSettings(
        Duration commandConfirmTimeout,
        int commandMaxAttempts,
        Duration trialSilenceTimeout,
        double narrowTopFraction,
        int narrowTopMin,
        double narrowMargin,
        double narrowMinKeep,
        int maxDecisionsPerTrial,
        int maxStudyDecisions,
        int maxStudies,
        Duration persistInterval,
        int workerTrialSlots) {

    /** The trial slots of one trainer at its defaults. */
    public static final int DEFAULT_WORKER_TRIAL_SLOTS = 2;

    public static EngineSettings defaults() {
        return new EngineSettings(Duration.ofSeconds(30), 3, Duration.ofMinutes(10), 0.25, 2, 0.25, 0.1, 32, 200, 500,
                Duration.ofSeconds(5), DEFAULT_WORKER_TRIAL_SLOTS);
    }
}
