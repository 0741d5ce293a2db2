package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.OpaServer;
import dev.mcpguard.core.testing.PolicyRequests;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The remote engine against a deliberately broken policy server (a loopback {@link HttpServer}): every failure
 * is a denial with its reason code, and every call returns because a timeout fires, never hangs.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS) // a safety net against hangs, not a latency assertion
class OpaRemoteFailureModesTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile HttpHandler behaviour = exchange -> respond(exchange, 200, "{\"result\": true}");
    private ExecutorService executor;
    private HttpServer server;

    record Received(String method, URI uri, String authorization, JsonNode body, int remotePort) {
    }

    @BeforeEach
    void startBrokenServer() throws IOException {
        executor = Executors.newCachedThreadPool();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    body.length == 0 ? null : MAPPER.readTree(body), exchange.getRemoteAddress().getPort()));
            try {
                behaviour.handle(exchange);
            } catch (IOException e) {
                // the client gave up (timeout, too large): expected in these tests
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stopBrokenServer() throws InterruptedException {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private OpaRemotePolicyEngine.Builder engine() {
        return OpaRemotePolicyEngine.builder(base()).allowPlainHttpOnLoopback()
                .connectTimeout(Duration.ofMillis(200)).requestTimeout(Duration.ofMillis(300));
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static ReasonCode reasonOf(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Deny.class);
        return ((Decision.Deny) decision).reason();
    }

    @Test
    void argumentsNoEngineCanTakeAreDeniedAsInvalidArgumentsWithoutBeingSent() {
        OpaRemotePolicyEngine remote = engine().build();
        var caller = PolicyRequests.caller("mallory", "initech", java.util.Set.of(), java.util.Set.of());

        Decision infinite = remote.decide(PolicyRequests.call(caller, "refund_order", Map.of("amount", Double.NaN)));

        assertThat(reasonOf(infinite)).isEqualTo(ReasonCode.INVALID_ARGUMENTS);
        assertThat(received).as("nothing sent to the policy server").isEmpty();
        assertThat(remote.decide(PolicyRequests.allowedCall()).allowed()).isTrue();
    }

    @Test
    void serverThatIsDownIsUnavailable() throws IOException {
        URI closedPort = URI.create("http://127.0.0.1:" + OpaServer.freePort());

        Decision decision = OpaRemotePolicyEngine.builder(closedPort).allowPlainHttpOnLoopback().build()
                .decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(decision)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
    }

    @Test
    void serverSlowerThanTheRequestTimeoutIsUnavailable() {
        behaviour = exchange -> {
            awaitRelease();
            respond(exchange, 200, "{\"result\": true}");
        };

        Decision decision = engine().build().decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(decision)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
    }

    @Test
    void bodyThatStallsAfterTheHeadersIsUnavailable() {
        behaviour = exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked
            OutputStream out = exchange.getResponseBody();
            out.write("{\"result\": ".getBytes(StandardCharsets.UTF_8));
            out.flush();
            awaitRelease();
            out.write("true}".getBytes(StandardCharsets.UTF_8));
            out.close();
        };

        Decision decision = engine().build().decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(decision)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
    }

    @Test
    void serverErrorIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 500, "{\"code\": \"internal_error\", \"message\": \"boom\"}");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void clientErrorIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 401, "{\"code\": \"unauthorized\"}");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void malformedJsonIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 200, "{\"result\": tru");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void emptyBodyIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 200, "");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void jsonThatIsNotAnObjectIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 200, "[true]");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void resultOfTheWrongTypeIsAPolicyError() {
        behaviour = exchange -> respond(exchange, 200, "{\"result\": \"allow\"}");

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void missingResultIsUndefinedAndDenied() {
        behaviour = exchange -> respond(exchange, 200, "{\"provenance\": {\"revision\": \"r1\"}}");

        Decision decision = engine().build().decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(decision)).isEqualTo(ReasonCode.POLICY_UNDEFINED);
        assertThat(decision.policyRevision()).contains("r1");
    }

    @Test
    void hugeBodyIsAPolicyErrorWithoutBufferingIt() {
        String padding = "x".repeat(2 * 1024 * 1024);
        behaviour = exchange -> respond(exchange, 200, "{\"result\": true, \"pad\": \"" + padding + "\"}");

        Decision decision = engine().maxResponseBytes(64 * 1024).build().decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(decision)).isEqualTo(ReasonCode.POLICY_ERROR);
    }

    @Test
    void inputOverTheLimitIsDeniedWithoutBeingSentAndNormalInputsStillAreDecided() {
        OpaRemotePolicyEngine engine = engine().maxInputBytes(64 * 1024).build();
        PolicyRequest allowed = PolicyRequests.allowedCall();
        PolicyRequest huge = PolicyRequests.call(allowed.caller(), "get_order", Map.of("note", "\u00e9".repeat(40_000)));

        Decision decision = engine.decide(huge);

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, deny -> {
            assertThat(deny.reason()).isEqualTo(ReasonCode.POLICY_INPUT_TOO_LARGE);
            assertThat(deny.reason().value()).isEqualTo("policy_input_too_large");
            assertThat(deny.message()).isEqualTo(PolicyInputDocument.INPUT_TOO_LARGE_MESSAGE).doesNotContain("\u00e9");
        });
        assertThat(received).isEmpty();
        assertThat(engine.decide(allowed).allowed()).isTrue();
        assertThat(received).hasSize(1);
    }

    @Test
    void maxInputBytesOutsideItsRangeIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> engine().maxInputBytes(10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 10");
        assertThatThrownBy(() -> engine().maxInputBytes(Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got " + Integer.MAX_VALUE);
    }

    @Test
    void redirectIsNotFollowed() {
        behaviour = exchange -> {
            exchange.getResponseHeaders().set("Location", "http://127.0.0.1:1/elsewhere");
            exchange.sendResponseHeaders(307, -1);
        };

        assertThat(reasonOf(engine().build().decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_ERROR);
        assertThat(received).hasSize(1);
    }

    @Test
    void postsTheInputDocumentToTheDataApiWithProvenance() {
        PolicyRequest request = PolicyRequests.allowedCall();

        engine().environment(Map.of("name", "prod")).build().decide(request);

        assertThat(received).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.uri()).hasToString("/v1/data/mcp/authz/decision?provenance=true");
            assertThat(r.body().path("input").path("decision_id").asText()).isEqualTo(request.decisionId());
            assertThat(r.body().path("input").path("environment").path("name").asText()).isEqualTo("prod");
            assertThat(r.body().path("input").path("tool").path("name").asText()).isEqualTo("get_order");
            assertThat(r.authorization()).isNull();
        });
    }

    @Test
    void bearerTokenIsSentButNeverShown() {
        Secret token = Secret.ofUtf8("opa-token-s3cr3t");
        OpaRemotePolicyEngine engine = engine().bearerToken(token).build();

        engine.decide(PolicyRequests.allowedCall());

        assertThat(received).singleElement()
                .satisfies(r -> assertThat(r.authorization()).isEqualTo("Bearer opa-token-s3cr3t"));
        assertThat(engine.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void connectionsAreKeptAlive() {
        OpaRemotePolicyEngine engine = engine().build();

        for (int i = 0; i < 3; i++) {
            assertThat(engine.decide(PolicyRequests.allowedCall()).allowed()).isTrue();
        }

        assertThat(received).extracting(Received::remotePort).hasSize(3).containsOnly(received.get(0).remotePort());
    }

    @Test
    void revisionsOfSeveralBundlesAreJoinedInNameOrder() {
        behaviour = exchange -> respond(exchange, 200, "{\"result\": true, \"provenance\": {\"bundles\": "
                + "{\"users\": {\"revision\": \"u-9\"}, \"authz\": {\"revision\": \"a-3\"}}}}");

        assertThat(engine().build().decide(PolicyRequests.allowedCall()).policyRevision()).contains("authz=a-3,users=u-9");
    }

    @Test
    void controlCharactersInARevisionAreRemoved() {
        behaviour = exchange -> respond(exchange, 200,
                "{\"result\": true, \"provenance\": {\"bundles\": {\"b\": {\"revision\": \"r1\\n[forged] line\"}}}}");

        assertThat(engine().build().decide(PolicyRequests.allowedCall()).policyRevision()).contains("r1[forged] line");
    }

    private void awaitRelease() {
        try {
            release.await(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
