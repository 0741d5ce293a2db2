package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.credentials.StoredCredential;
import dev.mcpguard.core.session.SessionInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The demo: starts a token issuer and the guarded {@link OrdersServer} enforcing security's reference OPA policy
 * (the signed bundle in this jar), then calls it with the real MCP Java SDK client over Streamable HTTP as three
 * users of tenant {@code acme}, and prints what each could see and do (tools, and orders read as resources), why
 * the policy refused what it refused, and
 * what the audit trail recorded. Then it shows three controls at work: the downstream credential refunds are paid
 * out with (stored encrypted, refreshed once when expired, never seen by the client), a throttled call, and a
 * revoked user refused on her next request while another keeps working.
 *
 * <pre>
 * mvn -q -Pdemo -DskipTests verify
 * </pre>
 *
 * Settings come from {@link OrdersServerSettings#fromEnvironment()} (environment {@code prod} unless
 * {@code MCP_GUARD_DEMO_ENVIRONMENT} says otherwise); the issuer is always the demo's own.
 */
public final class Demo {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    /** The files of the credential store the demo starts afresh on every run; nothing else is deleted. */
    private static final List<String> CREDENTIAL_FILES = List.of(OrdersServer.CREDENTIAL_KEK_FILE, "keyset.json",
            "credentials.json");
    // Tomcat logs through java.util.logging; keep its start/stop chatter out of the demo. Held strongly, since
    // java.util.logging forgets levels of loggers nobody references.
    private static final java.util.logging.Logger TOMCAT_LOG = java.util.logging.Logger.getLogger("org.apache");
    // On stop, Tomcat warns about the MCP SDK's shared Reactor threads, which outlive the web context by design.
    private static final java.util.logging.Logger TOMCAT_LEAK_LOG =
            java.util.logging.Logger.getLogger("org.apache.catalina.loader.WebappClassLoaderBase");

    private final OrdersServer server;
    private final DemoIssuer issuer;
    private final PaymentsApi payments;
    private final PrintStream out;

    private Demo(OrdersServer server, DemoIssuer issuer, PaymentsApi payments, PrintStream out) {
        this.server = server;
        this.issuer = issuer;
        this.payments = payments;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        run(OrdersServerSettings.fromEnvironment(), System.out);
    }

    /** Runs the demo with {@code configured} settings (the issuer and payments API are always its own), printing to {@code out}. */
    static void run(OrdersServerSettings configured, PrintStream out) throws IOException {
        TOMCAT_LOG.setLevel(java.util.logging.Level.WARNING);
        TOMCAT_LEAK_LOG.setLevel(java.util.logging.Level.SEVERE);
        Path auditFile = configured.auditFile();
        long auditLinesBefore = Files.exists(auditFile) ? Files.readAllLines(auditFile).size() : 0;
        // A fresh key, keyset and store for every run (unless the key comes from the environment).
        for (String name : CREDENTIAL_FILES) {
            Files.deleteIfExists(configured.credentialsDir().resolve(name));
        }

        try (DemoIssuer issuer = DemoIssuer.start();
             PaymentsApi payments = PaymentsApi.start(issuer.issuer(), issuer.jwksUri());
             OrdersServer server = new OrdersServer(configured.toBuilder()
                     .issuer(issuer.issuer()).jwksUri(issuer.jwksUri())
                     .paymentsApi(payments.refundsUri()).build()).start()) {
            new Demo(server, issuer, payments, out).run();
        }

        out.println();
        out.println("== audit records (" + auditFile + ", new lines of this run)");
        List<String> lines = Files.readAllLines(auditFile);
        for (String line : lines.subList((int) Math.min(auditLinesBefore, lines.size()), lines.size())) {
            if (AuditRecordJson.isChainLine(line)) {
                continue; // a checkpoint of the audit file's hash chain, not a record
            }
            out.println("  " + auditLine(JSON.readTree(line)));
        }
    }

