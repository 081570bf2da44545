package io.trainwatch.client;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A run without a client ({@link Run#of}): its commands are handed to it, applied at a step and confirmed. */
class RunTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final List<TrainingEvent> events = new ArrayList<>();
    private final CommandInbox inbox = new CommandInbox("r", T0, 16, null);
    private final Run run = Run.of("r", "s", "t", events::add, Clock.fixed(T0, ZoneOffset.UTC), inbox);

    private static TunerCommand command(String id, String type, Double rate, String alertId) {
        return new TunerCommand(1, id, "r", type, rate, "because", alertId, T0, null, null);
    }

    @Test
    void appliedCommandsAreConfirmedAtTheStepWithTheHandlersDetailsThenReasonAndAlert() {
        assertThat(run.submit(command("c1", TunerCommand.SET_LEARNING_RATE, 0.01, "a1"))).isTrue();
        assertThat(run.submit(command("c1", TunerCommand.SET_LEARNING_RATE, 0.01, "a1"))).isTrue();
        int applied = run.applyPending(7, c -> Map.of("learningRate", c.learningRate()));
        assertThat(applied).as("a duplicate id is applied once").isEqualTo(1);
        assertThat(events).hasSize(1);
        CommandApplied confirmed = (CommandApplied) events.get(0);
        assertThat(confirmed.commandId()).isEqualTo("c1");
        assertThat(confirmed.step()).isEqualTo(7);
        assertThat(confirmed.studyId()).isEqualTo("s");
        assertThat(confirmed.trialId()).isEqualTo("t");
        assertThat(confirmed.timestamp()).isEqualTo(T0);
        assertThat(confirmed.details()).containsExactly(Map.entry("learningRate", 0.01), Map.entry("reason", "because"),
                Map.entry("alertId", "a1"));
    }

    @Test
    void aStopAsksTheLoopToStopWithTheCommandsReasonAndTheFirstReasonWins() {
        run.submit(command("c2", TunerCommand.STOP, null, null));
        run.applyPending(3, c -> Map.of());
        run.requestStop("later");
        assertThat(run.stopRequested()).isTrue();
        assertThat(run.stopReason()).isEqualTo("stopped by command c2: because");
        assertThat(((CommandApplied) events.get(0)).details()).containsExactly(Map.entry("reason", "because"));
    }

    @Test
    void aCommandWhoseHandlerFailsIsNotConfirmed() {
        run.submit(command("c3", TunerCommand.SET_LEARNING_RATE, 0.5, null));
        assertThat(run.applyPending(1, c -> {
            throw new IllegalStateException("cannot");
        })).isZero();
        assertThat(events).isEmpty();
    }

    @Test
    void finishingClosesTheInboxAndPublishesRunFinishedOnce() {
        run.finish(RunFinished.COMPLETED, "done", 4);
        run.finish(RunFinished.FAILED, "again", 5);
        assertThat(inbox.isClosed()).isTrue();
        assertThat(run.submit(command("c4", TunerCommand.STOP, null, null))).isFalse();
        assertThat(events).singleElement().isInstanceOfSatisfying(RunFinished.class,
                f -> assertThat(f.status()).isEqualTo(RunFinished.COMPLETED));
    }

    @Test
    void anInboxOfAnotherRunIsRefused() {
        assertThatThrownBy(() -> Run.of("other", null, null, events::add, Clock.systemUTC(), inbox))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
