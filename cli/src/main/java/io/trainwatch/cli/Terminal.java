package io.trainwatch.cli;

import io.trainwatch.client.KafkaSettings;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * What a command reads and writes besides its arguments: the environment (service URLs, the API token, the Kafka
 * settings), standard output and error, whether the output is a terminal (progress redrawn in place), and how
 * often to poll and how long a service may stay silent before a command gives up. Tests build one with their own
 * streams and a local server's URLs; {@link #system()} is the real one.
 *
 * @param patience how long a command that follows a run or a study keeps retrying a service that does not answer
 *                 before it ends with an error
 */
public record Terminal(Map<String, String> env, PrintStream out, PrintStream err, boolean tty, Duration pollInterval,
                       Duration patience) {

    public static final String TRAINER_URL = "TRAINWATCH_TRAINER_URL";
    public static final String MONITOR_URL = "TRAINWATCH_MONITOR_URL";
    public static final String TUNER_URL = "TRAINWATCH_TUNER_URL";
    public static final String API_TOKEN = "TRAINWATCH_API_TOKEN";

    /** How long a followed service may stay unreachable by default: longer than a service's restart takes. */
    public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(20);

    public static Terminal system() {
        return new Terminal(System.getenv(), System.out, System.err, System.console() != null, Duration.ofMillis(500),
                DEFAULT_PATIENCE);
    }

    public String trainerUrl() {
        return url(TRAINER_URL, "http://127.0.0.1:8081");
    }

    public String monitorUrl() {
        return url(MONITOR_URL, "http://127.0.0.1:8082");
    }

    public String tunerUrl() {
        return url(TUNER_URL, "http://127.0.0.1:8083");
    }

    /** The bearer token for mutating requests, or null. */
    public String apiToken() {
        String t = env.get(API_TOKEN);
        return t == null || t.isBlank() ? null : t;
    }

    /** The Kafka settings as the services read them: {@code KAFKA_*} variables, then {@code -Dkafka.*}. */
    public KafkaSettings kafka() {
        return KafkaSettings.from(env, System.getProperties());
    }

    private String url(String variable, String fallback) {
        String u = env.getOrDefault(variable, "");
        u = u.isBlank() ? fallback : u.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }

    /** Sleeps the poll interval times {@code factor}; an interrupt ends the command. */
    public void pause(double factor) throws CliException {
        try {
            Thread.sleep(Math.max(1, (long) (pollInterval.toMillis() * factor)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(130, "interrupted");
        }
    }
}
