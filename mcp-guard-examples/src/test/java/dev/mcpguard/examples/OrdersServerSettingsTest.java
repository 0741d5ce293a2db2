package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrdersServerSettingsTest {

    @Test
    void defaultsApplyWhenNothingIsSet() {
        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(Map.of(), Map.of());

        assertThat(settings.port()).isEqualTo(OrdersServerSettings.DEFAULT_PORT);
        assertThat(settings.auditFile()).isEqualTo(Path.of(OrdersServerSettings.DEFAULT_AUDIT_FILE));
        assertThat(settings.issuer()).isEmpty();
        assertThat(settings.resource()).isEmpty();
        assertThat(settings.environment()).isEqualTo("prod");
        assertThat(settings.policyBundle()).isEmpty();
        assertThat(settings.policyPublicKey()).isEmpty();
        assertThat(settings.requestsPerMinute()).isEqualTo(600);
    }

    @Test
    void requestRateComesFromTheEnvironmentAndRejectsNonsense() {
        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(Map.of(),
                Map.of("MCP_GUARD_DEMO_REQUESTS_PER_MINUTE", "120000"));

        assertThat(settings.requestsPerMinute()).isEqualTo(120_000);
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
        assertThatThrownBy(() -> OrdersServerSettings.builder().requestsPerMinute(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void environmentAndOwnPolicyBundleComeFromTheEnvironment() {
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_ENVIRONMENT", "dev",
                "MCP_GUARD_DEMO_POLICY_BUNDLE", "/etc/mcp/bundle.tar.gz",
                "MCP_GUARD_DEMO_POLICY_PUBLIC_KEY", "/etc/mcp/bundle-pub.pem");

        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(
                Map.of("mcp.guard.demo.environment", "staging"), env);

        assertThat(settings.environment()).isEqualTo("staging");
        assertThat(settings.policyBundle()).contains(Path.of("/etc/mcp/bundle.tar.gz"));
        assertThat(settings.policyPublicKey()).contains(Path.of("/etc/mcp/bundle-pub.pem"));
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void ownPolicyBundleNeedsItsPublicKeyAndTheOtherWayRound() {
        assertThatThrownBy(() -> OrdersServerSettings.builder().policyBundle(Path.of("b.tar.gz"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b.tar.gz");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(Map.of(),
                Map.of("MCP_GUARD_DEMO_POLICY_PUBLIC_KEY", "/etc/mcp/pub.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/etc/mcp/pub.pem");
    }

    @Test
    void systemPropertyWinsOverEnvironmentVariable() {
        Map<String, String> properties = Map.of("mcp.guard.demo.port", "9001");
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_PORT", "9002",
                "MCP_GUARD_DEMO_AUDIT_FILE", "/tmp/audit.jsonl",
                "MCP_GUARD_DEMO_ISSUER", "http://127.0.0.1:9000/demo");

        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(properties, env);

        assertThat(settings.port()).isEqualTo(9001);
        assertThat(settings.auditFile()).isEqualTo(Path.of("/tmp/audit.jsonl"));
        assertThat(settings.issuer()).contains(URI.create("http://127.0.0.1:9000/demo"));
        // No <issuer>/jwks guess: without a configured JWKS URI the server reads the issuer's metadata.
        assertThat(settings.issuers()).singleElement().satisfies(issuer -> assertThat(issuer.jwksUri()).isEmpty());
    }

    @Test
    void badValuesAreRejectedWithTheValueInTheMessage() {
        assertThatThrownBy(() -> OrdersServerSettings.builder().port(70_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("70000");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(Map.of(),
                Map.of("MCP_GUARD_DEMO_PORT", "eighty")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eighty");
        assertThatThrownBy(() -> OrdersServerSettings.builder().issuer(URI.create("file:///etc/passwd")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("file:///etc/passwd");
        assertThatThrownBy(() -> OrdersServerSettings.builder().environment("prod; rm -rf"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'prod; rm -rf'");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(Map.of(),
                Map.of("MCP_GUARD_DEMO_ENVIRONMENT", "-dev")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'-dev'");
    }

    @Test
    void severalNamedIssuersComeFromTheSettingsEachWithItsOwnClaimMap() {
        Map<String, String> properties = Map.of("mcp.guard.demo.issuers", "kc, partner",
                "mcp.guard.demo.issuer.kc", "https://kc.example.com/realms/orders",
                "mcp.guard.demo.issuer.kc.role-claims", "/resource_access/orders.api/roles",
                "mcp.guard.demo.issuer.kc.audiences", "orders.api");
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_ISSUER_PARTNER", "https://login.partner.example",
                "MCP_GUARD_DEMO_ISSUER_PARTNER_JWKS_URI", "https://login.partner.example/keys");

        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(properties, env);

        assertThat(settings.issuers()).extracting(TrustedIssuer::name).containsExactly("kc", "partner");
        TrustedIssuer kc = settings.issuers().get(0);
        assertThat(kc.claims().rolePaths()).containsExactly("/resource_access/orders.api/roles");
        assertThat(kc.audiences()).containsExactly("orders.api");
        assertThat(kc.jwksUri()).isEmpty();
        TrustedIssuer partner = settings.issuers().get(1);
        assertThat(partner.claims()).isEqualTo(dev.mcpguard.core.identity.ClaimMapping.ofDefaults());
        assertThat(partner.jwksUri()).contains(URI.create("https://login.partner.example/keys"));
    }

    @Test
    void aMisspelledPerIssuerSystemPropertyIsRejectedNamingTheKeyButNotItsValue() {
        Map<String, String> properties = Map.of("mcp.guard.demo.issuers", "kc",
                "mcp.guard.demo.issuer.kc", "https://kc.example.com/realms/orders",
                "mcp.guard.demo.issuer.kc.jwks-url", "https://kc.example.com/certs-value");

        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(properties, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("mcp.guard.demo.issuer.kc.jwks-url is not a setting of issuer 'kc'")
                .hasMessageContaining("jwks-uri")
                .hasMessageNotContaining("certs-value");
    }

    @Test
    void aMisspelledPerIssuerEnvironmentVariableIsRejectedNamingIt() {
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_ISSUERS", "kc",
                "MCP_GUARD_DEMO_ISSUER_KC", "https://kc.example.com/realms/orders",
                "MCP_GUARD_DEMO_ISSUER_KC_INTROSPECTION_CLIENT_SECRET", "the-secret-itself");

        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(Map.of(), env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("MCP_GUARD_DEMO_ISSUER_KC_INTROSPECTION_CLIENT_SECRET is not a setting of "
                        + "issuer 'kc'")
                .hasMessageContaining("introspection-client-secret-file")
                .hasMessageNotContaining("the-secret-itself");
    }

    @Test
    void aSettingOfAnIssuerThatIsNotListedIsRejected() {
        Map<String, String> properties = Map.of("mcp.guard.demo.issuers", "kc",
                "mcp.guard.demo.issuer.kc", "https://kc.example.com/realms/orders",
                "mcp.guard.demo.issuer.partner.jwks-uri", "https://login.partner.example/keys");

        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(properties, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mcp.guard.demo.issuer.partner.jwks-uri is set, but 'partner' is not among "
                        + "the issuers of mcp.guard.demo.issuers");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(Map.of(),
                Map.of("MCP_GUARD_DEMO_ISSUER_KC", "https://kc.example.com/realms/orders")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MCP_GUARD_DEMO_ISSUER_KC is set, but 'kc' is not among")
                .hasMessageContaining("which is not set");
    }

    @Test
    void theVariableNamedAsAClientSecretSourceIsNotMistakenForASetting() {
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_ISSUERS", "kc",
                "MCP_GUARD_DEMO_ISSUER_KC", "https://kc.example.com/realms/orders",
                "MCP_GUARD_DEMO_ISSUER_KC_INTROSPECTION_CLIENT_ID", "orders-mcp",
                "MCP_GUARD_DEMO_ISSUER_KC_INTROSPECTION_CLIENT_SECRET_ENV", "MCP_GUARD_DEMO_ISSUER_KC_SECRET",
                "MCP_GUARD_DEMO_ISSUER_KC_SECRET", "s3cr3t");

        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(Map.of(), env);

        TrustedIssuer.Introspection introspection = settings.issuers().get(0).introspection().orElseThrow();
        assertThat(introspection.clientSecret().variable()).contains("MCP_GUARD_DEMO_ISSUER_KC_SECRET");
        assertThat(settings.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void moreThanEightIssuersAreRejected() {
        Map<String, String> properties = new java.util.HashMap<>();
        properties.put("mcp.guard.demo.issuers", "a1,a2,a3,a4,a5,a6,a7,a8,a9");
        for (int i = 1; i <= 9; i++) {
            properties.put("mcp.guard.demo.issuer.a" + i, "https://idp" + i + ".example.com");
        }
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(properties, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 8 issuers may be trusted")
                .hasMessageContaining("names 9");

        // Eight named ones plus the unnamed issuer are nine, too.
        properties.put("mcp.guard.demo.issuers", "a1,a2,a3,a4,a5,a6,a7,a8");
        properties.remove("mcp.guard.demo.issuer.a9");
        properties.put("mcp.guard.demo.issuer", "https://idp0.example.com");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(properties, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 8 issuers may be trusted")
                .hasMessageContaining("besides mcp.guard.demo.issuer");
        properties.remove("mcp.guard.demo.issuer");
        assertThat(OrdersServerSettings.fromEnvironment(properties, Map.of()).issuers()).hasSize(8);

        OrdersServerSettings.Builder builder = OrdersServerSettings.builder();
        for (int i = 1; i <= 9; i++) {
            builder.trustedIssuer(TrustedIssuer.builder(URI.create("https://idp" + i + ".example.com"))
                    .name("a" + i).build());
        }
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 8 issuers may be trusted, got 9");
    }
}
