package io.trainwatch.service;

import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;

/**
 * Requires {@code Authorization: Bearer <token>} on every mutating request (POST, PUT, PATCH, DELETE)
 * when {@code trainwatch.api-token} ({@code TRAINWATCH_API_TOKEN}) is set; reads stay open.
 */
@ApplicationScoped
public class ApiTokenFilter {

    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final Optional<byte[]> token;

    public ApiTokenFilter(@ConfigProperty(name = "trainwatch.api-token") Optional<String> token) {
        this.token = token.filter(t -> !t.isBlank()).map(t -> t.trim().getBytes(StandardCharsets.UTF_8));
        Log.infof("API token %s for mutating requests", this.token.isPresent() ? "required" : "not required");
    }

    @ServerRequestFilter(preMatching = true)
    public Optional<Response> requireToken(ContainerRequestContext request) {
        if (token.isEmpty() || !MUTATING.contains(request.getMethod())) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            if (MessageDigest.isEqual(given, token.get())) {
                return Optional.empty();
            }
        }
        return Optional.of(Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"trainwatch\"")
                .type("application/json")
                .entity("{\"error\":\"a bearer token is required: set the header 'Authorization: Bearer "
                        + "$TRAINWATCH_API_TOKEN'\"}")
                .build());
    }
}
