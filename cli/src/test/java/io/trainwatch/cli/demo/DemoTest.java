package io.trainwatch.cli.demo;

import io.trainwatch.cli.Main;
import io.trainwatch.cli.Terminal;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's failures before it starts anything: one line and status 2 (its run over the real stack is stack-tests'
 * {@code DemoDriverIT}).
 */
class DemoTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int demo(Map<String, String> env, String... args) {
        String[] line = new String[args.length + 1];
        line[0] = "demo";
        System.arraycopy(args, 0, line, 1, args.length);
        return Main.run(line, new Terminal(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false, Duration.ofMillis(10), Duration.ofSeconds(1)));
    }

    @Test
    void anUnknownArgumentIsOneLineWithStatus2() {
        assertThat(demo(Map.of(), "--bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("demo: unknown argument '--bogus' (see: trainwatch demo --help)\n");
        assertThat(out.size()).isZero();
    }

    @Test
    void aBadTimeoutIsOneLineWithStatus2() {
        assertThat(demo(Map.of(), "--timeout", "soon")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("demo: --timeout needs a whole number");
    }

    @Test
    void anUnreachableTrainerIsOneLineWithStatus2() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        assertThat(demo(Map.of(Terminal.TRAINER_URL, url))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).lines()).singleElement().asString()
                .startsWith("demo: the trainer is not reachable at " + url + " (start it with ./trainwatch up)");
    }
}
