package io.trainwatch.monitor.live;

import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.RestStreamElementType;


/**
 * The live page's API (the page itself is {@code META-INF/resources/index.html}, served at {@code /}):
 * {@code GET /live/runs}, {@code GET /live/runs/{id}}, {@code GET /live/studies}, {@code GET /live/stats} and
 * {@code GET /live/stream?run=ID} (server-sent events, one JSON push at most every {@code push-interval}).
 * JSON is written by {@link LiveJson}: NaN and infinities are the strings "NaN", "Infinity", "-Infinity".
 */
@Path("/live")
@Produces(MediaType.APPLICATION_JSON)
public class LiveResource {

    private final LiveFeed feed;

    public LiveResource(LiveFeed feed) {
        this.feed = feed;
    }

    @GET
    @Path("runs")
    public String runs() {
        return LiveJson.write(feed.store().runs());
    }

    @GET
    @Path("runs/{id}")
    public String run(@PathParam("id") String id) {
        LiveViews.RunDetail run = feed.store().run(id);
        if (run == null) {
            throw new NotFoundException("no run '" + id + "' on the live page");
        }
        return LiveJson.write(run);
    }

    @GET
    @Path("studies")
    public String studies() {
        return LiveJson.write(feed.store().studies());
    }

    @GET
    @Path("stats")
    public String stats() {
        return LiveJson.write(feed.store().stats().withCaughtUp(feed.caughtUp()));
    }

    @GET
    @Path("stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> stream(@QueryParam("run") String run) {
        return feed.stream(run == null || run.isBlank() ? null : run);
    }
}
