package io.trainwatch.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The dispatch of {@link Main} and every command's {@code --help}. */
class MainTest {

    @Test
    void everyCommandHasHelpOnStandardOutputWithStatus0() {
        for (String command : Main.commands().keySet()) {
            for (String help : new String[] {"--help", "-h"}) {
                Console c = new Console();
                assertThat(c.run(command, help)).as(command).isZero();
                assertThat(c.out()).as(command).startsWith("usage: trainwatch " + command);
                assertThat(c.err()).isEmpty();
            }
        }
        assertThat(Main.commands().keySet()).containsExactly("train", "alerts", "study", "replay", "demo");
    }

    @Test
    void helpListsTheCommandsAndAnUnknownCommandIsOneLine() {
        Console help = new Console();
        assertThat(help.run("help")).isZero();
        assertThat(help.out()).contains("train ", "alerts ", "study ", "replay ", "demo ");
        Console none = new Console();
        assertThat(none.run()).isEqualTo(2);
        assertThat(none.out()).startsWith("usage: trainwatch COMMAND");
        Console unknown = new Console();
        assertThat(unknown.run("trian", "--scenario", "x")).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo(
                "trainwatch: unknown command 'trian' (commands: train, alerts, study, replay, demo; see: trainwatch help)\n");
    }
}
