package io.trainwatch.monitor.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * Every threshold of the monitor, under {@code trainwatch.monitor.*}; each default names its source:
 * AUTOTRAINER (ICSE 2021), SageMaker Debugger, Keras/PyTorch callbacks,
 * DL4J's UI guidance, CS231n, or "ours" where we chose it on the trainer's real runs. Longer than most files on
 * purpose: it is the one table of the detectors' settings, one nested interface per detector, so that every
 * threshold and the source of its default are found in one place.
 */
@ConfigMapping(prefix = "trainwatch.monitor")
public interface MonitorConfig {

    /** Smoothing of the training loss shared by the loss-based detectors. */
    Smoothing smoothing();

    VanishingGradients vanishingGradients();

    ExplodingGradients explodingGradients();

    Divergence divergence();

    Plateau plateau();

    LrDecayedTooEarly lrDecayedTooEarly();

    Overfitting overfitting();

    Underfitting underfitting();

    BadInitialization badInitialization();

    Runs runs();

    Streams streams();

    /** The Kafka Streams application. */
    interface Streams {
        /** Start the topology with the service (off for tests that drive it themselves). */
        @WithDefault("true")
        boolean enabled();

        /** Kafka Streams application.id: the consumer group and the prefix of the changelog topic. */
        @WithDefault("trainwatch-monitor")
        String applicationId();

        /** Where the in-memory stores keep their checkpoint files (git-ignored {@code .trainwatch/}). */
        @WithDefault(".trainwatch/monitor-state")
        String stateDir();

        /** exactly_once_v2: a killed instance neither loses nor duplicates an alert (Kafka Streams docs). */
        @WithDefault("exactly_once_v2")
        String processingGuarantee();

        /**
         * Commit interval (Kafka Streams' default under exactly-once). An alert is readable (read_committed) once
         * its transaction commits; the stream thread waits for each commit. Measured (MonitorBenchmark, 1,000 runs,
         * broker in its own JVM, 15-s latency passes): 100 ms gave 129-131k events/s, alert produced p99 29-188 ms
         * at 5k-40k events/s, alert read p50 80-136 ms, p99 156-258 ms; 50 ms gave 99-110k events/s, produced p99
         * 66-210 ms at 5k-20k and 288-517 ms at 40k (twice the commits, twice the stalls), read p50 61-73 ms.
         */
        @WithDefault("PT0.1S")
        Duration commitInterval();

        /**
         * Stream threads per instance. Under exactly-once a thread waits for the broker at each commit (3-6 ms on
         * average here); a second thread processes meanwhile: 125-208k events/s against 107-123k with one (both at a
         * 50 ms commit interval), but on 2 cores shared with the broker its commits took 11-30 ms and the alert p99
         * rose from 113-154 ms to 136-374 ms (MonitorBenchmark, broker in its own JVM). One by default; more where
         * the monitor has its own cores.
         */
        @WithDefault("1")
        int threads();

        /**
         * Readiness goes down while records wait on a {@code training.events} partition this instance owns and its
         * committed offset has not moved for this long (a stuck stream thread); 0 turns the check off.
         */
        @WithDefault("PT60S")
        Duration stallAfter();

        /** How often idle runs are looked for (wall-clock punctuation). */
        @WithDefault("PT1M")
        Duration evictionInterval();
    }

    /** Loss smoothing. */
    interface Smoothing {
        /** EMA weight of the newest loss: 0.05 is a ~40-step window (ours; TensorBoard's slider at 0.95). */
        @WithDefault("0.05")
        double lossEmaAlpha();

        /** Steps averaged for the run's start loss (ours; SageMaker PoorWeightInitialization looks at 10). */
        @WithDefault("10")
        int startSteps();
    }

    /** {@code vanishing-gradients}. */
    interface VanishingGradients {
        /** First/last layer gradient-norm ratio at or below which gradients vanish (AUTOTRAINER: 1e-3). */
        @WithDefault("1e-3")
        double ratio();

        /** First layer's gradient norm at or below which it learns nothing (AUTOTRAINER: 1e-4). */
        @WithDefault("1e-4")
        double firstLayerNorm();

        /** Update:parameter ratio below which a layer is stalled (DL4J UI: log10 below -4 is too slow). */
        @WithDefault("1e-4")
        double updateRatio();

