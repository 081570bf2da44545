package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code trainwatch train}: submits a training run to the trainer ({@code POST /runs}), prints its run id on the
 * first line, then a live progress line (from {@code GET /runs/{id}/progress}) until the run finishes, then its final
 * status. The request is built as a JSON object, so any value of {@code --scenario} or {@code --set} (quotes included)
 * arrives as the string it is. The progress loop ends with an error when the run disappears from the trainer (404)
 * or the trainer stops answering for longer than {@link Terminal#patience()}.
 */
final class Train implements Command {

    static final String USAGE = """
            usage: trainwatch train --scenario NAME [--steps N] [--seed S] [--control auto|suggest|off] [--set key=value ...]
                   trainwatch train --config FILE.json [--control auto|suggest|off]
            Starts a training run on the trainer, prints its run id, then its progress until it ends.
              --scenario NAME   one of the trainer's scenarios (GET /scenarios), e.g. healthy, plateau
              --steps N         steps to train (default: the scenario's)
              --seed S          the run's random seed
              --set key=value   any other field of the run configuration; a number stays a number, anything
                                else is sent as a string (repeatable)
              --config FILE     a whole run configuration as a JSON object
              --control MODE    how the tuner may steer the run: auto (it applies learning-rate changes and stops,
                                the default), suggest (it only suggests them, shown by trainwatch alerts), off
            Exit status: 0 when the run completed, was stopped or diverged (a scenario may diverge on purpose); 1 when
            it failed, the trainer refused it or it disappeared from the trainer; 2 for a bad argument or a trainer
            that is not reachable (also when it stops answering while the run is followed).
            Environment: TRAINWATCH_TRAINER_URL (default http://127.0.0.1:8081), TRAINWATCH_API_TOKEN.""";

    /** A JSON number as a {@code --set} value may be written; anything else is a string. */
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern STATUS = Pattern.compile("^status=(\\S*)");
    private static final Pattern REASON = Pattern.compile(" reason=\"(.*)\"$");
    private static final List<String> CONTROL_MODES = List.of("auto", "suggest", "off");
    private static final List<String> FINAL = List.of("completed", "stopped", "diverged", "failed");

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public int run(List<String> arguments, Terminal t) throws CliException {
        ObjectNode body = request(arguments);
        if (body == null) {
            t.out().println(USAGE);
            return 0;
        }
        Rest trainer = new Rest("trainer", t.trainerUrl(), t.apiToken());
        Rest.Answer a = trainer.post("/runs", body);
        if (a.status() != 202 && a.status() != 201) {
            throw new CliException(CliException.FAILED, "the trainer refused the run (HTTP " + a.status() + "): " + a.problem());
        }
        JsonNode answer = a.json();
        String runId = answer == null ? "" : answer.path("runId").asText("");
        if (runId.isEmpty()) {
            throw new CliException(CliException.FAILED, "no run id in the trainer's answer: " + a.body().strip());
        }
        t.out().println(runId);
        t.out().flush();
        return follow(trainer, runId, t);
    }

    /** The body of {@code POST /runs} for the arguments; null for {@code --help}. */
    static ObjectNode request(List<String> arguments) throws CliException {
        Args args = new Args("train", arguments);
        String scenario = null;
        String config = null;
        String control = null;
        ObjectNode fields = EventCodec.MAPPER.createObjectNode();
        while (args.hasNext()) {
            String a = args.next();
            switch (a) {
                case "--scenario" -> scenario = args.value(a);
                case "--steps" -> fields.put("steps", args.longValue(a, 1, 100_000_000L));
                case "--seed" -> fields.put("seed", args.longValue(a, Long.MIN_VALUE, Long.MAX_VALUE));
                case "--config" -> config = args.value(a);
                case "--control" -> control = args.value(a);
                case "--set" -> set(fields, args.value(a), args);
                default -> {
                    if (Args.isHelp(a)) {
                        return null;
                    }
                    throw args.unknown(a);
                }
            }
        }
        if (control != null && !CONTROL_MODES.contains(control)) {
            throw args.bad("--control must be auto, suggest or off, was '" + control + "'");
        }
        ObjectNode body;
        if (config != null) {
            if (scenario != null || !fields.isEmpty()) {
                throw args.bad("--config is a whole run configuration: give --scenario, --steps, --seed and --set without it");
            }
            body = readConfig(config, args);
            if (control != null && body.has("control")) {
                throw args.bad(config + " has a control field already: leave out --control or the field");
            }
        } else if (scenario != null) {
            body = EventCodec.MAPPER.createObjectNode();
            body.put("scenario", scenario);
            body.setAll(fields);
        } else {
            throw args.bad("--scenario NAME or --config FILE is needed");
        }
        if (control != null) {
            body.putObject("control").put("mode", control);
        }
        return body;
    }

    private static void set(ObjectNode fields, String kv, Args args) throws CliException {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw args.bad("--set needs key=value, was '" + kv + "'");
        }
        String key = kv.substring(0, eq);
        String value = kv.substring(eq + 1);
        if (NUMBER.matcher(value).matches()) {
            try {
                fields.put(key, Long.parseLong(value));
            } catch (NumberFormatException e) {
                fields.put(key, Double.parseDouble(value));
            }
        } else {
            fields.put(key, value);
        }
    }

    private static ObjectNode readConfig(String file, Args args) throws CliException {
        JsonNode json;
        try {
            json = EventCodec.MAPPER.readTree(Files.readAllBytes(Path.of(file)));
        } catch (java.nio.file.NoSuchFileException e) {
            throw args.bad("cannot read " + file + ": no such file");
        } catch (IOException e) {
            throw args.bad("cannot read " + file + ": " + firstLine(e.getMessage()));
        }
        if (!(json instanceof ObjectNode o)) {
            throw args.bad(file + " is not a JSON object");
        }
        return o;
    }

    /**
     * Prints the progress until the run ends: one line redrawn in place on a terminal, otherwise a line whenever it
     * changes (at most every 2 s); then the last line and {@code run ID STATUS: reason}.
     */
    static int follow(Rest trainer, String runId, Terminal t) throws CliException {
        String path = "/runs/" + Rest.segment(runId) + "/progress";
        String lastPrinted = null;
        long lastPrintAt = 0;
        while (true) {
            Rest.Answer a;
            try {
                a = trainer.getPatiently(path, t, t.pollInterval().multipliedBy(2), "run " + runId + " was in progress",
                        null);
            } catch (CliException e) {
                clearLine(t);
                throw e;
            }
            if (a.status() != 200) {
                clearLine(t);
                throw new CliException(CliException.FAILED, a.status() == 404
                        ? "run " + runId + " is gone from the trainer at " + trainer.base() + " (the trainer restarted?)"
                        : "the trainer answered HTTP " + a.status() + " about run " + runId + ": " + a.problem());
            }
            String line = firstLine(a.body());
            Matcher m = STATUS.matcher(line);
            String status = m.find() ? m.group(1) : "";
            String show = line.replaceFirst("^status=\\S* ?", "").replaceFirst(" reason=.*$", "");
            if (FINAL.contains(status)) {
                clearLine(t);
                t.out().println(show);
                Matcher r = REASON.matcher(line);
                t.out().println("run " + runId + " " + status + (r.find() ? ": " + r.group(1) : ""));
                return "failed".equals(status) ? CliException.FAILED : 0;
            }
            long now = System.nanoTime();
            if (t.tty()) {
                t.out().print("\r\033[K" + show);
                t.out().flush();
            } else if (!show.equals(lastPrinted) && now - lastPrintAt >= 2_000_000_000L) {
                t.out().println(show);
                t.out().flush();
                lastPrinted = show;
                lastPrintAt = now;
            }
            t.pause(1);
        }
    }

    private static void clearLine(Terminal t) {
        if (t.tty()) {
            t.out().print("\r\033[K");
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
