package io.trainwatch.monitor.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the Chrome DevTools Protocol (a java.net.http WebSocket, no driver
 * library): navigate, evaluate JavaScript, wait for a condition, take a screenshot. {@link #start()} skips
 * the test when Debian's {@code chromium} is missing, and fails it when {@code CI=true}.
 */
final class Chromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** The browser's path, if installed. */
    static Optional<Path> find() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : dirs) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts a fresh headless browser with an empty profile, or skips (fails with CI=true) when there is none. */
    static Chromium start() throws Exception {
        Optional<Path> binary = find();
        if (binary.isEmpty()) {
            String message = "chromium not found: install it with `apt-get install -y chromium` (.ci/run does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail("CI=true and " + message);
            }
            Assumptions.abort(message);
        }
        Path profile = Files.createTempDirectory("trainwatch-chromium");
        Path log = Path.of("target", "chromium.log");
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(binary.get().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1440,1400",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("chromium did not start (see " + log.toAbsolutePath() + ")");
                }
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            String pageSocket = null;
            while (pageSocket == null) {
                String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (JsonNode target : JSON.readTree(list)) {
                    if ("page".equals(target.path("type").asText())) {
                        pageSocket = target.path("webSocketDebuggerUrl").asText();
                    }
                }
                if (pageSocket == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("chromium has no page target");
                    }
                    Thread.sleep(50);
                }
            }
            Chromium[] self = new Chromium[1];
            StringBuilder buffer = new StringBuilder();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    buffer.append(data);
                    if (last) {
                        String message = buffer.toString();
                        buffer.setLength(0);
                        self[0].received(message);
                    }
                    ws.request(1);
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            self[0] = new Chromium(process, profile, socket);
            self[0].call("Page.enable", Map.of());
            self[0].call("Runtime.enable", Map.of());
            self[0].call("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 1440, "height", 1400, "deviceScaleFactor", 1, "mobile", false));
            return self[0];
        } catch (Exception | Error e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private void received(String message) {
        try {
            JsonNode node = JSON.readTree(message);
            if (node.has("id")) {
                CompletableFuture<JsonNode> f = calls.remove(node.get("id").asInt());
                if (f != null) {
                    if (node.has("error")) {
                        f.completeExceptionally(new IllegalStateException("CDP error: " + node.get("error")));
                    } else {
                        f.complete(node.path("result"));
                    }
                }
            }
        } catch (IOException e) {
            // not for us
        }
    }

    /** Calls a DevTools method and waits for its result. */
    JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", JSON.valueToTree(params));
        socket.sendText(JSON.writeValueAsString(msg), true).get(10, TimeUnit.SECONDS);
        return f.get(30, TimeUnit.SECONDS);
    }

    void navigate(String url) throws Exception {
        call("Page.navigate", Map.of("url", url));
    }

    /** The value of a JavaScript expression (promises awaited), as JSON; an exception in the page fails. */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("page threw: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Polls {@code expression} until {@code done} holds for its value, or fails after {@code timeout} with the last value. */
    JsonNode waitFor(String expression, Predicate<JsonNode> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        Exception error = null;
        while (System.nanoTime() < deadline) {
            try {
                last = eval(expression);
                if (done.test(last)) {
                    return last;
                }
            } catch (IllegalStateException e) {
                error = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + timeout + " waiting on " + expression + "; last value " + last
                + (error == null ? "" : "; last error " + error.getMessage()));
    }

    void screenshot(Path file) throws Exception {
        JsonNode r = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
