package io.trainwatch.trainer.state;

import io.trainwatch.client.TelemetrySink;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Ends the runs a dead trainer left in its {@link RunJournal}: each gets the {@code run-finished} it never
 * published, {@code failed} with the reason {@link #REASON} at the last step the journal recorded, so that the
 * monitor and the tuner stop waiting for it. The contract has no status of its own for this: consumers map
 * every status they do not know to a normal end (the tuner to {@code completed}), so an interrupted run is
 * {@code failed}, and the reason says why.
 */
public final class Interruptions {

    private static final Logger LOG = Logger.getLogger(Interruptions.class);

    /** The reason of a run that a restart of its trainer cut short. */
    public static final String REASON = "interrupted: the trainer restarted";

    private Interruptions() {
    }

    /**
     * Publishes {@code run-finished} for every leftover of {@code journal} and removes it from the journal; returns
     * the ids of those runs. The events go through {@code sink}'s queue, which keeps a {@code run-finished} until
     * the broker takes it.
     */
    public static Set<String> report(RunJournal journal, TelemetrySink sink, Clock clock) {
        Set<String> ended = new LinkedHashSet<>();
        for (RunJournal.Entry e : journal.leftovers()) {
            RunFinished finished;
            try {
                finished = new RunFinished(Contract.SCHEMA_VERSION, e.runId(), clock.instant(), e.studyId(),
                        e.trialId(), RunFinished.FAILED, REASON, Math.max(0, e.step()), 0L);
            } catch (IllegalArgumentException bad) {
                LOG.warnf("run journal entry of %s is not a valid run: %s; dropped", e.runId(), bad.getMessage());
                journal.forget(e);
                continue;
            }
            sink.publish(finished);
            journal.forget(e);
            ended.add(e.runId());
            LOG.infof("run %s%s was in progress when the trainer stopped: reported failed (%s) at step %s", e.runId(),
                    e.trialId() == null ? "" : " (trial " + e.trialId() + ")", REASON,
                    e.step() < 0 ? "0 (no step recorded)" : Long.toString(e.step()));
        }
        return ended;
    }
}
