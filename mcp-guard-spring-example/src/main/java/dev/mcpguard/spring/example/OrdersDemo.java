package dev.mcpguard.spring.example;

import com.nimbusds.jose.JOSEObjectType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs the example with nothing else installed: an OAuth2 issuer in-process (mock-oauth2-server, a test
 * double of a real IdP), then {@link OrdersMcpApplication} trusting it, and prints a token for a demo user to
 * call the server with (an MCP client or {@code curl}). {@code mvn -q -Pspring-demo -DskipTests verify
 * -pl mcp-guard-spring-example -am}; a real deployment runs {@link OrdersMcpApplication} with its own IdP instead.
 */
public final class OrdersDemo {

    /** The issuer id of the in-process IdP (the last path segment of the issuer URL). */
    public static final String ISSUER_ID = "demo";

    private static final Logger log = LoggerFactory.getLogger(OrdersDemo.class);

    private OrdersDemo() {
    }

    /** Starts the IdP on a free port, then the server on {@code server.port} (default 8080). */
    public static void main(String[] args) {
        MockOAuth2Server idp = startIdp();
        System.setProperty("ORDERS_ISSUER", idp.issuerUrl(ISSUER_ID).toString());
        ConfigurableApplicationContext context = SpringApplication.run(OrdersMcpApplication.class, args);
        String port = context.getEnvironment().getProperty("local.server.port");
        String resource = "http://localhost:" + port + "/mcp";
        log.info("Orders MCP server on {}. A token for alice (orders.read, tenant acme), valid 1 h:\n{}", resource,
                token(idp, "alice", "acme", "orders.read", List.of(), resource));
        context.registerShutdownHook();
        Runtime.getRuntime().addShutdownHook(new Thread(idp::shutdown));
    }

    /** An in-process IdP on a free port of 127.0.0.1. */
    public static MockOAuth2Server startIdp() {
        MockOAuth2Server server = new MockOAuth2Server();
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }

    /** A signed access token of {@code idp} for {@code audience}, valid for an hour. */
    public static String token(MockOAuth2Server idp, String subject, String tenant, String scope, List<String> roles,
                               String audience) {
        Map<String, Object> claims = Map.of("tid", tenant, "scope", scope, "roles", roles, "azp", "orders-agent");
        return idp.issueToken(ISSUER_ID, "orders-agent", new DefaultOAuth2TokenCallback(ISSUER_ID, subject,
                JOSEObjectType.JWT.getType(), List.of(audience), claims, 3600)).serialize();
    }
}