        /** Not while the training accuracy is above this: a converged net has tiny gradients everywhere (AUTOTRAINER: best accuracy <= 0.7; recorded overfitting runs at accuracy 1.0 have first-layer norms ~1e-5). */
        @WithDefault("0.7")
        double maxAccuracy();

        /** Consecutive steps the smoothed condition must hold, and clear, before it fires or resolves (ours). */
        @WithDefault("20")
        int patience();
    }

    /** {@code exploding-gradients}. */
    interface ExplodingGradients {
        /** A gradient norm this many times the running median is a spike (ours; Lightning/AUTOTRAINER use NaN/ratio). */
        @WithDefault("10")
        double spikeFactor();

        /** Consecutive spiking steps before it fires (ours: one spike is noise). */
        @WithDefault("3")
        int spikePatience();

        /** Steps of gradient norms before the running median is trusted (ours: 3; recorded SGD lr 2 runs explode by step 4-8, before a 10-step warm-up). */
        @WithDefault("3")
        int warmupSteps();

        /** First/last layer gradient-norm ratio at or above which gradients explode (AUTOTRAINER: 70). */
        @WithDefault("70")
        double layerRatio();

        /** Consecutive steps the smoothed layer ratio must stay above {@link #layerRatio()} (ours). */
        @WithDefault("20")
        int layerRatioPatience();

        /**
         * An explosion judged against the run's own first steps (the first 32, while the running median has little
         * history): a batch loss this many times the larger of the first loss and ln(C) (CS231n: the first loss is
         * about ln(C)) ... (ours: twice divergence's 2x, one batch being noisier than a smoothed loss).
         */
        @WithDefault("4.0")
        double earlyLossFactor();

        /** ... together with a gradient norm this many times the first step's (ours: the loss confirms the spike). */
        @WithDefault("3.0")
        double earlyGradientFactor();

        /**
         * A spike over the running median counts only when its norm also reaches this fraction of the run's early
         * gradient scale (the median of its first 32 norms): once a converged run's norm has settled 1e3-1e4 below
         * where it started, an ordinary mini-batch bump is 10-2,000x the running median and still tiny (ours: 1, an
         * explosion takes the gradient above where training started).
         */
        @WithDefault("1.0")
        double minFractionOfEarlyScale();

        /**
         * The smoothed loss's rise that goes with a spike must also be this fraction of the progress the run made
         * (start minus best): a loss that does not rise on the run's own scale is no explosion (ours: a tenth).
         */
        @WithDefault("0.1")
        double minLossRiseOfProgress();
    }

    /** {@code divergence}. */
    interface Divergence {
        /** Smoothed loss this many times the start loss diverges (ours; Lightning's divergence_threshold idea). */
        @WithDefault("2.0")
        double startFactor();

        /** Smoothed loss this many times the best smoothed loss, having lost half the progress, diverges (ours). */
        @WithDefault("1.5")
        double bestFactor();

        /** Raw cross-entropy loss at or above which the run diverged, once above its start (AUTOTRAINER: 1e3; a loss that starts higher and falls is bad initialisation, not divergence). */
        @WithDefault("1000")
        double absoluteLoss();

        /** Consecutive steps a finite-loss condition must hold (ours; non-finite loss fires at once as in Keras TerminateOnNaN). */
        @WithDefault("5")
        int patience();
    }

    /** {@code plateau}. */
    interface Plateau {
        /** Relative improvement of the smoothed loss that counts as progress (PyTorch ReduceLROnPlateau threshold_mode rel; 1e-4 there is per epoch, ours is 1 % per window of noisy steps). */
        @WithDefault("0.01")
        double minDelta();

        /**
         * A plateau whose smoothed update:parameter ratio (the output layer's, or the first layer's while its gradients
         * do not fade) is below this is a learning rate too low: it suggests raising the rate, not decaying it (the DL4J
         * UI: below 1e-4 too slow, about 1e-3 healthy).
         */
        @WithDefault("1e-4")
        double minUpdateRatio();

        /** Steps without progress before a plateau (Keras ReduceLROnPlateau: 10 epochs; SageMaker LossNotDecreasing: every 10 steps; ours: 100 steps). */
        @WithDefault("100")
        int patience();

        /** On long epochs the patience is at least this many epochs (ours: 1, since the detector sees every step; Keras ReduceLROnPlateau counts 10 epochs of validation; 3 epochs of 100 steps missed every recorded plateau run). */
        @WithDefault("1")
        int patienceEpochs();

