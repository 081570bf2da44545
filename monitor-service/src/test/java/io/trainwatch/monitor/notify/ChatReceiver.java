package io.trainwatch.monitor.notify;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real local chat server for tests: the JDK's HttpServer on 127.0.0.1 and an ephemeral port, recording
 * every POST (path, body, arrival time) and answering 200, or scripted statuses (500, 429 with Retry-After)
 * first, or one status all along during an outage ({@link #down}). {@code GET /_received} lists what arrived as text, one {@code path<TAB>body} per line.
 */
public final class ChatReceiver implements AutoCloseable {

    /** One request received, with the status it was answered. */
    public record Received(String path, String body, String contentType, long nanos, int status) {
    }

    /** A scripted answer. */
    public record Reply(int status, String retryAfter) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "chat-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Reply>> scripts = new ConcurrentHashMap<>();
    private final Map<String, Integer> outages = new ConcurrentHashMap<>();

    private ChatReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static ChatReceiver start() throws IOException {
        return new ChatReceiver();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Answers the next requests to {@code path} with these replies, then 200. */
    public void script(String path, Reply... replies) {
        scripts.computeIfAbsent(path, p -> new ArrayDeque<>());
        Deque<Reply> q = scripts.get(path);
        synchronized (q) {
            q.addAll(List.of(replies));
        }
    }

    /** Answers every request to {@code path} with {@code status} (recorded as received) until {@link #up}. */
    public void down(String path, int status) {
        outages.put(path, status);
    }

    /** Ends an outage of {@code path}: scripted replies or 200 again. */
    public void up(String path) {
        outages.remove(path);
    }

    public List<Received> at(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    public List<Received> all() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().equals("/_received")) {
                StringBuilder b = new StringBuilder();
                for (Received r : received) {
                    b.append(r.path()).append('\t').append(r.body().replace('\n', ' ')).append('\n');
                }
                reply(ex, 200, null, b.toString());
                return;
            }
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String path = ex.getRequestURI().getPath();
            Integer outage = outages.get(path);
            Reply r = outage == null ? null : new Reply(outage, null);
            Deque<Reply> q = scripts.get(path);
            if (r == null && q != null) {
                synchronized (q) {
                    r = q.poll();
                }
            }
            int status = r == null ? 200 : r.status();
            received.add(new Received(path, body, ex.getRequestHeaders().getFirst("Content-Type"), System.nanoTime(),
                    status));
            if (r == null) {
                reply(ex, 200, null, "ok");
            } else {
                reply(ex, r.status(), r.retryAfter(), (outage != null ? "down " : "scripted ") + r.status());
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String retryAfter, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (retryAfter != null) {
            ex.getResponseHeaders().add("Retry-After", retryAfter);
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
