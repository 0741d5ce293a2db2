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
        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(name -> null, Map.of());

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
        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(name -> null,
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
                Map.of("mcp.guard.demo.environment", "staging")::get, env);

        assertThat(settings.environment()).isEqualTo("staging");
        assertThat(settings.policyBundle()).contains(Path.of("/etc/mcp/bundle.tar.gz"));
        assertThat(settings.policyPublicKey()).contains(Path.of("/etc/mcp/bundle-pub.pem"));
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void ownPolicyBundleNeedsItsPublicKeyAndTheOtherWayRound() {
        assertThatThrownBy(() -> OrdersServerSettings.builder().policyBundle(Path.of("b.tar.gz"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b.tar.gz");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(name -> null,
                Map.of("MCP_GUARD_DEMO_POLICY_PUBLIC_KEY", "/etc/mcp/pub.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/etc/mcp/pub.pem");
    }

    @Test
    void systemPropertyWinsOverEnvironmentVariable() {
        Map<String, String> properties = Map.of("mcp.guard.demo.port", "9001");
        Map<String, String> env = Map.of("MCP_GUARD_DEMO_PORT", "9002",
                "MCP_GUARD_DEMO_AUDIT_FILE", "/tmp/audit.jsonl",
                "MCP_GUARD_DEMO_ISSUER", "http://127.0.0.1:9000/demo");

        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(properties::get, env);

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
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(name -> null,
                Map.of("MCP_GUARD_DEMO_PORT", "eighty")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eighty");
        assertThatThrownBy(() -> OrdersServerSettings.builder().issuer(URI.create("file:///etc/passwd")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("file:///etc/passwd");
        assertThatThrownBy(() -> OrdersServerSettings.builder().environment("prod; rm -rf"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'prod; rm -rf'");
        assertThatThrownBy(() -> OrdersServerSettings.fromEnvironment(name -> null,
                Map.of("MCP_GUARD_DEMO_ENVIRONMENT", "-dev")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'-dev'");
    }
}
