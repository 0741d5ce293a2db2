package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.session.SessionInfo;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sessions and revocation end to end: the server's session registry, shared by the HTTP filter and the guard
 * chain, lists live sessions; revoking a subject refuses that user's next request with 401 before the MCP server
 * sees it, while other users keep working.
 */
class RevocationEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void revokedSubjectIsRefusedWith401OnTheNextRequestAndNothingRunsWhileOthersKeepWorking() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        String aliceToken = fixture.tokenFor(DemoUser.ALICE);
        String aliceRawSession = fixture.openRawSession(aliceToken);
        alice.callTool(new CallToolRequest("list_orders", Map.of()));
        bob.callTool(new CallToolRequest("list_orders", Map.of()));

        List<SessionInfo> live = fixture.server().sessions().sessions();
        assertThat(live).extracting(SessionInfo::subject).contains("alice", "bob");
        assertThat(live).allSatisfy(session -> {
            assertThat(session.tenant()).contains("acme");
            assertThat(session.lastSeen()).isAfterOrEqualTo(session.created());
        });

        fixture.server().sessions().revokeSubject("alice");
        int listBefore = fixture.server().executions("list_orders");
        int getBefore = fixture.server().executions("get_order");

        HttpResponse<String> raw = fixture.rawPost(aliceToken, aliceRawSession,
                OrdersServerFixture.toolsCall(7, "get_order", "{\"order_id\": \"acme-1001\"}"));
        assertThat(raw.statusCode()).isEqualTo(401);
        assertThat(raw.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
                assertThat(challenge).contains("invalid_token"));
        assertThatThrownBy(() -> alice.callTool(new CallToolRequest("list_orders", Map.of())))
                .isInstanceOf(RuntimeException.class);
        HttpResponse<String> reinitialize = fixture.rawPost(aliceToken, null, OrdersServerFixture.INITIALIZE);
        assertThat(reinitialize.statusCode()).as("a new session is refused too").isEqualTo(401);

        assertThat(fixture.server().executions("list_orders")).isEqualTo(listBefore);
        assertThat(fixture.server().executions("get_order")).isEqualTo(getBefore);
        assertThat(fixture.server().sessions().sessions()).extracting(SessionInfo::subject)
                .doesNotContain("alice").contains("bob");

        CallToolResult bobAfter = bob.callTool(new CallToolRequest("list_orders", Map.of()));
        assertThat(bobAfter.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(fixture.server().executions("list_orders")).isEqualTo(listBefore + 1);
        assertThat(fixture.server().sessions().revocations()).isNotEmpty();
    }
}
