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
 *
 * <p>An entry whose {@code run-finished} was already sent (the run's own, or an earlier start's report) and never
 * acknowledged gets that same event again: the broker may never have had it. The journal keeps every entry until the
 * broker acknowledges its {@code run-finished} ({@link RunJournal#acknowledged}), so a trainer that dies again
 * before that sends it once more at its next start; a second {@code run-finished} of an ended run is ignored by the
 * monitor and the tuner.
 */
public final class Interruptions {

    private static final Logger LOG = Logger.getLogger(Interruptions.class);

    /** The reason of a run that a restart of its trainer cut short. */
    public static final String REASON = "interrupted: the trainer restarted";

    private Interruptions() {
    }

    /**
     * Publishes {@code run-finished} for every leftover of {@code journal}, recorded in the journal first; returns
     * the ids of those runs (all of them are over: none may train again under its id). The events go through
     * {@code sink}'s queue, which keeps a {@code run-finished} (and retries it in the background) until the broker
     * takes it; {@code publish} never waits for the broker, so the start is not delayed. A {@code publish} that
     * throws leaves the entry for the next start.
     */
    public static Set<String> report(RunJournal journal, TelemetrySink sink, Clock clock) {
        Set<String> ended = new LinkedHashSet<>();
        for (RunJournal.Entry e : journal.leftovers()) {
            RunFinished finished = e.finished();
            boolean again = finished != null;
            if (finished == null) {
                try {
                    finished = new RunFinished(Contract.SCHEMA_VERSION, e.runId(), clock.instant(), e.studyId(),
                            e.trialId(), RunFinished.FAILED, REASON, Math.max(0, e.step()), 0L);
                } catch (IllegalArgumentException bad) {
                    LOG.warnf("run journal entry of %s is not a valid run: %s; dropped", e.runId(), bad.getMessage());
                    journal.forget(e);
                    continue;
                }
            }
            journal.reported(e, finished);
            ended.add(e.runId()); // over either way: its run must not train again under this id
            try {
                sink.publish(finished);
            } catch (RuntimeException failed) {
                LOG.warnf("run-finished of run %s not handed to the publisher (%s): the next start sends it",
                        e.runId(), failed.toString());
                continue;
            }
            String run = e.runId() + (e.trialId() == null ? "" : " (trial " + e.trialId() + ")");
            if (again) {
                LOG.infof("run %s: its run-finished (%s at step %d) was sent before the trainer stopped but not "
                        + "acknowledged by the broker: sent again", run, finished.status(), finished.step());
            } else {
                LOG.infof("run %s was in progress when the trainer stopped: reported failed (%s) at step %s", run,
                        REASON, e.step() < 0 ? "0 (no step recorded)" : Long.toString(e.step()));
            }
        }
        return ended;
    }
}