    private void run() throws IOException {
        // The operator's step: store the server's OAuth client for the payments API, encrypted.
        StoredCredential credential = PaymentsCredential.provision(server.credentialStore(), issuer);
        OrdersServerSettings settings = server.settings();

        out.println("mcp-guard demo: the 'orders' MCP server, every tool call guarded in-process");
        out.println("  issuer      " + issuer.issuer() + "  (in-process mock-oauth2-server)");
        out.println("  server      " + server.resourceUri() + "  (also the tokens' audience)");
        out.println("  policy      bundle " + server.policyRevision() + " (signature verified) from "
                + server.policySource() + ", environment '" + server.environment() + "'");
        out.println("              behind a decision cache and circuit breaker, flushed when the bundle changes");
        out.println("  audit       " + settings.auditFile());
        out.println("  payments    " + payments.refundsUri() + "  (downstream API: only tokens of the issuer for "
                + "audience " + PaymentsApi.AUDIENCE + ")");
        out.println("  credentials " + settings.credentialsDir().resolve("credentials.json")
                + "  (Tink AES256-GCM; keyset encrypted with the local key in " + server.credentialKeySource()
                + ", new for this run)");
        out.println("  throttle    " + settings.callsPerMinute() + " calls per caller, tool and minute; the policy "
                + "sets refund_order to 10/min");
        out.println("  sessions    idle timeout " + OrdersServer.SESSION_IDLE_TIMEOUT.toMinutes() + " min, lifetime "
                + OrdersServer.SESSION_LIFETIME.toHours() + " h, revocable");

        try (McpSyncClient alice = connect(DemoUser.ALICE)) {
            section("alice", DemoUser.ALICE);
            listTools(alice);
            call(alice, "get_order", "order_id", "acme-1001");
            call(alice, "get_order", "order_id", "globex-2001");
            call(alice, "refund_order", "order_id", "acme-1001", "amount", 10, "reason", "late");
            out.println("  (guardrails: customers' delivery notes are text nobody reviewed; one tells the AI client "
                    + "what to do, one holds a pasted card number and e-mail)");
            call(alice, "get_order", "order_id", "acme-1004");
            call(alice, "get_order", "order_id", "acme-1002");
            listResources(alice);
            read(alice, "orders://acme/1001");
            read(alice, "orders://globex/2001");
        }
        try (McpSyncClient bob = connect(DemoUser.BOB)) {
            section("bob", DemoUser.BOB);
            listTools(bob);
            call(bob, "refund_order", "order_id", "acme-1002", "amount", 50, "reason", "late delivery");
            call(bob, "refund_order", "order_id", "acme-1002", "amount", 900, "reason", "damaged");
            call(bob, "refund_order", "order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 5, "reason", "goodwill");
        }
        try (McpSyncClient carol = connect(DemoUser.CAROL)) {
            section("carol", DemoUser.CAROL);
            listTools(carol);
            call(carol, "refund_order", "order_id", "acme-1002", "amount", 900, "reason", "damaged");
            call(carol, "delete_customer", "customer_id", "acme-102");
        }

        downstreamCredential(credential);
        throttling();
        revocation();
    }

    private void downstreamCredential(StoredCredential credential) throws IOException {
        out.println();
        out.println("== downstream credential (" + PaymentsApi.AUDIENCE + ")");
        out.println("  stored      " + credential.id() + "  " + credential.key().owner() + " for every tenant, "
                + "oauth2 client_credentials, key version " + credential.keyVersion() + ", access token expired "
                + PaymentsCredential.STORED_TOKEN_AGE.toMinutes() + " min before the start");
        try (McpSyncClient bob = connect(DemoUser.BOB)) {
            call(bob, "refund_order", "order_id", "acme-1001", "amount", 5, "reason", "scratched");
        }
        out.println("  token requests to the issuer: " + issuer.tokenRequests() + "  (the refresh before the first "
                + "refund; every later refund reused that token)");
        out.println("  payments API: " + payments.acceptedRequests() + " refunds accepted, "
                + payments.refusedRequests() + " refused; each carried a bearer token it verified against the "
                + "issuer's JWKS");
        out.println("  the MCP client saw no token; the refunds' audit records name the credential (id and key "
                + "version), never its value");
    }

    private void throttling() throws IOException {
        out.println();
        out.println("== throttling");
        try (McpSyncClient grace = connect(DemoUser.GRACE)) {
            out.println("  grace: get_order globex-2001, four times in a row (limit " + server.settings().callsPerMinute()
                    + " per minute)");
            for (int i = 1; i <= 4; i++) {
                out.print("    #" + i + " ");
                printResult(grace.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001"))), true);
            }
        }
        try (McpSyncClient bob = connect(DemoUser.BOB)) {
            out.println("  bob: refund_order acme-1001 1.00 until refused (the policy's obligation: 10 per minute, "
                    + "his earlier refunds count)");
            int allowed = 0;
            CallToolResult result;
            do {
                result = bob.callTool(new CallToolRequest("refund_order",
                        Map.of("order_id", "acme-1001", "amount", 1, "reason", "goodwill")));
                if (!Boolean.TRUE.equals(result.isError())) {
                    allowed++;
                }
            } while (!Boolean.TRUE.equals(result.isError()) && allowed < 12);
            out.print("    ALLOWED x" + allowed + ", then ");
            printResult(result, true);
        }
    }

    private void revocation() throws IOException {
        out.println();
        out.println("== revocation");
        out.println("  alice and bob open new sessions and list orders");
        McpSyncClient alice = connect(DemoUser.ALICE);
        try (McpSyncClient bob = connect(DemoUser.BOB)) {
            alice.callTool(new CallToolRequest("list_orders", Map.of()));
            bob.callTool(new CallToolRequest("list_orders", Map.of()));
            printSessions();
            out.println("  SessionAdmin.revokeSubject(\"alice\")");
            server.sessions().revokeSubject("alice");
            out.print("  alice list_orders -> ");
            try {
                alice.callTool(new CallToolRequest("list_orders", Map.of()));
                out.println("UNEXPECTED: the call went through");
            } catch (RuntimeException e) {
                out.println("REFUSED: HTTP 401 invalid_token from mcp-guard's HTTP filter, before the MCP server");
                out.println("      the SDK client threw " + rootMessage(e));
            }
            out.print("  bob   list_orders -> ");
            printResult(bob.callTool(new CallToolRequest("list_orders", Map.of())), false);
            printSessions();
        } finally {
            closeQuietly(alice);
        }
    }

    private void printSessions() {
        List<SessionInfo> sessions = server.sessions().sessions().stream()
                .sorted(java.util.Comparator.comparing(SessionInfo::created)).toList();
        out.println("  live sessions (SessionAdmin.sessions()):");
        for (SessionInfo session : sessions) {
            out.printf("    %-6s tenant %-6s created %s  last seen %s  session %s...%n", session.subject(),
                    session.tenant().orElse("-"), TIME.format(session.created()), TIME.format(session.lastSeen()),
                    session.sessionId().substring(0, Math.min(8, session.sessionId().length())));
        }
    }

    private McpSyncClient connect(DemoUser user) {
        String bearerToken = issuer.token(user, server.resourceUri());
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

    private void section(String name, DemoUser user) {
        out.println();
        out.println("== " + name + " (tenant " + user.tenant() + ", scopes " + user.scopes() + ", roles "
                + user.roles() + ")");
    }

    private void listTools(McpSyncClient client) {
        String names = client.listTools().tools().stream().map(McpSchema.Tool::name)
                .collect(Collectors.joining(", "));
        out.println("  tools/list   -> " + names);
    }

    private void listResources(McpSyncClient client) {
        String uris = client.listResources().resources().stream().map(McpSchema.Resource::uri)
                .collect(Collectors.joining(", "));
        out.println("  resources/list -> " + uris);
    }

    /** A resources/read: the contents as the policy let them through (redacted), or the denial the client got. */
    private void read(McpSyncClient client, String uri) {
        out.printf("  %-15s %s%n", "resources/read", uri);
        out.print("      ");
        try {
            McpSchema.ReadResourceResult result = client.readResource(new McpSchema.ReadResourceRequest(uri));
            out.println("ALLOWED     " + result.contents().stream()
                    .map(c -> c instanceof McpSchema.TextResourceContents t ? t.text() : c.mimeType())
                    .collect(Collectors.joining(" ")));
        } catch (McpError e) {
            Map<?, ?> data = e.getJsonRpcError() != null && e.getJsonRpcError().data() instanceof Map<?, ?> m ? m
                    : Map.of();
            out.println("DENIED      reason=" + data.get("reason") + " decision_id=" + data.get("decision_id")
                    + " \"" + data.get("message") + "\"");
        }
    }

    private void call(McpSyncClient client, String tool, Object... keysAndValues) throws IOException {
        Map<String, Object> arguments = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            arguments.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        out.printf("  %-15s %s%n", tool, JSON.writeValueAsString(arguments));
        int tokenRequestsBefore = issuer.tokenRequests();
        CallToolResult result = client.callTool(new CallToolRequest(tool, arguments));
        out.print("      ");
        printResult(result, false);
        for (int n = tokenRequestsBefore + 1; n <= issuer.tokenRequests(); n++) {
            out.println("      credential " + PaymentsApi.AUDIENCE + " refreshed (token request #" + n
                    + "), stored encrypted, used by the handler through context.authorizeRequest(...)");
        }
    }

    private void printResult(CallToolResult result, boolean brief) {
        Map<?, ?> structured = result.structuredContent() instanceof Map<?, ?> m ? m : Map.of();
        if (!Boolean.TRUE.equals(result.isError())) {
            out.println(brief ? "ALLOWED" : "ALLOWED     " + text(result));
        } else if ("denied".equals(structured.get("error"))) {
            Object retryAfter = structured.get("retry_after_seconds");
            out.println("DENIED      reason=" + structured.get("reason")
                    + (retryAfter == null ? "" : " retry_after_seconds=" + retryAfter)
                    + " decision_id=" + structured.get("decision_id") + " \"" + structured.get("message") + "\"");
        } else if ("failed".equals(structured.get("error"))) {
            out.println("FAILED      " + text(result) + " (the details stay in the server log)");
        } else {
            out.println("TOOL ERROR  " + text(result));
        }
    }

    private static String text(CallToolResult result) {
        return result.content().stream()
                .map(c -> c instanceof McpSchema.TextContent t ? t.text() : c.type())
                .collect(Collectors.joining(" "));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static void closeQuietly(McpSyncClient client) {
        try {
            client.close();
        } catch (RuntimeException e) {
            // The revoked client's goodbye (DELETE of its session) is refused too; nothing to report.
        }
    }

    private static String auditLine(JsonNode record) {
        JsonNode caller = record.path("caller");
        JsonNode details = record.path("details");
        StringBuilder extra = new StringBuilder();
        if (details.hasNonNull("credential_id")) {
            extra.append(" credential=").append(details.path("credential_id").asText())
                    .append(" key_version=").append(details.path("credential_key_version").asText());
        }
        if (details.hasNonNull("retry_after_seconds")) {
            extra.append(" retry_after=").append(details.path("retry_after_seconds").asText()).append('s');
        }
        String what = record.path("tool").isTextual() ? record.path("tool").asText()
                : record.path("method").asText() + (record.path("target").isTextual()
                        ? " " + record.path("target").asText() : "");
        return String.format("%-6s %-15s %-5s %-10s %-22s rev=%s event=%s decision=%s%s",
                caller.isMissingNode() || caller.isNull() ? "-" : caller.path("subject").asText(),
                what,
                record.path("decision").asText(),
                record.path("outcome").asText(),
                record.path("reason").isNull() ? "" : record.path("reason").asText(),
                details.path("policy_revision").asText("-"),
                record.path("event_id").asText(),
                record.path("decision_id").asText("-"),
                extra);
    }
}
