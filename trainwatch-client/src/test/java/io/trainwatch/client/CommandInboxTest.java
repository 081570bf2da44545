package io.trainwatch.client;

import io.trainwatch.events.Contract;
import io.trainwatch.events.TunerCommand;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Duplicates taken once, stale commands and suggestions never queued, a closed inbox takes nothing. */
class CommandInboxTest {

    static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    static TunerCommand lr(String id, double rate, Instant at, String mode) {
        return new TunerCommand(Contract.SCHEMA_VERSION, id, "r", TunerCommand.SET_LEARNING_RATE, rate, "plateau",
                null, at, null, null, mode);
    }

    @Test
    void aCommandIdIsTakenOnceEvenWhenSentAgainLater() {
        CommandInbox inbox = new CommandInbox("r", T0, 2, null);
        assertThat(inbox.offer(lr("a", 0.1, T0, null))).isTrue();
        assertThat(inbox.offer(lr("a", 0.5, T0, null))).isTrue();
        assertThat(inbox.poll().learningRate()).isEqualTo(0.1);
        assertThat(inbox.poll()).isNull();
        inbox.offer(lr("b", 0.2, T0, null));
        inbox.offer(lr("c", 0.3, T0, null));
        inbox.offer(lr("a", 0.4, T0, null)); // only the last 2 ids are remembered: 'a' was forgotten
        assertThat(inbox.poll().commandId()).isEqualTo("b");
        assertThat(inbox.poll().commandId()).isEqualTo("c");
        assertThat(inbox.poll().commandId()).isEqualTo("a");
    }

    @Test
    void staleCommandsAreRefused() {
        CommandInbox inbox = new CommandInbox("r", T0, 10, null);
        assertThat(inbox.offer(lr("old", 0.1, T0.minus(CommandInbox.STALE_TOLERANCE).minusSeconds(1), null))).isFalse();
        assertThat(inbox.offer(lr("recent", 0.1, T0.minusSeconds(5), null))).isTrue();
        assertThat(inbox.offer(lr("undated", 0.1, null, null))).isTrue();
        assertThat(inbox.poll().commandId()).isEqualTo("recent");
    }

    @Test
    void suggestionsGoToTheListenerAndAreNeverQueued() {
        List<TunerCommand> seen = new ArrayList<>();
        CommandInbox inbox = new CommandInbox("r", T0, 10, seen::add);
        assertThat(inbox.offer(lr("s", 0.1, T0, TunerCommand.SUGGEST))).isFalse();
        assertThat(inbox.offer(lr("x", 0.1, T0, TunerCommand.APPLY))).isTrue();
        assertThat(seen).extracting(TunerCommand::commandId).containsExactly("s");
        assertThat(inbox.poll().commandId()).isEqualTo("x");
        assertThat(inbox.poll()).isNull();
    }

    @Test
    void aClosedInboxOrAnotherRunsCommandTakesNothing() {
        CommandInbox inbox = new CommandInbox("r", T0, 10, null);
        TunerCommand other = new TunerCommand(Contract.SCHEMA_VERSION, "o", "other", TunerCommand.STOP, null, "x",
                null, T0, null, null);
        assertThat(inbox.offer(other)).isFalse();
        inbox.close();
        assertThat(inbox.offer(lr("a", 0.1, T0, null))).isFalse();
        assertThat(inbox.poll()).isNull();
    }
}
