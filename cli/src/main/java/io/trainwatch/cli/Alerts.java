package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;

import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code trainwatch alerts}: follows the monitor's server-sent events ({@code GET /alerts/stream}), one line per
 * alert (time, status, detector, run, step, severity, evidence) and per tuner suggestion to a run that declared
 * control {@code suggest} (never applied). With {@code --since}, first prints the alerts kept since then, one JSON
 * object per line. It ends with an error when the monitor closes the stream or the connection breaks.
 */
final class Alerts implements Command {

    static final String USAGE = """
            usage: trainwatch alerts [--since ISO-8601|epoch-ms]
            Follows the monitor's alerts and the tuner's suggestions, one line each, until Ctrl-C.
              --since T   first print the alerts kept since T (one JSON object per line)
            Exit status: 1 when the monitor ends the stream, 2 for a bad argument or a monitor that is not reachable.
            Environment: TRAINWATCH_MONITOR_URL (default http://127.0.0.1:8082).""";

    @Override
    public String name() {
        return "alerts";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public int run(List<String> arguments, Terminal t) throws CliException {
        Args args = new Args(name(), arguments);
        String since = null;
        while (args.hasNext()) {
            String a = args.next();
            if (Args.isHelp(a)) {
                t.out().println(USAGE);
                return 0;
            }
            if (!a.equals("--since")) {
                throw args.unknown(a);
            }
            since = args.value(a);
        }
        Rest monitor = new Rest("monitor", t.monitorUrl(), t.apiToken());
        Rest.Answer live = monitor.get("/q/health/live");
        if (!live.ok()) {
            throw new CliException(CliException.USAGE, "the monitor at " + monitor.base() + " is not live (HTTP "
                    + live.status() + ")");
        }
        if (since != null) {
            Rest.Answer a = monitor.get("/alerts?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
            if (a.status() == 400) {
                throw args.bad("--since: " + a.problem());
            }
            JsonNode list = a.json();
            if (!a.ok() || list == null || !list.isArray()) {
                throw new CliException(CliException.FAILED, "the monitor answered HTTP " + a.status() + " to GET /alerts: "
                        + a.problem());
            }
            for (JsonNode alert : list) {
                t.out().println(EventCodec.writeString(alert));
            }
        }
        t.err().println("following alerts and suggestions from " + monitor.base() + " (Ctrl-C to stop)");
        HttpResponse<Stream<String>> stream = monitor.lines("/alerts/stream", "text/event-stream");
        if (stream.statusCode() != 200) {
            stream.body().close();
            throw new CliException(CliException.FAILED, "the monitor answered HTTP " + stream.statusCode()
                    + " to GET /alerts/stream");
        }
        try (Stream<String> lines = stream.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("data:")) {
                    String data = line.substring(5);
                    t.out().println(data.startsWith(" ") ? data.substring(1) : data);
                    t.out().flush();
                }
            }
        } catch (UncheckedIOException e) {
            throw new CliException(CliException.FAILED, "lost the connection to the monitor at " + monitor.base() + ": "
                    + e.getCause().getMessage());
        }
        throw new CliException(CliException.FAILED, "the monitor at " + monitor.base() + " ended the alert stream");
    }
}
