package io.trainwatch.tuner.api;

import io.trainwatch.tuner.kafka.TunerRuntime;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * 503 with the reason for any request the tuner cannot serve now: a standby instance (its message names the role
 * and the active instance) or an active one still reloading its studies.
 */
@Provider
public class NotActiveMapper implements ExceptionMapper<TunerRuntime.NotReadyException> {

    @Override
    public Response toResponse(TunerRuntime.NotReadyException e) {
        return Response.status(503).type(MediaType.APPLICATION_JSON)
                .entity(new StudyResource.Problem(e.getMessage(), null)).build();
    }
}
