package io.trainwatch.monitor.notify;

import java.io.IOException;
import java.io.InputStream;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** POSTs JSON to webhooks with bounded connect and request timeouts (the JVM's proxy settings apply). */
public final class WebhookClient {

    /** What a webhook answered: its status, its Retry-After header (or null) and the start of its body. */
    public record Response(int status, String retryAfter, String body) {
    }

    static final int MAX_BODY = 1024;

    private final HttpClient client;
    private final Duration requestTimeout;

    public WebhookClient(Duration connectTimeout, Duration requestTimeout) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(ProxySelector.getDefault() == null ? HttpClient.Builder.NO_PROXY : ProxySelector.getDefault())
                .build();
        this.requestTimeout = requestTimeout;
    }

    /** Sends one request; a network error or timeout is thrown as {@link IOException}. */
    public Response post(WebhookUrl url, byte[] json) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(url.uri())
                .timeout(requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "trainwatch-monitor")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                .build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        String body;
        try (InputStream in = response.body()) { // read the start only: a hostile server cannot fill the heap
            body = new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
        }
        return new Response(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null),
                AlertText.cut(body, 200));
    }
}
