package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpSyncClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, item 7 (token type): ID and refresh tokens are not access tokens, even when their audience names this
 * server (Keycloak's audience mapper puts it there). Observed over raw HTTP and with the real MCP SDK client
 * against the example server, with tokens from a real issuer.
 */
class TokenTypeEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    String tokenWith(Map<String, Object> claims) {
        String resource = fixture.server().resourceUri().toString();
        return fixture.issuer().token(DemoUser.ALICE, List.of(DemoIssuer.CLIENT_ID, resource), Duration.ofHours(1),
                claims);
    }

    void assertRefusedAsWrongType(String token) {
        HttpResponse<String> response = fixture.rawPost(token, null, OrdersServerFixture.INITIALIZE);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
                assertThat(challenge).contains("error=\"invalid_token\"", "token type not accepted"));
    }

    @Test
    void aKeycloakIdTokenWhoseAudienceNamesThisServerIsRefused() {
        assertRefusedAsWrongType(tokenWith(Map.of("typ", "ID", "nonce", "n-0S6_WzA2Mj", "at_hash", "77QmUPtjPfzW")));
    }

    @Test
    void aKeycloakRefreshTokenIsRefused() {
        assertRefusedAsWrongType(tokenWith(Map.of("typ", "Refresh")));
    }

    @Test
    void anUnmarkedIdTokenIsRecognisedByItsNonceAndRefused() {
        assertRefusedAsWrongType(tokenWith(Map.of("nonce", "n-0S6_WzA2Mj")));
    }

    @Test
    void keycloakAndRfc9068AccessTokensWork() {
        String keycloakAccessToken = tokenWith(Map.of("typ", "Bearer"));
        String resource = fixture.server().resourceUri().toString();
        String rfc9068 = fixture.issuer().mockServer().issueToken(DemoIssuer.ISSUER_ID, DemoIssuer.CLIENT_ID,
                new DefaultOAuth2TokenCallback(DemoIssuer.ISSUER_ID, DemoUser.ALICE.subject(), "at+jwt",
                        List.of(resource), Map.of("tid", DemoUser.ALICE.tenant(), "scope", "orders.read",
                                "azp", DemoIssuer.CLIENT_ID), 3600)).serialize();

        for (String token : List.of(keycloakAccessToken, rfc9068)) {
            McpSyncClient client = fixture.clientFor(token);
            client.initialize();
            assertThat(client.listTools().tools()).isNotEmpty();
        }
    }
}
