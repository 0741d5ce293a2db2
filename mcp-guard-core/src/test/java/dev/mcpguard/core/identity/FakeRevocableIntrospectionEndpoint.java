package dev.mcpguard.core.identity;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An RFC 7662 introspection endpoint (JDK HTTP server on 127.0.0.1) that knows the tokens a test registers and
 * forgets them when the test revokes them. A fake because mock-oauth2-server cannot do this: its
 * {@code /introspect} answers {@code active: true} for every well-signed JWT of the issuer, and its
 * {@code /revoke} only forgets refresh tokens, so an access token never becomes inactive there; nor can it mint
 * opaque access tokens. It demands {@code client_secret_basic} with the configured credentials (401 otherwise)
 * and counts requests. Thread-safe.
 */
final class FakeRevocableIntrospectionEndpoint implements AutoCloseable {

    private final HttpServer server;
    private final String expectedAuthorization;
    private final Map<String, Map<String, Object>> active = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String lastBody = "";
    private volatile String lastAuthorization = "";

    private FakeRevocableIntrospectionEndpoint(HttpServer server, String clientId, String clientSecret) {
        this.server = server;
        this.expectedAuthorization = "Basic " + Base64.getEncoder().encodeToString(
                (clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
    }

    static FakeRevocableIntrospectionEndpoint start(String clientId, String clientSecret) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            FakeRevocableIntrospectionEndpoint endpoint = new FakeRevocableIntrospectionEndpoint(http, clientId,
                    clientSecret);
            http.createContext("/introspect", endpoint::answer);
            http.setExecutor(Executors.newFixedThreadPool(2));
            http.start();
            return endpoint;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the introspection endpoint", e);
        }
    }

    /** From now on {@code token} is active with these members (besides {@code active}). */
    void activate(String token, Map<String, Object> members) {
        active.put(token, new LinkedHashMap<>(members));
    }

    /** From now on {@code token} is inactive, as after a logout at the issuer. */
    void revoke(String token) {
        revoked.add(token);
    }

    int requests() {
        return requests.get();
    }

    String lastBody() {
        return lastBody;
    }

    String lastAuthorization() {
        return lastAuthorization;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/introspect");
    }

    private void answer(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        lastBody = body;
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        lastAuthorization = authorization == null ? "" : authorization;
        if (!"POST".equals(exchange.getRequestMethod()) || !expectedAuthorization.equals(authorization)) {
            send(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        String token = null;
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals("token")) {
                token = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        Map<String, Object> members = token == null || revoked.contains(token) ? null : active.get(token);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("active", members != null);
        if (members != null) {
            json.putAll(members);
        }
        send(exchange, 200, JSONObjectUtils.toJSONString(json));
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
