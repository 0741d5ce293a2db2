package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The demo: starts a token issuer and the guarded {@link OrdersServer} enforcing security's reference OPA policy
 * (the signed bundle in this jar), then calls it with the real MCP Java SDK client over Streamable HTTP as three
 * users of tenant {@code acme}, and prints what each could see and do, why the policy refused what it refused, and
 * what the audit trail recorded.
 *
 * <pre>
 * mvn -q -Pdemo -DskipTests verify
 * </pre>
 *
 * Settings come from {@link OrdersServerSettings#fromEnvironment()} (environment {@code prod} unless
 * {@code MCP_GUARD_DEMO_ENVIRONMENT} says otherwise); the issuer is always the demo's own.
 */
public final class Demo {

    private static final PrintStream out = System.out;
    private static final ObjectMapper JSON = new ObjectMapper();
    // Tomcat logs through java.util.logging; keep its start/stop chatter out of the demo. Held strongly, since
    // java.util.logging forgets levels of loggers nobody references.
    private static final java.util.logging.Logger TOMCAT_LOG = java.util.logging.Logger.getLogger("org.apache");
    // On stop, Tomcat warns about the MCP SDK's shared Reactor threads, which outlive the web context by design.
    private static final java.util.logging.Logger TOMCAT_LEAK_LOG =
            java.util.logging.Logger.getLogger("org.apache.catalina.loader.WebappClassLoaderBase");

    private Demo() {
    }

    public static void main(String[] args) throws IOException {
        TOMCAT_LOG.setLevel(java.util.logging.Level.WARNING);
        TOMCAT_LEAK_LOG.setLevel(java.util.logging.Level.SEVERE);
        OrdersServerSettings configured = OrdersServerSettings.fromEnvironment();
        Path auditFile = configured.auditFile();
        long auditLinesBefore = Files.exists(auditFile) ? Files.readAllLines(auditFile).size() : 0;

        try (DemoIssuer issuer = DemoIssuer.start();
             OrdersServer server = new OrdersServer(configured.toBuilder()
                     .issuer(issuer.issuer()).jwksUri(issuer.jwksUri()).build()).start()) {
            out.println("mcp-guard demo: the 'orders' MCP server, every tool call guarded in-process");
            out.println("  issuer   " + issuer.issuer() + "  (in-process mock-oauth2-server)");
            out.println("  server   " + server.resourceUri() + "  (also the tokens' audience)");
            out.println("  policy   bundle " + server.policyRevision() + " (signature verified) from "
                    + server.policySource() + ", environment '" + server.environment() + "'");
            out.println("  audit    " + auditFile);

            try (McpSyncClient alice = connect(server, issuer.token(DemoUser.ALICE, server.resourceUri()))) {
                section("alice", DemoUser.ALICE);
                listTools(alice);
                call(alice, "get_order", "order_id", "acme-1001");
                call(alice, "get_order", "order_id", "globex-2001");
                call(alice, "refund_order", "order_id", "acme-1001", "amount", 10, "reason", "late");
            }
            try (McpSyncClient bob = connect(server, issuer.token(DemoUser.BOB, server.resourceUri()))) {
                section("bob", DemoUser.BOB);
                listTools(bob);
                call(bob, "refund_order", "order_id", "acme-1002", "amount", 50, "reason", "late delivery");
                call(bob, "refund_order", "order_id", "acme-1002", "amount", 900, "reason", "damaged");
                call(bob, "refund_order", "order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 5, "reason", "goodwill");
            }
            try (McpSyncClient carol = connect(server, issuer.token(DemoUser.CAROL, server.resourceUri()))) {
                section("carol", DemoUser.CAROL);
                listTools(carol);
                call(carol, "refund_order", "order_id", "acme-1002", "amount", 900, "reason", "damaged");
                call(carol, "delete_customer", "customer_id", "acme-102");
            }
        }

        out.println();
        out.println("== audit records (" + auditFile + ", new lines of this run)");
        List<String> lines = Files.readAllLines(auditFile);
        for (String line : lines.subList((int) Math.min(auditLinesBefore, lines.size()), lines.size())) {
            out.println("  " + auditLine(JSON.readTree(line)));
        }
    }

    private static McpSyncClient connect(OrdersServer server, String bearerToken) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder(server.baseUrl().toString())
                .endpoint(OrdersServer.MCP_ENDPOINT)
                .httpRequestCustomizer((request, method, uri, body, context) ->
                        request.header("Authorization", "Bearer " + bearerToken))
                .build();
        McpSyncClient client = McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("mcp-guard-demo", "1.0"))
                .requestTimeout(Duration.ofSeconds(10))
                .build();
        client.initialize();
        return client;
    }

    private static void section(String name, DemoUser user) {
        out.println();
        out.println("== " + name + " (tenant " + user.tenant() + ", scopes " + user.scopes() + ", roles "
                + user.roles() + ")");
    }

    private static void listTools(McpSyncClient client) {
        String names = client.listTools().tools().stream().map(McpSchema.Tool::name)
                .collect(Collectors.joining(", "));
        out.println("  tools/list   -> " + names);
    }

    private static void call(McpSyncClient client, String tool, Object... keysAndValues) throws IOException {
        Map<String, Object> arguments = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            arguments.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        out.printf("  %-15s %s%n", tool, JSON.writeValueAsString(arguments));
        CallToolResult result = client.callTool(new CallToolRequest(tool, arguments));
        Map<?, ?> structured = result.structuredContent() instanceof Map<?, ?> m ? m : Map.of();
        if (!Boolean.TRUE.equals(result.isError())) {
            out.println("      ALLOWED     " + text(result));
        } else if ("denied".equals(structured.get("error"))) {
            out.println("      DENIED      reason=" + structured.get("reason") + " decision_id="
                    + structured.get("decision_id") + " \"" + structured.get("message") + "\"");
        } else if ("failed".equals(structured.get("error"))) {
            out.println("      FAILED      " + text(result) + " (the details stay in the server log)");
        } else {
            out.println("      TOOL ERROR  " + text(result));
        }
    }

    private static String text(CallToolResult result) {
        return result.content().stream()
                .map(c -> c instanceof McpSchema.TextContent t ? t.text() : c.type())
                .collect(Collectors.joining(" "));
    }

    private static String auditLine(JsonNode record) {
        JsonNode caller = record.path("caller");
        return String.format("%-6s %-15s %-5s %-10s %-22s rev=%s event=%s decision=%s",
                caller.isMissingNode() || caller.isNull() ? "-" : caller.path("subject").asText(),
                record.path("tool").asText(),
                record.path("decision").asText(),
                record.path("outcome").asText(),
                record.path("reason").isNull() ? "" : record.path("reason").asText(),
                record.path("details").path("policy_revision").asText("-"),
                record.path("event_id").asText(),
                record.path("decision_id").asText("-"));
    }
}
