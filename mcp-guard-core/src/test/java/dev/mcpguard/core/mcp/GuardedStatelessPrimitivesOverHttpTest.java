package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resources on a stateless SDK server pass the guard chain in {@link GuardedStatelessTransport} as they do on
 * Streamable HTTP: a denied read never runs its handler, the listing shows what policy lets the caller list, each
 * request is audited once with its method and target.
 */
class GuardedStatelessPrimitivesOverHttpTest {

    private static final String KEY = "mgk_stateless_reader_4hT9pQ2wLx";

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private final List<McpTarget> asked = new CopyOnWriteArrayList<>();
    private final AtomicInteger secretReads = new AtomicInteger();
    private EmbeddedTomcat tomcat;
    private McpStatelessSyncServer server;

    /** Allows docs://open for everything, denies docs://secret for everything. */
    private PolicyEngine policy() {
        return request -> {
            asked.add(request.target());
            McpTarget.Resource resource = request.target().resource();
            return resource != null && "docs://open".equals(resource.uri())
                    ? Decision.allow(request.decisionId())
                    : Decision.deny(request.decisionId(), dev.mcpguard.api.ReasonCode.POLICY_DENIED, "No.");
        };
    }

    @BeforeEach
    void start() throws Exception {
        McpGuard guard = McpGuard.builder().serverName("stateless").policyEngine(policy()).auditSink(audit::add)
                .build();
        HttpServletStatelessServerTransport transport = HttpServletStatelessServerTransport.builder()
                .messageEndpoint("/mcp").contextExtractor(McpSdkAdapter.contextExtractor()).build();
        server = McpServer.sync(guard.guardTransport(transport))
                .serverInfo("stateless", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().resources(false, false).build())
                .resources(resource("docs://open", null), resource("docs://secret", secretReads))
                .build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(ApiKeyIdentityResolver.KeyEntry.of("reader-key",
                                ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(KEY)), "reader"))
                        .build())
                .sessionRegistry(guard.sessionRegistry())
                .resource(URI.create("http://localhost/mcp"))
                .authorizationServer(URI.create("https://issuer.test"))
                .mcpPath("/mcp")
                .build();
        tomcat = EmbeddedTomcat.start(transport, List.of("/mcp"), filter, "/*");
    }

    private static McpStatelessServerFeatures.SyncResourceSpecification resource(String uri, AtomicInteger reads) {
        return new McpStatelessServerFeatures.SyncResourceSpecification(
                new McpSchema.Resource(uri, uri, null, null, "text/plain", null, null, null),
                (context, request) -> {
                    if (reads != null) {
                        reads.incrementAndGet();
                    }
                    return new McpSchema.ReadResourceResult(List.of(
                            new McpSchema.TextResourceContents(uri, "text/plain", "contents of " + uri)));
                });
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        tomcat.close();
    }

    @Test
    void aDeniedReadNeverRunsItsHandlerAndTheListingHidesWhatPolicyDoesNotAllow() {
        McpSyncClient client = tomcat.client(KEY).build();
        try {
            client.initialize();

            McpSchema.ReadResourceResult open = client.readResource(new McpSchema.ReadResourceRequest("docs://open"));
            assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("docs://secret")))
                    .isInstanceOfSatisfying(McpError.class, e -> {
                        assertThat(e.getJsonRpcError().code()).isEqualTo(-32001);
                        assertThat(((Map<?, ?>) e.getJsonRpcError().data()).get("reason")).isEqualTo("policy_denied");
                    });
            List<String> listed = client.listResources().resources().stream().map(McpSchema.Resource::uri).toList();

            assertThat(((McpSchema.TextResourceContents) open.contents().get(0)).text()).isEqualTo("contents of docs://open");
            assertThat(secretReads).hasValue(0);
            assertThat(listed).containsExactly("docs://open");
        } finally {
            client.closeGracefully();
        }
        assertThat(audit).extracting(AuditRecord::method)
                .containsExactly("resources/read", "resources/read", "resources/list");
        assertThat(audit).extracting(AuditRecord::target).containsExactly("docs://open", "docs://secret", null);
        assertThat(audit).extracting(AuditRecord::sessionId).containsOnlyNulls();
        assertThat(asked).filteredOn(t -> t.method().equals("resources/read"))
                .extracting(t -> t.resource().mimeType()).containsOnly("text/plain");
    }
}
