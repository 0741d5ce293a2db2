package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.RecordingAuditSink;
import dev.mcpguard.core.testing.RotatingJwksServer;
import dev.mcpguard.core.testing.SignedTokens;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, item 7: a hostile caller floods the server with tokens whose {@code kid} the issuer never published,
 * while the issuer rotates its signing key. Tokens signed with the new key must be accepted within a few seconds
 * whatever the flood rate, and the flood must not turn into a flood of JWKS requests. Real HTTP throughout: the
 * orders server on Tomcat, a real JWKS endpoint, the real MCP SDK client.
 */
class KeyRotationEndToEndTest {

    static final URI ISSUER = URI.create("https://rotating-idp.example.com/realms/acme");
    static final int FLOOD_THREADS = 4;
    /** The bound we state (docs/authentication.md): refetch interval 1 s plus one fetch; generous here. */
    static final Duration ROTATION_BOUND = Duration.ofSeconds(5);

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aRotatedKeyIsAcceptedWithinSecondsWhileAFloodOfUnknownKeyIdsRuns() throws Exception {
        RSAKey oldKey = new RSAKeyGenerator(2048).keyID("key-2026-01").generate();
        RSAKey newKey = new RSAKeyGenerator(2048).keyID("key-2026-02").generate();
        RSAKey strayKey = new RSAKeyGenerator(2048).keyID("unused").generate();
        try (RotatingJwksServer jwks = RotatingJwksServer.start(new JWKSet(oldKey));
             OrdersServer server = fixture.startServer(
                     settings -> settings.issuer(ISSUER).jwksUri(jwks.uri()), new RecordingAuditSink())) {
            URI endpoint = URI.create(server.baseUrl() + OrdersServer.MCP_ENDPOINT);
            String resource = server.resourceUri().toString();
            assertThat(initialize(endpoint, token(oldKey, oldKey.getKeyID(), resource))).isEqualTo(200);

            String figure = null;
            Duration acceptedAfter = null;
            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicLong floodRequests = new AtomicLong();
            ExecutorService flood = Executors.newFixedThreadPool(FLOOD_THREADS);
            List<Future<?>> flooders = new ArrayList<>();
            for (int i = 0; i < FLOOD_THREADS; i++) {
                flooders.add(flood.submit(() -> {
                    while (flooding.get()) {
                        String stray = token(strayKey, "stray-" + UUID.randomUUID(), resource);
                        assertThat(initialize(endpoint, stray)).isEqualTo(401);
                        floodRequests.incrementAndGet();
                    }
                    return null;
                }));
            }
            try {
                // Let the flood run long enough to have spent the refetch budget on stray key ids.
                long floodStart = floodRequests.get();
                Eventually.within(Duration.ofSeconds(10), "flood running",
                        () -> floodRequests.get() > floodStart + 200);
                // Worst case: rotate right after a stray key id spent the refetch budget of this interval.
                int fetchesSoFar = jwks.fetches();
                Eventually.within(Duration.ofSeconds(10), "a flood-triggered JWKS fetch", () -> jwks.fetches() > fetchesSoFar);
                int fetchesBeforeRotation = jwks.fetches();

                jwks.publish(new JWKSet(List.of(newKey, oldKey)));
                long rotatedAt = System.nanoTime();
                long floodAtRotation = floodRequests.get();
                String rotated = token(newKey, newKey.getKeyID(), resource);
                Duration accepted = Eventually.within(Duration.ofSeconds(40),
                        "token signed with the rotated key accepted", () -> initialize(endpoint, rotated) == 200);
                double floodRate = (floodRequests.get() - floodAtRotation) * 1e9 / (System.nanoTime() - rotatedAt);

                try (McpSyncClient client = client(server, rotated)) {
                    client.initialize();
                    assertThat(client.listTools().tools()).isNotEmpty();
                }
                figure = String.format("[figure] rotated key accepted %.2f s after rotation under a flood of %.0f "
                                + "unknown-kid requests/s (%d threads); JWKS fetches: %d before, %d after rotation%n",
                        accepted.toNanos() / 1e9, floodRate, FLOOD_THREADS, fetchesBeforeRotation,
                        jwks.fetches() - fetchesBeforeRotation);
                acceptedAfter = accepted;
            } finally {
                flooding.set(false);
                for (Future<?> flooder : flooders) {
                    flooder.get(30, TimeUnit.SECONDS);
                }
                flood.shutdownNow();
            }
            System.out.println(figure); // after the flood stopped, so no log line interleaves
            assertThat(acceptedAfter).isLessThan(ROTATION_BOUND);
        }
    }

    int initialize(URI endpoint, String token) {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(OrdersServerFixture.INITIALIZE))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static McpSyncClient client(OrdersServer server, String token) {
        return McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl().toString())
                        .endpoint(OrdersServer.MCP_ENDPOINT)
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("Authorization", "Bearer " + token))
                        .build())
                .clientInfo(new McpSchema.Implementation("rotation-test", "1"))
                .requestTimeout(Duration.ofSeconds(10))
                .build();
    }

    static String token(RSAKey signer, String keyId, String audience) {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER.toString())
                .subject(DemoUser.ALICE.subject())
                .audience(audience)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
                .jwtID(UUID.randomUUID().toString())
                .claim("tid", DemoUser.ALICE.tenant())
                .claim("scope", String.join(" ", DemoUser.ALICE.scopes()))
                .claim("roles", List.copyOf(DemoUser.ALICE.roles()))
                .claim("azp", DemoIssuer.CLIENT_ID)
                .build();
        return SignedTokens.rs256(signer, keyId, claims);
    }
}
