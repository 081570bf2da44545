package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code trainwatch study}: starts a study on the tuner and follows its leaderboard ({@code GET /studies/{id}/text})
 * until the tuner says it completed or stopped (the {@code X-Study-Status} header); follows, stops or lists
 * studies. A study with a preflight prints each step once, with its numbers, as it completes. Following ends with an
 * error when the study disappears or the tuner stops answering for longer than {@link Terminal#patience()}.
 */
final class Study implements Command {

    static final String USAGE = """
            usage: trainwatch study FILE.json      start a study on the tuner and follow its leaderboard until it ends
                                                   (a study with a preflight prints each step once, with its numbers)
                   trainwatch study --follow ID    follow a running study
                   trainwatch study --stop ID      stop a study
                   trainwatch study --list         list the studies
            Exit status: 0 when the followed study ended (completed or stopped); 1 when the tuner refused the request
            or the study disappeared; 2 for a bad argument or a tuner that is not reachable (also when it stops
            answering while a study is followed).
            Environment: TRAINWATCH_TUNER_URL (default http://127.0.0.1:8083), TRAINWATCH_API_TOKEN (bearer token for
            POST), STUDY_INTERVAL (seconds between refreshes, default 2), STUDY_DECISIONS (decisions shown, default 10).""";

    private static final Pattern PREFLIGHT_DONE = Pattern.compile("^preflight ([0-9])/3 [a-z-]+ (PASSED|FAILED|SKIPPED):");
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Override
    public String name() {
        return "study";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public int run(List<String> arguments, Terminal t) throws CliException {
        Args args = new Args(name(), arguments);
        if (!args.hasNext()) {
            throw args.bad("FILE.json, --follow ID, --stop ID or --list is needed");
        }
        String first = args.next();
        if (Args.isHelp(first)) {
            t.out().println(USAGE);
            return 0;
        }
        Rest tuner = new Rest("tuner", t.tunerUrl(), t.apiToken());
        String id = switch (first) {
            case "--list", "--follow", "--stop" -> first.equals("--list") ? null : args.value(first);
            default -> {
                if (first.startsWith("-")) {
                    throw args.unknown(first);
                }
                yield null;
            }
        };
        if (args.hasNext()) {
            throw args.unknown(args.next());
        }
        switch (first) {
            case "--list" -> {
                Rest.Answer a = tuner.get("/studies");
                JsonNode list = a.json();
                if (!a.ok() || list == null) {
                    throw new CliException(CliException.FAILED, "the tuner answered HTTP " + a.status() + ": " + a.problem());
                }
                t.out().println(EventCodec.writeString(list));
                return 0;
            }
            case "--stop" -> {
                Rest.Answer a = tuner.post("/studies/" + Rest.segment(id) + "/stop", null);
                if (!a.ok()) {
                    throw new CliException(CliException.FAILED, "the tuner answered " + a.status() + ": " + a.problem());
                }
                t.out().println("study " + id + " stopped.");
                return 0;
            }
            case "--follow" -> {
                return follow(tuner, id, t);
            }
            default -> {
                JsonNode study = readStudy(first, args);
                Rest.Answer a = tuner.post("/studies", study);
                if (!a.ok()) {
                    throw new CliException(CliException.FAILED, "the tuner answered " + a.status() + ": " + a.problem());
                }
                JsonNode answer = a.json();
                String started = answer == null ? "" : answer.path("id").asText("");
                if (started.isEmpty()) {
                    throw new CliException(CliException.FAILED, "the tuner did not say the study's id: " + a.body().strip());
                }
                t.out().println("study " + started + " started on " + tuner.base());
                return follow(tuner, started, t);
            }
        }
    }

    private static JsonNode readStudy(String file, Args args) throws CliException {
        JsonNode json;
        try {
            json = EventCodec.MAPPER.readTree(Files.readAllBytes(Path.of(file)));
        } catch (NoSuchFileException e) {
            throw args.bad("cannot read " + file + ": no such file");
        } catch (IOException e) {
            throw args.bad("cannot read " + file + ": " + Train.firstLine(e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            throw args.bad(file + " is not a JSON object");
        }
        return json;
    }

    /** Redraws the study's text until it ends; prints each finished preflight step once. */
    static int follow(Rest tuner, String id, Terminal t) throws CliException {
        Duration interval = Duration.ofMillis(Math.round(1000 * number(t, "STUDY_INTERVAL", 2, "a number of seconds")));
        long decisions = Math.round(number(t, "STUDY_DECISIONS", 10, "a number of decisions"));
        String path = "/studies/" + Rest.segment(id) + "/text?decisions=" + decisions;
        Set<String> shown = new HashSet<>();
        Thread onInterrupt = new Thread(() -> {
            t.out().println();
            t.out().println("study: stopped following; the study goes on (stop it with: trainwatch study --stop " + id + ")");
            t.out().flush();
        });
        boolean hooked = false;
        try {
            Runtime.getRuntime().addShutdownHook(onInterrupt);
            hooked = true;
        } catch (IllegalStateException e) {
            // the JVM is shutting down already
        }
        try {
            while (true) {
                Rest.Answer a = tuner.getPatiently(path, t, interval, "study " + id + " was followed", problem ->
                        t.err().println("study: cannot read study " + id + " from " + tuner.base() + "; retrying (" + problem + ")"));
                if (a.status() != 200) {
                    throw new CliException(CliException.FAILED, a.status() == 404
                            ? "no study " + id + " on the tuner at " + tuner.base()
                            : "the tuner answered HTTP " + a.status() + " about study " + id + ": " + a.problem());
                }
                String text = a.body();
                String status = a.headers().firstValue("X-Study-Status").orElse("");
                StringBuilder steps = new StringBuilder();
                for (String line : text.split("\n")) {
                    Matcher m = PREFLIGHT_DONE.matcher(line);
                    if (m.find() && shown.add(m.group(1))) {
                        steps.append("study: ").append(line).append('\n');
                    }
                }
                if (t.tty()) {
                    // The board below shows every preflight step with its numbers.
                    t.out().print("\033[H\033[2J");
                } else {
                    t.out().print(steps);
                    t.out().println("----- " + LocalTime.now(ZoneOffset.UTC).format(CLOCK));
                }
                t.out().println(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
                if (status.equals("completed") || status.equals("stopped")) {
                    t.out().println("study " + id + " " + status + ".");
                    return 0;
                }
                t.out().flush();
                sleep(interval);
            }
        } finally {
            if (hooked) {
                try {
                    Runtime.getRuntime().removeShutdownHook(onInterrupt);
                } catch (IllegalStateException e) {
                    // shutting down: the hook runs
                }
            }
        }
    }

    private static double number(Terminal t, String variable, double fallback, String what) throws CliException {
        String v = t.env().get(variable);
        double s = fallback;
        if (v != null && !v.isBlank()) {
            try {
                s = Double.parseDouble(v.strip());
            } catch (NumberFormatException e) {
                s = -1;
            }
            if (!(s >= 0 && s <= 86_400)) {
                throw CliException.usage("study", variable + " must be " + what + ", was '" + v + "'");
            }
        }
        return s;
    }

    private static void sleep(Duration d) throws CliException {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(130, "interrupted");
        }
    }
}
