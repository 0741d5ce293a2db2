package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.OAuthServer;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo the issue asks for, end to end: a guarded tool calls a downstream HTTP API on loopback with a
 * credential it never prints; the OAuth refresh happens against a real OAuth server; the audit record names the
 * credential and key version; no secret of the run appears in logs, audit file, results or messages.
 */
class DownstreamCredentialsEndToEndTest {

    private static final CallerIdentity ALICE = Callers.user("alice", "acme");
    private static final String CRM_KEY = "crm-static-Kx93-never-printed";

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingAt("2026-05-01T10:00:00Z");
    private final List<String> downstreamAuthorizations = new CopyOnWriteArrayList<>();
    private OAuthServer oauth;
    private HttpServer downstream;
    private TinkCredentialStore store;

    @BeforeEach
    void setUp() throws Exception {
        oauth = new OAuthServer();
        JWKSet keys = JWKSet.load(oauth.server().jwksUrl(OAuthServer.ISSUER).url());
        RSASSAVerifier verifier = new RSASSAVerifier((RSAKey) keys.getKeys().get(0));
        downstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        downstream.createContext("/repos", exchange -> {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            downstreamAuthorizations.add(String.valueOf(authorization));
            int status = 401;
            String body = "{\"error\":\"unauthorized\"}";
            try {
                SignedJWT jwt = SignedJWT.parse(authorization.substring("Bearer ".length()));
                if (jwt.verify(verifier) && jwt.getJWTClaimsSet().getExpirationTime().after(new Date())) {
                    status = 200;
                    body = "[\"mcp-guard\",\"orders\",\"billing\"]";
                }
            } catch (Exception e) {
                status = 401;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        downstream.createContext("/crm", exchange -> {
            boolean ok = ("Bearer " + CRM_KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(ok ? 204 : 401, -1);
            exchange.close();
        });
        downstream.start();
        store = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.create(dir.resolve("keyset.json"), KeysetProtection.insecureCleartextForDevelopment()),
                clock);
    }

    @AfterEach
    void tearDown() {
        downstream.stop(0);
        oauth.close();
    }

    private URI downstream(String path) {
        return URI.create("http://127.0.0.1:" + downstream.getAddress().getPort() + path);
    }

    @Test
    void aGuardedToolCallsTheDownstreamApiWithARefreshedTokenItNeverSees() throws Exception {
        JsonNode consent = oauth.authorizationCodeGrant("alice");
        List<String> secrets = new ArrayList<>(List.of(CRM_KEY, OAuthServer.CLIENT_SECRET,
                consent.get("access_token").asText(), consent.get("refresh_token").asText()));
        store.put(CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders"), new OAuthGrant(GrantType.REFRESH_TOKEN,
                oauth.tokenEndpoint(), OAuthServer.CLIENT_ID, Optional.of(Secret.ofUtf8(OAuthServer.CLIENT_SECRET)),
                Optional.of(Secret.ofUtf8(consent.get("access_token").asText())),
                Optional.of(Secret.ofUtf8(consent.get("refresh_token").asText())),
                Optional.of(clock.instant().plusSeconds(20)), Set.of(), Optional.empty()));
        StoredCredential crm = store.put(CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8(CRM_KEY)));

        // Policy grants list_repos the "github" credential through an obligation; notify_crm gets "crm-api"
        // from the static mapping.
        PolicyEngine policy = request -> request.tool().name().equals("list_repos")
                ? new Decision.Allow(request.decisionId(), Map.of(CredentialGuard.OBLIGATION, "github"))
                : Decision.allow(request.decisionId());
        StoredCredentialProvider provider = StoredCredentialProvider.builder(store)
                .tokenEndpoints(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting().build())
                .clock(clock).build();
        Path auditFile = dir.resolve("audit.jsonl");
        HttpClient http = HttpClient.newHttpClient();
        List<String> results = new ArrayList<>();

        try (LogCapture logs = LogCapture.everything();
             JsonlFileAuditSink audit = JsonlFileAuditSink.builder(auditFile).build()) {
            McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(policy).auditSink(audit).clock(clock)
                    .credentials(CredentialGuard.builder(provider).permit("notify_crm", "crm-api").build())
                    .build();
            McpStatelessServerFeatures.SyncToolSpecification listRepos = guard.guardStatelessWithContext(
                    tool("list_repos"), (transport, request, context) -> {
                        HttpRequest call = context.authorizeRequest("github")
                                .apply(HttpRequest.newBuilder(downstream("/repos"))).GET().build();
                        try {
                            HttpResponse<String> response = http.send(call, HttpResponse.BodyHandlers.ofString());
                            return CallToolResult.builder().addTextContent(response.statusCode() + " " + response.body())
                                    .isError(response.statusCode() != 200).build();
                        } catch (Exception e) {
                            throw new IllegalStateException("downstream call failed", e);
                        }
                    });
            McpStatelessServerFeatures.SyncToolSpecification notifyCrm = guard.guardStatelessWithContext(
                    tool("notify_crm"), (transport, request, context) -> {
                        HttpRequest call = context.authorizeRequest("crm-api")
                                .apply(HttpRequest.newBuilder(downstream("/crm"))).POST(HttpRequest.BodyPublishers.noBody()).build();
                        try {
                            int status = http.send(call, HttpResponse.BodyHandlers.discarding()).statusCode();
                            return CallToolResult.builder().addTextContent("crm " + status).build();
                        } catch (Exception e) {
                            throw new IllegalStateException("downstream call failed", e);
                        }
                    });
            McpStatelessServerFeatures.SyncToolSpecification greedy = guard.guardStatelessWithContext(
                    tool("greedy"), (transport, request, context) -> {
                        context.credential("github");
                        return CallToolResult.builder().addTextContent("should not get here").build();
                    });
            McpTransportContext asAlice = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, ALICE));

            CallToolResult first = listRepos.callHandler().apply(asAlice, new CallToolRequest("list_repos", Map.of()));
            CallToolResult second = listRepos.callHandler().apply(asAlice, new CallToolRequest("list_repos", Map.of()));
            int refreshesForTwoCalls = oauth.drainTokenRequests();
            clock.advance(Duration.ofMinutes(59));
            CallToolResult afterAnHour = listRepos.callHandler().apply(asAlice, new CallToolRequest("list_repos", Map.of()));
            int refreshesAfterAnHour = oauth.drainTokenRequests();
            CallToolResult crmCall = notifyCrm.callHandler().apply(asAlice, new CallToolRequest("notify_crm", Map.of()));
            CallToolResult denied = greedy.callHandler().apply(asAlice, new CallToolRequest("greedy", Map.of()));

            for (CallToolResult r : List.of(first, second, afterAnHour, crmCall, denied)) {
                results.add(r.toString());
            }
            assertThat(text(first)).isEqualTo("200 [\"mcp-guard\",\"orders\",\"billing\"]");
            assertThat(text(second)).isEqualTo(text(first));
            assertThat(text(afterAnHour)).isEqualTo(text(first));
            assertThat(refreshesForTwoCalls).as("the expiring token was refreshed once, then reused").isEqualTo(1);
            assertThat(refreshesAfterAnHour).as("refreshed again when it neared expiry").isEqualTo(1);
            assertThat(downstreamAuthorizations).hasSize(3);
            assertThat(downstreamAuthorizations.get(0)).isEqualTo(downstreamAuthorizations.get(1))
                    .isNotEqualTo(downstreamAuthorizations.get(2))
                    .isNotEqualTo("Bearer " + consent.get("access_token").asText());
            assertThat(text(crmCall)).isEqualTo("crm 204");
            assertThat(denied.isError()).isTrue();
            assertThat(denied.structuredContent()).asString().contains("credential_not_permitted");

            OAuthGrant current = (OAuthGrant) store.read(CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders"))
                    .orElseThrow().material();
            secrets.add(current.accessToken().orElseThrow().revealUtf8());
            secrets.add(current.refreshToken().orElseThrow().revealUtf8());
            downstreamAuthorizations.forEach(a -> secrets.add(a.substring("Bearer ".length())));

            audit.close();
            // The file also holds the chain's checkpoint lines (schema version 3): only the records are counted.
            List<String> records = Files.readAllLines(auditFile).stream()
                    .filter(l -> !AuditRecordJson.isChainLine(l)).toList();
            assertThat(records).hasSize(5);
            String githubId = store.read(CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders")).orElseThrow().id();
            String keyVersion = Long.toString(store.keyset().primaryKeyVersion());
            assertThat(records.get(0)).contains("\"credential_id\":\"" + githubId + "\"")
                    .contains("\"credential_key_version\":\"" + keyVersion + "\"");
            assertThat(records.get(3)).contains("\"credential_id\":\"" + crm.id() + "\"");
            assertThat(records.get(4)).contains("credential_not_permitted").doesNotContain("credential_id");

            String everything = logs.allText() + String.join("\n", records) + String.join("\n", results)
                    + Files.readString(dir.resolve("credentials.json")) + store.list();
            for (String secret : secrets) {
                assertThat(everything).doesNotContain(secret);
            }
        }
    }

    private static McpSchema.Tool tool(String name) {
        return McpSchema.Tool.builder().name(name).description(name).inputSchema(Map.of("type", "object")).build();
    }

    private static String text(CallToolResult result) {
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }
}
