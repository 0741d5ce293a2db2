package dev.mcpguard.core.credentials;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server playing a broken token endpoint, for the failures mock-oauth2-server does not script:
 * {@code /hang/token} never answers (until closed), {@code /redirect/token} redirects to a cloud metadata address,
 * {@code /trickle/token} sends the headers and the start of a body and then nothing more (until closed),
 * {@code /huge/token} answers a valid token response of 1 MiB, {@code /no-expiry/token} answers a new access token
 * ({@code issued-1}, {@code issued-2}, ...) without {@code expires_in}.
 */
final class MisbehavingTokenEndpointFakeForTests implements AutoCloseable {

    private final HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch bodyStarted = new CountDownLatch(1);

    MisbehavingTokenEndpointFakeForTests() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/hang/token", exchange -> {
            requests.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.createContext("/redirect/token", exchange -> {
            requests.incrementAndGet();
            exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            exchange.sendResponseHeaders(307, -1);
            exchange.close();
        });
        server.createContext("/trickle/token", exchange -> {
            requests.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0); // chunked: the body has no announced end
            exchange.getResponseBody().write("{\"access_token\":\"".getBytes(StandardCharsets.US_ASCII));
            exchange.getResponseBody().flush();
            bodyStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.createContext("/huge/token", exchange -> {
            requests.incrementAndGet();
            byte[] body = ("{\"access_token\":\"" + "a".repeat(1024 * 1024) + "\",\"token_type\":\"Bearer\"}")
                    .getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try {
                exchange.getResponseBody().write(body);
            } catch (IOException e) {
                // The client gave up reading, as it should.
            }
            exchange.close();
        });
        server.createContext("/no-expiry/token", exchange -> {
            int n = requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("{\"access_token\":\"issued-" + n + "\",\"token_type\":\"Bearer\"}")
                    .getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    URI endpoint(String behaviour) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + behaviour + "/token");
    }

    /** True once {@code /trickle/token} has sent the start of its body. */
    boolean bodyStarted() {
        return bodyStarted.getCount() == 0;
    }

    int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
