package dev.mcpguard.core.http;

import dev.mcpguard.core.mcp.McpSdkAdapter;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 3: at the registry's global bound a new session is refused over HTTP (503
 * {@code session_limit_reached}) before the MCP SDK sees the {@code initialize}, and no live session of another
 * principal is evicted to make room; a principal at its own cap still gets a new session at the price of its own
 * oldest one. Real SDK 2.1.0 servlet transport behind the filter in an embedded Tomcat.
 */
class SessionCapacityOverHttpTest {

    static final String ALICE_KEY = "mgk_alice_5Tq1Lr3XbT8nVw6KcY2eHs9P";
    static final String BOB_KEY = "mgk_bob_6Jd1Hs4Lq8Zx2Cv9Bn5Mk7Pw3";
    static final String CAROL_KEY = "mgk_carol_8Wq2Er6Ty4Ui1Op9As3Df5G";

    static final InMemorySessionRegistry sessions = InMemorySessionRegistry.builder()
            .maximumSize(3)
            .maximumSessionsPerPrincipal(2)
            .build();
    static EmbeddedTomcat tomcat;
    static McpSyncServer server;

    @BeforeAll
    static void start() throws Exception {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider
                .builder().mcpEndpoint("/mcp").contextExtractor(McpSdkAdapter.contextExtractor())
                .sessionSweepInterval(null).build();
        server = McpServer.sync(transport).serverInfo("capacity-test", "1")
                .capabilities(ServerCapabilities.builder().tools(true).build()).build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(McpGuardHttpFilterTest.key("alice-key", ALICE_KEY, "alice", Set.of()))
                        .addKey(McpGuardHttpFilterTest.key("bob-key", BOB_KEY, "bob", Set.of()))
                        .addKey(McpGuardHttpFilterTest.key("carol-key", CAROL_KEY, "carol", Set.of()))
                        .build())
                .sessionRegistry(sessions)
                .resource(URI.create("https://orders.example.com/mcp"))
                .authorizationServer(URI.create("https://login.example.com"))
                .build();
        tomcat = EmbeddedTomcat.start(transport, List.of("/mcp"), filter, "/*");
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeGracefully();
        tomcat.close();
        sessions.close();
    }

    @Test
    void refusesNewSessionsAtTheGlobalBoundWithoutEvictingAnyone() throws Exception {
        String alice1 = open(ALICE_KEY);
        String alice2 = open(ALICE_KEY);
        String bob = open(BOB_KEY);

        HttpResponse<String> carol = post(CAROL_KEY, null, EmbeddedTomcat.INITIALIZE);

        assertThat(carol.statusCode()).isEqualTo(503);
        assertThat(carol.headers().firstValue("Retry-After")).contains("30");
        assertThat(carol.headers().firstValue("Mcp-Session-Id")).isEmpty();
        assertThat(new ObjectMapper().readTree(carol.body()).get("error").asText())
                .isEqualTo("session_limit_reached");
        assertThat(post(BOB_KEY, bob, EmbeddedTomcat.INITIALIZED).statusCode())
                .as("bob's session survives carol's attempt").isEqualTo(202);

        String alice3 = open(ALICE_KEY);

        assertThat(post(ALICE_KEY, alice1, EmbeddedTomcat.INITIALIZED).statusCode())
                .as("alice's own oldest session made room").isEqualTo(404);
        assertThat(post(ALICE_KEY, alice2, EmbeddedTomcat.INITIALIZED).statusCode()).isEqualTo(202);
        assertThat(post(ALICE_KEY, alice3, EmbeddedTomcat.INITIALIZED).statusCode()).isEqualTo(202);
        assertThat(post(BOB_KEY, bob, EmbeddedTomcat.INITIALIZED).statusCode())
                .as("bob's session survives alice's").isEqualTo(202);
        assertThat(sessions.size()).isEqualTo(3);
    }

    static String open(String apiKey) {
        return tomcat.openSession(apiKey);
    }

    static HttpResponse<String> post(String apiKey, String sessionId, String body) {
        return tomcat.post(apiKey, sessionId, body);
    }
}
