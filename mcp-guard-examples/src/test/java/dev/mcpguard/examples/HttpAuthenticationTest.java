package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What {@code McpGuardHttpFilter} refuses before any MCP message reaches the SDK, observed over raw HTTP against
 * the example server, with tokens from a real issuer and hostile tokens forged here.
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
    void unauthenticatedRequestPointsToTheProtectedResourceMetadataWhichNamesTheIssuer() throws Exception {
        HttpResponse<String> response = fixture.rawPost(null, null, OrdersServerFixture.INITIALIZE);
        String metadataUrl = fixture.server().baseUrl() + "/.well-known/oauth-protected-resource/mcp";

        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .contains("Bearer resource_metadata=\"" + metadataUrl + "\"");
        HttpResponse<String> metadata = fixture.raw("GET", "/.well-known/oauth-protected-resource/mcp", null, null, null);
        assertThat(metadata.statusCode()).isEqualTo(200);
        JsonNode document = new ObjectMapper().readTree(metadata.body());
        assertThat(document.get("resource").asText()).isEqualTo(fixture.server().resourceUri().toString());
        assertThat(document.get("authorization_servers").get(0).asText()).isEqualTo(fixture.issuer().issuer().toString());
    }

    @Test
    void unsignedTokenWithAlgNoneIsRefused() throws Exception {
        SignedJWT genuine = SignedJWT.parse(fixture.tokenFor(DemoUser.CAROL));
        String header = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String unsigned = header + "." + genuine.getParsedParts()[1] + ".";

        assertRefusedAndNothingRuns(unsigned);
    }

    @Test
    void tokenSignedWithAnotherKeyUnderTheIssuersKeyIdIsRefused() throws Exception {
        SignedJWT genuine = SignedJWT.parse(fixture.tokenFor(DemoUser.CAROL));

        assertRefusedAndNothingRuns(forge(genuine.getJWTClaimsSet(), genuine.getHeader().getKeyID()));
    }

    @Test
    void tokenSignedWithAnUnknownKeyIdIsRefused() throws Exception {
        SignedJWT genuine = SignedJWT.parse(fixture.tokenFor(DemoUser.CAROL));

        assertRefusedAndNothingRuns(forge(genuine.getJWTClaimsSet(), "attacker-key"));
    }

    @Test
    void uriThatMerelyEndsWithTheMcpPathIsProtectedToo() {
        HttpResponse<String> response = fixture.raw("POST", "/anything/mcp", null, null, OrdersServerFixture.INITIALIZE);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Mcp-Session-Id")).isEmpty();
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
                OrdersServerFixture.toolsCall(2, "get_order", "{\"order_id\": \"acme-1001\"}"));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("session_principal_mismatch");
        assertThat(fixture.server().executions("get_order")).isEqualTo(before);
    }

    @Test
    void anotherPrincipalCannotDeleteTheSessionAndTheOwnerKeepsUsingIt() {
        String aliceToken = fixture.tokenFor(DemoUser.ALICE);
        String aliceSession = fixture.openRawSession(aliceToken);

        HttpResponse<String> delete = fixture.raw("DELETE", OrdersServer.MCP_ENDPOINT,
                fixture.tokenFor(DemoUser.BOB), aliceSession, null);

        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(fixture.rawPost(aliceToken, aliceSession,
                OrdersServerFixture.toolsCall(3, "get_order", "{\"order_id\": \"acme-1001\"}")).statusCode()).isEqualTo(200);
    }

    @Test
    void sessionIdAloneAuthenticatesNothing() {
        String aliceSession = fixture.openRawSession(fixture.tokenFor(DemoUser.ALICE));

        HttpResponse<String> response = fixture.rawPost(null, aliceSession,
                OrdersServerFixture.toolsCall(4, "get_order", "{\"order_id\": \"acme-1001\"}"));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    private void assertRefusedAndNothingRuns(String token) {
        int before = fixture.server().executions("delete_customer");

        HttpResponse<String> response = fixture.rawPost(token, null,
                OrdersServerFixture.toolsCall(5, "delete_customer", "{\"customer_id\": \"acme-100\"}"));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                challenge -> assertThat(challenge).contains("error=\"invalid_token\""));
        assertThat(response.body()).doesNotContain(token);
        assertThat(fixture.server().executions("delete_customer")).isEqualTo(before);
    }

    private static String forge(JWTClaimsSet claims, String keyId) throws Exception {
        RSAKey attackerKey = new RSAKeyGenerator(2048).keyID(keyId).generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId)
                .type(JOSEObjectType.JWT).build(), claims);
        forged.sign(new RSASSASigner(attackerKey));
        return forged.serialize();
    }

    private static String base64Url(String json) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void sessionOwnerCanCallToolsOverRawHttp() {
        String token = fixture.tokenFor(DemoUser.ALICE);
        String session = fixture.openRawSession(token);
        int before = fixture.server().executions("get_order");

        HttpResponse<String> response = fixture.rawPost(token, session,
                OrdersServerFixture.toolsCall(2, "get_order", "{\"order_id\": \"acme-1001\"}"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("acme-1001");
        assertThat(fixture.server().executions("get_order")).isEqualTo(before + 1);
    }
}
