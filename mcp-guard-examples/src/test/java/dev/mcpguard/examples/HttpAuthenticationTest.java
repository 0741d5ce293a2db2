package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the HTTP layer refuses before any MCP message reaches the SDK, observed over raw HTTP. These hold for the
 * interim filter and must keep holding when {@code McpGuardHttpFilter} replaces it; the real filter's further
 * cases (the {@code resource_metadata} pointer, alg=none, unknown kid, API keys, Origin) belong here too.
 */
class HttpAuthenticationTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void requestWithoutBearerTokenIsRefusedWith401AndABearerChallenge() {
        HttpResponse<String> response = fixture.rawPost(null, null, OrdersServerFixture.INITIALIZE);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                challenge -> assertThat(challenge).startsWith("Bearer"));
    }

    @Test
    void tokenIssuedForAnotherServerIsRefused() {
        String token = fixture.issuer().token(DemoUser.ALICE, List.of("http://127.0.0.1:1/other-mcp"),
                Duration.ofHours(1), Map.of());

        assertThat(fixture.rawPost(token, null, OrdersServerFixture.INITIALIZE).statusCode()).isEqualTo(401);
    }

    @Test
    void expiredTokenIsRefused() {
        String token = fixture.issuer().token(DemoUser.ALICE, List.of(fixture.server().resourceUri().toString()),
                Duration.ofMinutes(-5), Map.of());

        assertThat(fixture.rawPost(token, null, OrdersServerFixture.INITIALIZE).statusCode()).isEqualTo(401);
    }

    @Test
    void tokenWithATamperedPayloadIsRefused() {
        String[] parts = fixture.tokenFor(DemoUser.ALICE).split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]),
                java.nio.charset.StandardCharsets.UTF_8).replace("\"alice\"", "\"carol\"");
        String tampered = parts[0] + "."
                + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                        payload.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "." + parts[2];

        assertThat(fixture.rawPost(tampered, null, OrdersServerFixture.INITIALIZE).statusCode()).isEqualTo(401);
    }

    @Test
    void sessionOpenedByOnePrincipalCannotBeUsedByAnotherAndRunsNothing() {
        String aliceSession = fixture.openRawSession(fixture.tokenFor(DemoUser.ALICE));
        int before = fixture.server().executions("get_order");

        HttpResponse<String> response = fixture.rawPost(fixture.tokenFor(DemoUser.BOB), aliceSession,
                OrdersServerFixture.toolsCall(2, "get_order", "{\"order_id\": \"A-1001\"}"));

        assertThat(response.statusCode()).isIn(403, 404);
        assertThat(fixture.server().executions("get_order")).isEqualTo(before);
    }

    @Test
    void sessionOwnerCanCallToolsOverRawHttp() {
        String token = fixture.tokenFor(DemoUser.ALICE);
        String session = fixture.openRawSession(token);
        int before = fixture.server().executions("get_order");

        HttpResponse<String> response = fixture.rawPost(token, session,
                OrdersServerFixture.toolsCall(2, "get_order", "{\"order_id\": \"A-1001\"}"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("A-1001");
        assertThat(fixture.server().executions("get_order")).isEqualTo(before + 1);
    }
}
