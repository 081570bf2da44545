package io.trainwatch.tuner.api;

import io.trainwatch.tuner.TunerService;
import io.trainwatch.tuner.kafka.TunerRuntime;
import io.trainwatch.tuner.study.InvalidStudyException;
import io.trainwatch.tuner.study.StudySpecParser;
import io.trainwatch.tuner.study.StudyState;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Studies over HTTP: {@code POST /studies} (validated: a bad study is a 400 naming the field),
 * {@code GET /studies}, {@code GET /studies/{id}} (the leaderboard), {@code GET /studies/{id}/text}
 * (the same for a terminal) and {@code POST /studies/{id}/stop}.
 */
@Path("/studies")
public class StudyResource {

    private final TunerService tuner;

    public StudyResource(TunerService tuner) {
        this.tuner = tuner;
    }

    /** The error body of every 4xx/5xx answer. */
    public record Problem(String error, String field) {
    }

    @POST
    @Consumes({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN, MediaType.WILDCARD})
    @Produces(MediaType.APPLICATION_JSON)
    public Response create(byte[] body) {
        StudySpecParser.Parsed parsed;
        try {
            parsed = StudySpecParser.parse(body == null ? new byte[0] : body);
        } catch (InvalidStudyException e) {
            return Response.status(400).entity(new Problem(e.getMessage(), e.field())).build();
        }
        try {
            StudyState s = tuner.create(parsed.id(), parsed.spec());
            StudyView view = tuner.read(engine -> StudyView.of(s));
            return Response.created(URI.create("/studies/" + s.id)).entity(view).build();
        } catch (TunerRuntime.NotReadyException e) {
            return Response.status(503).entity(new Problem(e.getMessage(), null)).build();
        } catch (IllegalStateException e) {
            return Response.status(409).entity(new Problem(e.getMessage(), parsed.id() == null ? null : "id")).build();
        }
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<StudyView.Summary> list() {
        return tuner.read(engine -> engine.studies().stream().map(StudyView::summary).toList());
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("id") String id) {
        Optional<StudyView> view = tuner.read(engine -> engine.study(id).map(StudyView::of));
        return view.map(v -> Response.ok(v).build()).orElseGet(() -> notFound(id));
    }

    @GET
    @Path("{id}/text")
    @Produces(MediaType.TEXT_PLAIN)
    public Response text(@PathParam("id") String id, @QueryParam("decisions") @DefaultValue("8") int decisions) {
        Optional<StudyView> view = tuner.read(engine -> engine.study(id).map(StudyView::of));
        return view.map(v -> Response.ok(LeaderboardText.render(v, Math.max(0, Math.min(decisions, 200))))
                .header("X-Study-Status", v.status()).build())
                .orElseGet(() -> Response.status(404).type(MediaType.TEXT_PLAIN).entity("no study '" + id + "'\n").build());
    }

    @POST
    @Path("{id}/stop")
    @Produces(MediaType.APPLICATION_JSON)
    public Response stop(@PathParam("id") String id, @QueryParam("reason") String reason) {
        try {
            StudyState s = tuner.stop(id, reason == null || reason.isBlank() ? "stopped by request" : reason);
            return Response.ok(tuner.read(engine -> StudyView.of(s))).build();
        } catch (IllegalArgumentException e) {
            return notFound(id);
        } catch (TunerRuntime.NotReadyException e) {
            return Response.status(503).entity(new Problem(e.getMessage(), null)).build();
        }
    }

    private static Response notFound(String id) {
        return Response.status(404).type(MediaType.APPLICATION_JSON).entity(new Problem("no study '" + id + "'", null)).build();
    }

}
