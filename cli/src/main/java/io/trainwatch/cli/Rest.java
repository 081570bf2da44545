package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One service's REST API over the JDK's {@link HttpClient}: JSON bodies written and read with the contract's
 * {@link EventCodec#MAPPER}, the bearer token on mutating requests, and one message for a service that does not
 * answer ({@code the trainer is not reachable at URL (start it with ./trainwatch up)}).
 */
public final class Rest {

    /** An answer: its status, body and headers. */
    public record Answer(int status, String body, HttpHeaders headers) {

        public boolean ok() {
            return status / 100 == 2;
        }

        /** The body as JSON, or null when it is not JSON. */
        public JsonNode json() {
            try {
                return EventCodec.MAPPER.readTree(body);
            } catch (IOException e) {
                return null;
            }
        }

        /** The service's own words for a refusal: the {@code error} (and {@code field}) of its JSON body, else the body. */
        public String problem() {
            JsonNode j = json();
            if (j != null && j.hasNonNull("error")) {
                String field = j.path("field").asText("");
                return j.path("error").asText() + (field.isEmpty() ? "" : " (field " + field + ")");
            }
            String b = body.strip();
            return b.isEmpty() ? "(empty answer)" : b;
        }
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT).build();
    private final String service;
    private final String base;
    private final String token;

    /**
     * @param service the service's name in messages ("trainer")
     * @param base    its base URL, without a trailing slash
     * @param token   the bearer token for POST requests, or null
     */
    public Rest(String service, String base, String token) {
        this.service = service;
        this.base = base;
        this.token = token;
    }

    public String base() {
        return base;
    }

    /** A path segment, escaped. */
    public static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The message for a service that does not answer. */
    String unreachable(Exception e) {
        return "the " + service + " is not reachable at " + base + " (start it with ./trainwatch up): " + why(e);
    }

    /** Why a request got no answer, in a few words. */
    static String why(Exception e) {
        return e instanceof java.net.ConnectException ? "connection refused"
                : e instanceof java.net.http.HttpTimeoutException ? "no answer in time"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** GET; an unreachable service is a {@link CliException} with status {@link CliException#USAGE}. */
    public Answer get(String path) throws CliException {
        try {
            return tryGet(path);
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, unreachable(e));
        }
    }

    /** GET; an unreachable service is an {@link IOException}, for callers that retry. */
    public Answer tryGet(String path) throws IOException, CliException {
        return send(request(path).GET().build());
    }

    /**
     * GET for a command that follows a run or a study: a service that does not answer, or answers 5xx, is asked
     * again every {@code pause} until {@link Terminal#patience()} has passed, then the command ends with
     * {@code the SERVICE at URL stopped answering (N s) while WHAT: why} (status {@link CliException#USAGE}).
     *
     * @param what    what was being followed, for the message ("run r1 was in progress")
     * @param onRetry told why each failed try failed (may print it), or null
     * @return the first answer that is neither a failure nor a 5xx
     */
    public Answer getPatiently(String path, Terminal t, Duration pause, String what, Consumer<String> onRetry)
            throws CliException {
        long start = System.nanoTime();
        while (true) {
            String problem;
            try {
                Answer a = tryGet(path);
                if (a.status() < 500) {
                    return a;
                }
                problem = "HTTP " + a.status() + ": " + a.problem();
            } catch (IOException e) {
                problem = why(e);
            }
            if (System.nanoTime() - start > t.patience().toNanos()) {
                throw new CliException(CliException.USAGE, "the " + service + " at " + base + " stopped answering ("
                        + t.patience().toSeconds() + " s) while " + what + ": " + problem);
            }
            if (onRetry != null) {
                onRetry.accept(problem);
            }
            try {
                Thread.sleep(Math.max(1, pause.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(130, "interrupted");
            }
        }
    }

    /** POST of a JSON body (null: an empty body). */
    public Answer post(String path, Object json) throws CliException {
        byte[] body = json == null ? new byte[0] : EventCodec.write(json);
        HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            return send(b.build());
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, unreachable(e));
        }
    }

    /** A long-lived GET whose body is read line by line (server-sent events). */
    public HttpResponse<Stream<String>> lines(String path, String accept) throws CliException {
        HttpRequest r = HttpRequest.newBuilder(uri(path)).header("Accept", accept).GET().build();
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, unreachable(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(130, "interrupted");
        }
    }

    private HttpRequest.Builder request(String path) throws CliException {
        return HttpRequest.newBuilder(uri(path)).timeout(REQUEST_TIMEOUT);
    }

    private URI uri(String path) throws CliException {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "not a URL: " + base + path);
        }
    }

    private Answer send(HttpRequest request) throws IOException, CliException {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body(), r.headers());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(130, "interrupted");
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "not a usable URL: " + request.uri() + ": " + e.getMessage());
        }
    }
}
