package io.trainwatch.service;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

/** A resource with a read and two writes, to exercise {@link ApiTokenFilter}. */
@Path("/echo")
public class EchoResource {

    @GET
    public String read() {
        return "read";
    }

    @POST
    public String write(String body) {
        return "wrote " + body;
    }

    @DELETE
    public String delete() {
        return "deleted";
    }
}
