package io.trainwatch.stack.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A chat server for the monitor's webhook channel (Slack's payload, {@code {"text": ...}}) on 127.0.0.1 that
 * answers each message it has not accepted yet, attempt by attempt: 429 with {@code Retry-After: 1}, then 500, then
 * no answer for longer than the client's request timeout, then 200. So every message crosses a rate limit, a
 * server error and a timeout before it is delivered. Keeps each delivered message with the time it arrived.
 */
final class ChatReceiver implements AutoCloseable {

    /** A message the receiver accepted (answered 200), with the nanoTime of its arrival. */
    record Delivered(String text, long arrivedNanos, long arrivedEpochMillis, int attempts) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "chat-receiver");
        t.setDaemon(true);
        return t;
    });
    private final long hangMillis;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final List<Delivered> delivered = new CopyOnWriteArrayList<>();
    private final AtomicInteger answered429 = new AtomicInteger();
    private final AtomicInteger answered500 = new AtomicInteger();
    private final AtomicInteger hung = new AtomicInteger();

    /** {@code hangMillis}: how long the third attempt is held without an answer (past the client's timeout). */
    ChatReceiver(long hangMillis) {
        this.hangMillis = hangMillis;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/hook", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            long now = System.nanoTime();
            long wall = System.currentTimeMillis();
            int attempt = attempts.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
            switch (attempt) {
                case 1 -> {
                    answered429.incrementAndGet();
                    exchange.getResponseHeaders().add("Retry-After", "1");
                    exchange.sendResponseHeaders(429, -1);
                }
                case 2 -> {
                    answered500.incrementAndGet();
                    exchange.sendResponseHeaders(500, -1);
                }
                case 3 -> {
                    hung.incrementAndGet();
                    try {
                        Thread.sleep(hangMillis); // bounded: the client has given up by then
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.sendResponseHeaders(503, -1);
                }
                default -> {
                    if (attempt == 4) {
                        JsonNode json = EventCodec.MAPPER.readTree(body);
                        delivered.add(new Delivered(json.path("text").asText(), now, wall, attempt));
                    }
                    exchange.sendResponseHeaders(200, -1);
                }
            }
        }
    }

    List<Delivered> delivered() {
        return List.copyOf(delivered);
    }

    int answered429() {
        return answered429.get();
    }

    int answered500() {
        return answered500.get();
    }

    int hung() {
        return hung.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
