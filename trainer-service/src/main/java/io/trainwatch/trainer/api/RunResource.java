package io.trainwatch.trainer.api;

import io.trainwatch.trainer.engine.RunView;
import io.trainwatch.trainer.engine.TrainingRun;
import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;
import io.trainwatch.trainer.scenario.Scenario;
import io.trainwatch.trainer.scenario.Scenarios;
import io.trainwatch.trainer.run.RunManager;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * Starts, lists, shows and stops training runs, and lists a run's validations. {@code POST /runs} takes a run configuration, or
 * {@code {"scenario": NAME, "steps": N}} (other fields then override the preset), and answers 202 with the
 * run id; a bad configuration is a 400 naming the wrong field.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class RunResource {

    /** What {@code POST /runs} answers. */
    public record Accepted(String runId, String status, String scenario, Long maxSteps, String self, String progress) {
    }

    /** A 400 or 404 body. */
    public record Problem(String error, String field) {
    }

    private final RunManager runs;

    public RunResource(RunManager runs) {
        this.runs = runs;
    }

    @POST
    @Path("runs")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response start(Map<String, Object> body) {
        if (body == null) {
            return bad(new InvalidConfigException("body", "a JSON object is required"));
        }
        Map<String, Object> config = new LinkedHashMap<>(body);
        Object id = config.remove("runId");
        String runId;
        if (id == null) {
            runId = RunManager.newRunId();
        } else if (id instanceof String s && s.matches("[A-Za-z0-9._:-]{1,200}")) {
            runId = s;
        } else {
            return bad(new InvalidConfigException("runId", "must be 1-200 characters of A-Z a-z 0-9 . _ : -"));
        }
        RunSpec spec;
        try {
            spec = parse(config);
        } catch (InvalidConfigException e) {
            return bad(e);
        }
        TrainingRun run;
        try {
            run = runs.startRest(runId, spec);
        } catch (IllegalStateException e) {
            return Response.status(Response.Status.CONFLICT).entity(new Problem(e.getMessage(), "runId")).build();
        } catch (RejectedExecutionException e) {
            return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                    .entity(new Problem("too many runs in progress or queued; try again later", null)).build();
        }
        return Response.accepted(new Accepted(run.runId(), run.view().status(), spec.scenario(), spec.maxSteps(),
                        "/runs/" + run.runId(), "/runs/" + run.runId() + "/progress"))
                .location(URI.create("/runs/" + run.runId())).build();
    }

    /** A scenario request (with overrides) or a plain configuration. */
    static RunSpec parse(Map<String, Object> config) {
        Object scenario = config.get("scenario");
        if (scenario instanceof String name && Scenarios.find(name).isPresent()) {
            Long steps = longOrNull(config.remove("steps"), "steps");
            if (steps == null) {
                steps = longOrNull(config.remove("maxSteps"), "maxSteps");
            }
            Map<String, Object> merged = Scenarios.configOf(name);
            merged.putAll(config);
            RunSpec spec = RunSpecParser.parse(merged);
            long limit = steps != null ? steps : Scenarios.find(name).get().defaultSteps();
            return spec.withMaxSteps(limit);
        }
        if (scenario != null && !(config.containsKey("dataset") || config.containsKey("hiddenLayers")
                || config.containsKey("model"))) {
            throw new InvalidConfigException("scenario", "unknown scenario '" + scenario + "', one of "
                    + Scenarios.all().stream().map(Scenario::name).toList());
        }
        RunSpec spec = RunSpecParser.parse(config);
        return spec.maxSteps() == null ? spec : spec.withBudget(spec.maxSteps(), spec.epochs());
    }

    private static Long longOrNull(Object value, String field) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 1
                || n.longValue() > 100_000_000L) {
            throw new InvalidConfigException(field, "must be a whole number in [1, 100000000], was " + value);
        }
        return n.longValue();
    }

    @GET
    @Path("runs")
    public List<RunView> list() {
        return runs.views();
    }

    @GET
    @Path("runs/{id}")
    public Response get(@PathParam("id") String id) {
        return runs.find(id).map(r -> Response.ok(r.view()).build()).orElseGet(() -> notFound(id));
    }

    /**
     * The run's validations in step order (the last {@link TrainingRun#VALIDATIONS_KEPT} at most), each
     * {@code {step, epoch, validationLoss, validationAccuracy, trainLoss, trainAccuracy}}: what a REST client (a
     * pruner that judges the run as it trains) follows without Kafka.
     */
    @GET
    @Path("runs/{id}/validations")
    public Response validations(@PathParam("id") String id) {
        return runs.find(id).map(r -> Response.ok(r.validations()).build()).orElseGet(() -> notFound(id));
    }

        /** One plain-text line for scripts: {@code status=running step=12 epoch=0 loss=0.53 accuracy=0.81 lr=0.005}. */
    @GET
    @Path("runs/{id}/progress")
    @Produces(MediaType.TEXT_PLAIN)
    public Response progress(@PathParam("id") String id) {
        return runs.find(id).map(r -> Response.ok(line(r.view())).type(MediaType.TEXT_PLAIN).build())
                .orElseGet(() -> Response.status(404).type(MediaType.TEXT_PLAIN).entity("status=unknown\n").build());
    }

    static String line(RunView v) {
        StringBuilder sb = new StringBuilder();
        sb.append("status=").append(v.status()).append(" step=").append(v.step()).append(" epoch=").append(v.epoch())
                .append(" loss=").append(fmt(v.loss())).append(" accuracy=").append(fmt(v.accuracy()))
                .append(" lr=").append(fmt(v.learningRate()));
        if (v.validationLoss() != null) {
            sb.append(" val_loss=").append(fmt(v.validationLoss())).append(" val_accuracy=")
                    .append(fmt(v.validationAccuracy()));
        }
        if (v.reason() != null && v.finishedAt() != null) {
            sb.append(" reason=\"").append(v.reason().replace('"', '\'').replace('\n', ' ')).append('"');
        }
        return sb.append('\n').toString();
    }

    private static String fmt(Double d) {
        if (d == null) {
            return "-";
        }
        if (!Double.isFinite(d)) {
            return d.toString();
        }
        return Math.abs(d) >= 1e-3 || d == 0 ? String.format(Locale.ROOT, "%.4f", d) : String.format(Locale.ROOT, "%.3g", d);
    }

    @POST
    @Path("runs/{id}/stop")
    public Response stop(@PathParam("id") String id) {
        var run = runs.find(id);
        if (run.isEmpty()) {
            return notFound(id);
        }
        if (run.get().isFinished()) {
            return Response.status(Response.Status.CONFLICT).entity(run.get().view()).build();
        }
        runs.stop(id, "stopped through the REST API");
        return Response.accepted(run.get().view()).build();
    }

    @GET
    @Path("scenarios")
    public List<Scenario> scenarios() {
        return Scenarios.all();
    }

    private static Response bad(InvalidConfigException e) {
        return Response.status(Response.Status.BAD_REQUEST).entity(new Problem(e.getMessage(), e.field())).build();
    }

    private static Response notFound(String id) {
        return Response.status(Response.Status.NOT_FOUND).entity(new Problem("no run " + id + " on this trainer", null))
                .build();
    }
}