        /** Progress must also exceed this many standard deviations of the smoothed loss's noise (ours: 3). */
        @WithDefault("3.0")
        double noiseSigmas();

        /** Steps before any plateau may be called (ours). */
        @WithDefault("50")
        int warmupSteps();

        /** The loss must first have fallen this fraction below its start: "falls, then levels off" (CS231n; ours 20 %). */
        @WithDefault("0.20")
        double minProgress();

        /** A smoothed loss under this fraction of the start loss has converged, not plateaued (ours). */
        @WithDefault("0.05")
        double convergedFraction();

        /**
         * A softmax cross-entropy run whose lowest smoothed loss gave the true class at least this geometric-mean
         * probability, exp(-loss), has converged, not plateaued (AUTOTRAINER's high training accuracy, 0.9: a smoothed
         * loss under ln(1/0.9) = 0.105). There the loss's noise and the optimiser's bounces are what is left; the
         * plateau alert is for a loss that levels off mediocre ("falls, then levels off", CS231n). Other losses use
         * {@link #convergedFraction()} only.
         */
        @WithDefault("0.9")
        double convergedProbability();
    }

    /** {@code lr-decayed-too-early}. */
    interface LrDecayedTooEarly {
        /** A learning rate at or below this fraction of the previous one is a decay (ours; Keras factor 0.1, step decay 0.5). */
        @WithDefault("0.5")
        double dropFactor();

        /** A plateau whose last progress came within this many steps of a decay started right after it (ours). */
        @WithDefault("100")
        int afterDropSteps();

        /**
         * A decay is "too early" only if the loss was still improving when it came: its last progress at most this
         * many steps before the decay (ours: half the plateau's patience). A decay after a longer stall answers a
         * levelling-off, as a ReduceLROnPlateau decay does, and a flat loss after it is a plateau, not an early decay.
         */
        @WithDefault("50")
        int progressBeforeDropSteps();
    }

    /** {@code overfitting}. */
    interface Overfitting {
        /** Validation loss this fraction above its minimum is rising (ours; the trainer's scenario asserts 1.1x). */
        @WithDefault("0.10")
        double validationRise();

        /** Consecutive validations the condition must hold (ours; Keras EarlyStopping commonly 3-10). */
        @WithDefault("3")
        int patience();

        /** Train/validation accuracy gap (AUTOTRAINER: 0.1). */
        @WithDefault("0.1")
        double accuracyGap();

        /** The gap when train accuracy is above {@link #highTrainAccuracy()} (AUTOTRAINER: 0.07). */
        @WithDefault("0.07")
        double accuracyGapHigh();

        /** The gap must have grown by this much since the streak began, with validation accuracy falling (ours). */
        @WithDefault("0.02")
        double accuracyGapGrowth();

        /** With the accuracy gap held for {@link #patience()} validations, a validation loss this fraction above its minimum while the training loss falls is overfitting (AUTOTRAINER: gap plus "train loss down, val loss up"; ours 1.5 %: a recorded run rose 4 % in 260 steps at a 0.17 gap). */
        @WithDefault("0.015")
        double gapValidationRise();

        /** A rise must also exceed this many standard deviations of the validation loss's own noise, estimated from its second differences, which a steady trend leaves out (ours: 3, as plateau's noise-sigmas; near zero loss a relative rise of 10 % is within the noise: tfjs healthy runs rose 12-70 % from minima of 0.016-0.04 by 0.003-0.03). */
        @WithDefault("3.0")
        double noiseSigmas();

        /** Train accuracy above which the smaller gap applies (AUTOTRAINER: 0.9). */
        @WithDefault("0.9")
        double highTrainAccuracy();

        /**
         * Consecutive validations of a risen validation loss (above {@link #validationRise()} and the noise) that make
         * overfitting whatever the accuracy gap, while the validation loss keeps rising and the training loss keeps
         * falling: what Keras EarlyStopping on val_loss and CS231n's curve reading call overfitting (ours: 10, the
         * patience of Keras ReduceLROnPlateau, in validations; a brief noisy rise of healthy runs lasts a few).
         */
        @WithDefault("10")
        int sustainedPatience();
    }

    /** {@code underfitting}. */
    interface Underfitting {
        /** Train and validation accuracy both below this are low (AUTOTRAINER: best accuracy <= 0.7). */
        @WithDefault("0.7")
        double lowAccuracy();

