package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which policy bundle the server enforces, and that it refuses to start without one it can verify: the bundle in the
 * jar, a bundle file of your own with its key, and bundles that must not load (not a bundle, missing, signed with
 * another key, unreadable key).
 */
class OrdersServerPolicyBundleTest {

    static DemoIssuer issuer;

    @TempDir
    Path dir;

    @BeforeAll
    static void startIssuer() {
        issuer = DemoIssuer.start();
    }

    @AfterAll
    static void stopIssuer() {
        issuer.close();
    }

    private OrdersServerSettings.Builder settings() {
        return OrdersServerSettings.builder().port(0).issuer(issuer.issuer()).jwksUri(issuer.jwksUri())
                .auditFile(dir.resolve("audit.jsonl")).credentialsDir(dir.resolve("credentials"));
    }

    private Path copyOfTheShippedBundle() throws IOException {
        Path bundle = dir.resolve("orders-bundle.tar.gz");
        Files.write(bundle, resource(OrdersServer.POLICY_BUNDLE_RESOURCE));
        return bundle;
    }

    private Path copyOfTheDemoPublicKey() throws IOException {
        Path key = dir.resolve("public.pem");
        Files.write(key, resource(OrdersServer.POLICY_PUBLIC_KEY_RESOURCE));
        return key;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = OrdersServer.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as("resource %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void enforcesTheSignedBundleShippedInTheJarByDefault() {
        try (OrdersServer server = new OrdersServer(settings().build()).start()) {
            assertThat(server.policySource()).isEqualTo("classpath:" + OrdersServer.POLICY_BUNDLE_RESOURCE);
            assertThat(server.policyRevision()).matches("orders-[0-9a-f]{12}");
            assertThat(server.environment()).isEqualTo("prod");
        }
    }

    @Test
    void enforcesABundleFileOfYourOwnVerifiedWithItsKey() throws Exception {
        Path bundle = copyOfTheShippedBundle();
        try (OrdersServer shipped = new OrdersServer(settings().auditFile(dir.resolve("shipped.jsonl")).build()).start();
             OrdersServer own = new OrdersServer(settings().policyBundle(bundle, copyOfTheDemoPublicKey()).build()).start()) {
            assertThat(own.policySource()).isEqualTo(bundle.toString());
            assertThat(own.policyRevision()).isEqualTo(shipped.policyRevision());

            String token = issuer.token(DemoUser.ALICE, own.resourceUri());
            try (McpSyncClient alice = McpClient.sync(HttpClientStreamableHttpTransport.builder(own.baseUrl().toString())
                            .endpoint(OrdersServer.MCP_ENDPOINT)
                            .httpRequestCustomizer((request, method, uri, body, context) ->
                                    request.header("Authorization", "Bearer " + token))
                            .build())
                    .requestTimeout(Duration.ofSeconds(10)).build()) {
                alice.initialize();
                CallToolResult result = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001")));
                assertThat(result.structuredContent()).isInstanceOfSatisfying(Map.class,
                        structured -> assertThat(structured).containsEntry("reason", "cross_tenant"));
            }
        }
    }

    @Test
    void refusesToStartWhenTheBundleIsSignedWithAnotherKey() throws Exception {
        Path otherKey = dir.resolve("other-public.pem");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        Files.writeString(otherKey, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(generator.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        OrdersServer server = new OrdersServer(settings().policyBundle(copyOfTheShippedBundle(), otherKey).build());

        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not load")
                .hasMessageContaining("signature does not verify")
                .hasMessageContaining("the server does not run without its policy");
    }

    @Test
    void refusesToStartWhenTheBundleFileIsNotABundle() throws Exception {
        Path bundle = dir.resolve("bundle.tar.gz");
        Files.writeString(bundle, "not a bundle");
        OrdersServer server = new OrdersServer(settings().policyBundle(bundle, copyOfTheDemoPublicKey()).build());

        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the policy bundle " + bundle.toAbsolutePath() + " did not load");
    }

    @Test
    void refusesToStartWhenTheBundleFileIsMissing() throws Exception {
        Path bundle = dir.resolve("absent.tar.gz");
        OrdersServer server = new OrdersServer(settings().policyBundle(bundle, copyOfTheDemoPublicKey()).build());

        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not load")
                .hasMessageContaining("does not exist");
    }

    @Test
    void refusesToStartWhenThePublicKeyCannotBeRead() throws Exception {
        Path key = dir.resolve("absent.pem");
        OrdersServer server = new OrdersServer(settings().policyBundle(copyOfTheShippedBundle(), key).build());

        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read the policy public key " + key);
    }
}
