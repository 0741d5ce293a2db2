package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone server as a person uses it: start it, copy a printed token and the printed endpoint into an MCP
 * client (here the real SDK client over Streamable HTTP), call a tool, stop it.
 */
class StandaloneServerTest {

    @TempDir
    Path dir;

    @Test
    void aPrintedTokenCallsAToolThroughThePrintedEndpointAndTheServerStopsOnClose() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        URI endpoint;
        try (StandaloneServer running = StandaloneServer.start(OrdersServerSettings.builder().port(0)
                .auditFile(dir.resolve("audit.jsonl")).credentialsDir(dir.resolve("credentials")).build(), out)) {
            String output = bytes.toString(StandardCharsets.UTF_8);
            endpoint = URI.create(printed(output, "MCP endpoint  (\\S+)"));
            String aliceToken = printed(output, "export ALICE_TOKEN=(\\S+)");
            assertThat(output)
                    .contains("export BOB_TOKEN=", "export CAROL_TOKEN=", "export GRACE_TOKEN=")
                    .contains("npx @modelcontextprotocol/inspector --cli " + endpoint + " --transport http")
                    .contains("Authorization: Bearer $TOKEN")
                    .contains("Serving until Ctrl-C.")
                    .contains("  (embedded mock-oauth2-server, for trying it out only)")
                    .contains("      keys           " + OrdersServer.KEYS_FROM_METADATA);
            assertThat(endpoint).isEqualTo(running.endpoint());

            try (McpSyncClient alice = client(endpoint, aliceToken)) {
                alice.initialize();
                McpSchema.CallToolResult allowed = alice.callTool(
                        new McpSchema.CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                McpSchema.CallToolResult denied = alice.callTool(
                        new McpSchema.CallToolRequest("get_order", Map.of("order_id", "globex-2001")));

                assertThat(allowed.isError()).as("allowed: %s", allowed.content()).isNotEqualTo(Boolean.TRUE);
                assertThat(allowed.structuredContent()).asString().contains("acme-1001");
                assertThat(denied.isError()).isTrue();
                assertThat(denied.structuredContent()).asString().contains("cross_tenant");
            }
            assertThat(running.server().executions("get_order")).isEqualTo(1);
        }

        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Stopped the orders server");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(endpoint).GET().build(),
                HttpResponse.BodyHandlers.discarding())).isInstanceOf(ConnectException.class);
        // The tokens were printed for a person to copy, never written to the audit trail.
        assertThat(Files.readString(dir.resolve("audit.jsonl"))).doesNotContain("eyJ");
    }

    @Test
    void withAConfiguredIssuerItPrintsNoTokenAndStartsNoIssuer() throws IOException {
        try (DemoIssuer idp = DemoIssuer.start()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (StandaloneServer running = StandaloneServer.start(OrdersServerSettings.builder().port(0)
                    .issuer(idp.issuer()).jwksUri(idp.jwksUri())
                    .auditFile(dir.resolve("audit.jsonl")).credentialsDir(dir.resolve("credentials")).build(),
                    new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
                String output = bytes.toString(StandardCharsets.UTF_8);

                assertThat(running.embeddedIssuer()).isEmpty();
                assertThat(output).contains("tokens must come from this issuer (iss matched exactly)")
                        .contains("    " + idp.issuer() + "  (mcp.guard.demo.issuer)")
                        .contains("      keys           " + idp.jwksUri())
                        .contains("      introspection  off")
                        .contains("export TOKEN=<the access token>")
                        .doesNotContain("eyJ");

                // A token of that issuer for the printed audience works.
                try (McpSyncClient bob = client(running.endpoint(), idp.token(DemoUser.BOB,
                        running.server().resourceUri()))) {
                    bob.initialize();
                    assertThat(bob.listTools().tools()).extracting(McpSchema.Tool::name).contains("get_order");
                }
            }
        }
    }

    private static String printed(String output, String pattern) {
        Matcher matcher = Pattern.compile(pattern).matcher(output);
        assertThat(matcher.find()).as("output has %s:%n%s", pattern, output.replaceAll("eyJ\\S+", "<token>")).isTrue();
        return matcher.group(1);
    }

    private static McpSyncClient client(URI endpoint, String token) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder(endpoint.resolve("/").toString())
                .endpoint(endpoint.getPath())
                .httpRequestCustomizer((request, method, uri, body, context) ->
                        request.header("Authorization", "Bearer " + token))
                .build();
        return McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("standalone-test", "1.0"))
                .requestTimeout(Duration.ofSeconds(10))
                .build();
    }
}
