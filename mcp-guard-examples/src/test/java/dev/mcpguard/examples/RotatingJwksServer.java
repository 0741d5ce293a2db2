package dev.mcpguard.examples;

import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real JWKS endpoint (JDK HTTP server on 127.0.0.1) whose published key set a test replaces, as an identity
 * provider does when it rotates its signing key; it counts how often it was fetched. Thread-safe.
 */
final class RotatingJwksServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicReference<JWKSet> published;
    private final AtomicInteger fetches = new AtomicInteger();

    private RotatingJwksServer(HttpServer server, JWKSet initial) {
        this.server = server;
        this.published = new AtomicReference<>(initial.toPublicJWKSet());
    }

    /** Starts on a free port, publishing the public part of {@code initial}. */
    static RotatingJwksServer start(JWKSet initial) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            RotatingJwksServer jwks = new RotatingJwksServer(http, initial);
            http.createContext("/jwks", exchange -> {
                jwks.fetches.incrementAndGet();
                byte[] body = jwks.published.get().toString().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            http.setExecutor(Executors.newFixedThreadPool(2));
            http.start();
            return jwks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the JWKS server", e);
        }
    }

    /** Publishes the public part of {@code keys} from now on. */
    void publish(JWKSet keys) {
        published.set(keys.toPublicJWKSet());
    }

    /** How many times the key set was fetched. */
    int fetches() {
        return fetches.get();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks");
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
