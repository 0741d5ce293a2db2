package dev.mcpguard.examples;

import dev.mcpguard.core.internal.ClientText;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream system of the example: a small "payments" HTTP API on 127.0.0.1 that the orders server calls to
 * pay a refund out. It behaves as a real OAuth-protected API would: a refund is accepted only with a bearer access
 * token signed by the trusted issuer (verified against the issuer's JWKS), unexpired, for audience
 * {@value #AUDIENCE} and with scope {@value #REFUND_SCOPE}; anything else is 401. It counts what it accepted and
 * refused.
 *
 * <pre>{@code
 * try (PaymentsApi payments = PaymentsApi.start(issuer.issuer(), issuer.jwksUri())) {
 *     URI refunds = payments.refundsUri();      // POST {"order_id": "...", "amount": 12.5}
 * }
 * }</pre>
 *
 * <p>Thread-safe. Not a payment system: it moves no money and keeps nothing but counters.
 */
public final class PaymentsApi implements AutoCloseable {

    /** The audience its tokens must carry; also the credential name the policy grants for refunds. */
    public static final String AUDIENCE = "payments-api";
    /** The scope a token needs to refund. */
    public static final String REFUND_SCOPE = "payments.refund";
    /** Where refunds are posted. */
    public static final String REFUNDS_PATH = "/v1/refunds";

    private static final Logger log = LoggerFactory.getLogger(PaymentsApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final DefaultJWTProcessor<SecurityContext> tokens;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    // Kept only so tests can prove these tokens never reach a client, a log or an audit record.
    private final List<String> receivedTokens = new CopyOnWriteArrayList<>();

    private PaymentsApi(HttpServer server, ExecutorService executor, DefaultJWTProcessor<SecurityContext> tokens) {
        this.server = server;
        this.executor = executor;
        this.tokens = tokens;
    }

    /** Starts the API on a free port of 127.0.0.1, trusting tokens of {@code issuer} signed with a key at {@code jwksUri}. */
    public static PaymentsApi start(URI issuer, URI jwksUri) {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(jwksUri, "jwksUri");
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.create(jwksUri.toURL()).retrying(true).build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("jwksUri is not a URL: " + jwksUri, e);
        }
        DefaultJWTProcessor<SecurityContext> tokens = new DefaultJWTProcessor<>();
        tokens.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        tokens.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(AUDIENCE,
                new JWTClaimsSet.Builder().issuer(issuer.toString()).build(), Set.of("sub", "exp", "iat")));
        ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "payments-api");
            thread.setDaemon(true);
            return thread;
        });
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            server.setExecutor(executor);
            PaymentsApi api = new PaymentsApi(server, executor, tokens);
            server.createContext(REFUNDS_PATH, api::handle);
            server.start();
            return api;
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("cannot start the payments API on 127.0.0.1", e);
        }
    }

    /** The refunds endpoint, {@code http://127.0.0.1:<port>/v1/refunds}. */
    public URI refundsUri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + REFUNDS_PATH);
    }

    /** Refunds accepted: requests that carried a valid token. */
    public int acceptedRequests() {
        return accepted.get();
    }

    /** Requests refused with 401 (no token, or an invalid one). */
    public int refusedRequests() {
        return refused.get();
    }

    /** Every bearer token received, valid or not; for tests that prove no token leaks elsewhere. */
    List<String> receivedTokens() {
        return List.copyOf(receivedTokens);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "POST");
                respond(exchange, 405, Map.of("error", "method_not_allowed"));
                return;
            }
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                refuse(exchange, "no bearer token");
                return;
            }
            String token = authorization.substring(7).trim();
            receivedTokens.add(token);
            JWTClaimsSet claims;
            try {
                claims = tokens.process(token, null);
            } catch (Exception e) {
                // The reason, never the token.
                refuse(exchange, e.getClass().getSimpleName() + ": " + e.getMessage());
                return;
            }
            String scope = claims.getClaim("scope") instanceof String s ? s : "";
            if (!Arrays.asList(scope.split(" ")).contains(REFUND_SCOPE)) {
                refuse(exchange, "scope " + REFUND_SCOPE + " missing");
                return;
            }
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            int number = accepted.incrementAndGet();
            log.debug("Refund for order {} accepted from client {}", ClientText.forLog(body.path("order_id").asText()),
                    ClientText.forLog(claims.getSubject()));
            respond(exchange, 201, Map.of("status", "accepted",
                    "payment_reference", String.format("pay-%06d", number)));
        }
    }

    private void refuse(HttpExchange exchange, String why) throws IOException {
        refused.incrementAndGet();
        log.info("Payments API refused a request: {}", ClientText.forLog(why));
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        respond(exchange, 401, Map.of("error", "invalid_token"));
    }

    private static void respond(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops listening. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
