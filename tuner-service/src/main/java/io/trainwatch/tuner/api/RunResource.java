package io.trainwatch.tuner.api;

import io.trainwatch.tuner.TunerService;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.ValidationPoint;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Optional;

/**
 * The runs this tuner steers outside its studies (those that declared {@code control.mode} auto or suggest):
 * {@code GET /runs} (one line each, in start order), {@code GET /runs/{id}} (control, status, rate,
 * decays, pending commands and decisions) and {@code GET /runs/{id}/validations} (every validation kept, in step
 * order: the run's validation history, which {@code GET /runs/{id}} sums up as its best).
 */
@Path("/runs")
public class RunResource {

    private final TunerService tuner;

    public RunResource(TunerService tuner) {
        this.tuner = tuner;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<RunView.Summary> list() {
        return tuner.read(engine -> engine.runs().runs().stream().map(RunView::summary).toList());
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("id") String id) {
        Optional<RunView> view = tuner.read(engine -> engine.runs().run(id).map(RunView::of));
        return view.map(v -> Response.ok(v).build()).orElseGet(() -> notFound(id));
    }

    /**
     * The run's validations in step order, the last {@link SteeredRun#VALIDATIONS_KEPT} at most, each
     * {@code {step, epoch, validationLoss, validationAccuracy, trainLoss, trainAccuracy}}.
     */
    @GET
    @Path("{id}/validations")
    @Produces(MediaType.APPLICATION_JSON)
    public Response validations(@PathParam("id") String id) {
        Optional<List<ValidationPoint>> list = tuner.read(engine -> engine.runs().run(id)
                .map(r -> List.copyOf(r.validations)));
        return list.map(v -> Response.ok(v).build()).orElseGet(() -> notFound(id));
    }

    private static Response notFound(String id) {
        return Response.status(404).type(MediaType.APPLICATION_JSON)
                .entity(new StudyResource.Problem("no steered run '" + id + "' (a run is steered when its "
                        + "run-started declares control.mode auto or suggest)", null)).build();
    }
}
