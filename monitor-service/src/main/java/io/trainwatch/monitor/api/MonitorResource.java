package io.trainwatch.monitor.api;

import io.smallrye.mutiny.Multi;
import io.trainwatch.events.Alert;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.monitor.live.LiveFeed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The monitor's REST API: {@code GET /runs}, {@code GET /runs/{id}}, {@code GET /runs/{id}/alerts},
 * {@code GET /alerts?since=...} (ISO-8601 instant or epoch milliseconds) and {@code GET /alerts/stream}
 * (server-sent events, one line per alert and per tuner suggestion, for {@code ./trainwatch alerts}).
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class MonitorResource {

    private final MonitorView view;
    private final LiveFeed live;

    public MonitorResource(MonitorView view, LiveFeed live) {
        this.view = view;
        this.live = live;
    }

    @GET
    @Path("runs")
    public List<Map<String, Object>> runs() {
        return view.runs().stream().map(RunView::toJson).toList();
    }

    @GET
    @Path("runs/{id}")
    public Map<String, Object> run(@PathParam("id") String id) {
        RunView run = view.run(id);
        if (run == null) {
            throw new NotFoundException("no run '" + id + "' in this monitor's view");
        }
        return run.toJson();
    }

    @GET
    @Path("runs/{id}/alerts")
    public List<Alert> runAlerts(@PathParam("id") String id) {
        return view.alerts(id, null);
    }

    @GET
    @Path("alerts")
    public List<Alert> alerts(@QueryParam("since") String since) {
        return view.alerts(null, parse(since));
    }

    @GET
    @Path("alerts/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> stream() {
        return Multi.createBy().merging().streams(view.alertStream().map(MonitorResource::line),
                live.suggestions().map(MonitorResource::line));
    }

    /** One terminal line for a tuner's suggestion: what it would do for which alert, never applied. */
    static String line(TunerCommand c) {
        String what = TunerCommand.STOP.equals(c.type()) ? "stop" : "learning-rate=" + c.learningRate();
        return String.format("%s %-8s %-21s run=%s %s alert=%s reason=\"%s\" (not applied)", c.timestamp(), "SUGGEST",
                c.type(), c.runId(), what, c.alertId(), c.reason());
    }

    /** One terminal line: status, detector, run, step, severity, then the evidence. */
    static String line(Alert a) {
        String evidence = a.evidence() == null ? "" : a.evidence().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
        return String.format("%s %-8s %-21s run=%s step=%d severity=%s %s", a.timestamp(), a.status(), a.detector(),
                a.runId(), a.step(), a.severity(), evidence);
    }

    static Instant parse(String since) {
        if (since == null || since.isBlank()) {
            return null;
        }
        try {
            return since.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(since))
                    : Instant.parse(since);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new BadRequestException("since must be an ISO-8601 instant or epoch milliseconds, was '" + since + "'");
        }
    }
}