        /** Train and validation accuracy this close are "nearly equal" (CS231n): AUTOTRAINER's smaller overfitting gap, 0.07 (recorded underfitting runs differ by 0.03-0.06; ours was 0.05). */
        @WithDefault("0.07")
        double maxGap();

        /** Validations before it may be called (ours). */
        @WithDefault("3")
        int warmupValidations();

        /**
         * A plateau with no train/validation gap that lasts this many plateau patiences is underfitting whatever the
         * accuracy: one patience makes the plateau (whose remedy is a decay), a second one of the same flat says the
         * loss is where this model and regularisation hold it (ours: 2).
         */
        @WithDefault("2")
        double flatPatiences();

        /**
         * No gap: the validation loss at most this fraction above the training loss (SageMaker Overfit's
         * (val - train) / train > 0.1, inverted), and the accuracies within {@link #maxGap()} where reported.
         */
        @WithDefault("0.1")
        double maxLossGap();

        /**
         * A flat loss whose output layer's update:parameter ratio (smoothed) is above this is the learning rate's
         * plateau, not the model's limit: the DL4J UI's guidance, about 1e-3 healthy and above 1e-2 unstable (plus
         * the share an announced L2 weight decay takes, learning rate x l2). Only a decay that does not help makes such
         * a plateau underfitting.
         */
        @WithDefault("1e-2")
        double maxUpdateRatio();

        /** ... and below this, a rate too low to move the loss (the DL4J UI: below 1e-4 too slow). */
        @WithDefault("1e-4")
        double minUpdateRatio();

        /**
         * A validation accuracy whose smoothed absolute change between consecutive validations is at least this
         * oscillates: the learning rate is too high (a rate of 1.46 swung it between 0.44 and 0.91), so the alert
         * names the rate as the cause and suggests decaying it rather than a bigger model or less regularisation.
         * Healthy recorded runs swing by 0.02-0.04 on average.
         */
        @WithDefault("0.1")
        double oscillationSwing();

        /**
         * For cross-entropy, the flat loss must also be mediocre: exp(-loss), the geometric-mean probability the model
         * gives the true class, below this (AUTOTRAINER's low accuracy 0.7, read as a probability as the plateau's
         * converged-probability reads its high accuracy 0.9; a loss above 0.357). A model flat at a loss that gives
         * the true class 0.85 has fitted what the data allows, it is not starved of capacity.
         */
        @WithDefault("0.7")
        double lowProbability();

    }

    /** {@code bad-initialization}. */
    interface BadInitialization {
        /** A first loss this many times ln(C) is far from it (CS231n: it must be about ln(C); ours 3x). */
        @WithDefault("3.0")
        double initialLossFactor();

        /** A smoothed loss within this fraction of ln(C) is pinned at chance (ours). */
        @WithDefault("0.02")
        double pinnedTolerance();

        /** Steps pinned at ln(C) with dead hidden gradients before it fires (ours; SageMaker: loss not falling within 5 steps). */
        @WithDefault("50")
        int pinnedSteps();

        /** Steps pinned at ln(C) before it fires even with live gradients (ours: 3x pinnedSteps). */
        @WithDefault("150")
        int pinnedStepsWithoutDeadGradients();

        /** A hidden gradient norm at or below this is dead (SageMaker vanishing: 1e-7). */
        @WithDefault("1e-7")
        double deadGradientNorm();

        /** "Flat for long": steps the smoothed loss stayed within {@link #flatTolerance()} of its start (CS231n; ours). */
        @WithDefault("100")
        int flatSteps();

        /** Relative band around the start loss that counts as flat (ours). */
        @WithDefault("0.10")
        double flatTolerance();

        /** "Then a sudden drop": smoothed loss this fraction below the flat level (ours). */
        @WithDefault("0.25")
        double dropFraction();
    }

    /** Per-run bookkeeping. */
    interface Runs {
        /** A run without events for this long is forgotten: state, gauges, view (ours). */
        @WithDefault("PT1H")
        Duration idleTtl();

        /** Runs kept in the in-memory view and gauges at most; the oldest idle goes first (ours). */
        @WithDefault("10000")
        int maxRuns();

        /** Alerts kept in memory for {@code GET /alerts} (ours). */
        @WithDefault("10000")
        int maxAlerts();
    }
}
