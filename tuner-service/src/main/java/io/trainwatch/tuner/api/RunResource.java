package io.trainwatch.tuner.api;

import io.trainwatch.tuner.TunerService;
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
 * {@code GET /runs} (one line each, in start order) and {@code GET /runs/{id}} (control, status, rate,
 * decays, pending commands and decisions).
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
        return view.map(v -> Response.ok(v).build()).orElseGet(() -> Response.status(404)
                .type(MediaType.APPLICATION_JSON)
                .entity(new StudyResource.Problem("no steered run '" + id + "' (a run is steered when its "
                        + "run-started declares control.mode auto or suggest)", null)).build());
    }
}
