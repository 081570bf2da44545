package io.trainwatch.tuner;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.trainwatch.tuner.engine.EngineSettings;
import io.trainwatch.tuner.engine.SteerSettings;
import io.trainwatch.tuner.policy.PolicySettings;

import java.time.Duration;
import java.util.Optional;

/**
 * The tuner's settings ({@code trainwatch.tuner.*}, or {@code TRAINWATCH_TUNER_*} in the environment). Each
 * default names its source; see {@link PolicySettings} and {@link EngineSettings} for the reasons. The former
 * names ({@code tuner.*}, {@code TUNER_*}) still work, with a deprecation warning ({@link LegacyTunerKeys}).
 */
@ConfigMapping(prefix = "trainwatch.tuner")
public interface TunerConfig {

    /** The compacted topic of study documents (key = study id). */
    @WithDefault("tuner.studies")
    String studiesTopic();

    /** Consumer group of the tuner on training.alerts and training.events. */
    @WithDefault("tuner")
    String consumerGroup();

    @WithDefault("200ms")
    Duration pollTimeout();

    /** How long a write to Kafka may take before it is retried. */
    @WithDefault("10s")
    Duration sendTimeout();

    /** Pause before trying again when Kafka cannot be reached. */
    @WithDefault("2s")
    Duration retryBackoff();

    /**
     * This instance's name among the tuners of its consumer group, shown by a standby as the active one's (default:
     * the host name and the HTTP port).
     */
    Optional<String> instanceId();

    /**
     * Session timeout of the tuner's consumer groups, the election's and the input's (classic group protocol): how
     * long a killed active instance holds them before a standby takes over. Ours: 6 s (Kafka's default, 45 s, would
     * make a takeover take most of a minute); heartbeats every quarter of it.
     */
    @WithDefault("6s")
    Duration sessionTimeout();

    Plateau plateau();

    Remedy remedy();

    Command command();

    Search search();

    Steer steer();

    /** Trials with no event for this long are lost (ours: 10 min). */
    @WithDefault("10m")
    Duration trialSilenceTimeout();

    /** Studies kept in memory, finished ones evicted first. */
    @WithDefault("500")
    int maxStudies();

    /**
     * The trials the trainer workers run at once, all together, as far as this tuner knows (ours: 2, one trainer at
     * its defaults); a study asking for more {@code concurrentTrials} gets a warning when it is created.
     */
    @WithDefault("2")
    int workerTrialSlots();

    interface Plateau {
        /** Keras ReduceLROnPlateau factor. */
        @WithDefault("0.1")
        double factor();

        /** Keras cooldown is 0 epochs; ours 50 steps because the detector sees every step. */
        @WithDefault("50")
        long cooldownSteps();

        /** Keras min_lr is 0; a set-learning-rate command needs a rate > 0. */
        @WithDefault("1e-6")
        double minLearningRate();

        /** Keras min_delta. */
        @WithDefault("1e-4")
        double minImprovement();

        /** Ours: stop after two decays that brought nothing. */
        @WithDefault("2")
        int maxDecaysWithoutImprovement();

        /** Ours: after lr-decayed-too-early, the cooldown doubles. */
        @WithDefault("2.0")
        double tooEarlyWaitFactor();

        /**
         * No decay on a plateau alert while the trial's validation objective still improves; deferred and
         * reconsidered at the next validation. Keras ReduceLROnPlateau monitors val_loss by default.
         */
        @WithDefault("true")
        boolean deferWhileValidationImproves();

        /** Ours: "still improving" = the best rose at one of the last 3 validations (Keras patience: 10 epochs). */
        @WithDefault("3")
        int validationPatience();

        /** Keras min_delta: the least rise of the validation objective that counts. */
        @WithDefault("1e-4")
        double validationMinDelta();
    }

    interface Remedy {
        /** Ours: the ceiling drops to half the diverging rate. */
        @WithDefault("0.5")
        double divergenceCeilingFactor();

        /** Keras factor 0.1: a remedy trial for divergence trains at a tenth of the rate. */
        @WithDefault("0.1")
        double learningRateFactor();

        /** Ours: one decade more L2 against overfitting. */
        @WithDefault("10")
        double overfitL2Factor();

        /** Ours: 0.2 more dropout against overfitting. */
        @WithDefault("0.2")
        double overfitDropoutStep();

        /** Ours: favoured choices are drawn in 80 % of samples. */
        @WithDefault("0.8")
        double favourShare();

        /** Ours: a remedy never cuts a range below a quarter of its width. */
        @WithDefault("0.25")
        double minRangeKeep();

        /** Ours (BTTackler's diagnosis-driven termination): the alert comes only after the loss was flat for the
         *  plateau's patience at an accuracy below 0.7, and the model or its regularisation is what is wrong; in the
         *  benchmark such trials stayed at their accuracy of step 8 until step 600 (false only steers later trials). */
        @WithDefault("true")
        boolean stopOnUnderfitting();
    }

    interface Command {
        /** Ours: well above a step time and broker latency. */
        @WithDefault("30s")
        Duration confirmTimeout();

        /** Ours: bounded retries, as Alertmanager's notifiers. */
        @WithDefault("3")
        int maxAttempts();
    }

    interface Search {
        @WithDefault("0.25")
        double narrowTopFraction();

        @WithDefault("2")
        int narrowTopMin();

        @WithDefault("0.25")
        double narrowMargin();

        @WithDefault("0.1")
        double narrowMinKeep();
    }

    /** Steering of runs outside the studies that declare control auto or suggest (see {@link SteerSettings}). */
    interface Steer {
        /** Ours: bounds memory and the studies topic; a run document is a few kB. */
        @WithDefault("1000")
        int maxRuns();

        /** Ours: long enough to read a finished run's decisions over REST. */
        @WithDefault("1h")
        Duration finishedRetention();

        /** Ours: alerts read before their run's run-started, kept until it comes. */
        @WithDefault("256")
        int maxEarlyAlerts();
    }

    default SteerSettings steerSettings() {
        return new SteerSettings(steer().maxRuns(), steer().finishedRetention(), steer().maxEarlyAlerts());
    }

    default PolicySettings policySettings() {
        return new PolicySettings(plateau().factor(), plateau().cooldownSteps(), plateau().minLearningRate(),
                plateau().minImprovement(), plateau().maxDecaysWithoutImprovement(), plateau().tooEarlyWaitFactor(),
                remedy().divergenceCeilingFactor(), remedy().learningRateFactor(), remedy().overfitL2Factor(),
                remedy().overfitDropoutStep(), remedy().favourShare(), remedy().minRangeKeep(),
                remedy().stopOnUnderfitting(), plateau().deferWhileValidationImproves(), plateau().validationPatience(),
                plateau().validationMinDelta());
    }

    default EngineSettings engineSettings() {
        EngineSettings d = EngineSettings.defaults();
        return new EngineSettings(command().confirmTimeout(), command().maxAttempts(), trialSilenceTimeout(),
                search().narrowTopFraction(), search().narrowTopMin(), search().narrowMargin(), search().narrowMinKeep(),
                d.maxDecisionsPerTrial(), d.maxStudyDecisions(), maxStudies(), d.persistInterval(), workerTrialSlots());
    }
}
