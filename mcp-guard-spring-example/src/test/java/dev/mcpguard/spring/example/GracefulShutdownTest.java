package dev.mcpguard.spring.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A guarded Spring server with connected clients shuts down without waiting out its graceful-shutdown timeout:
 * the clients' listening streams ({@code GET /mcp}) are ended first, so Tomcat's graceful shutdown only waits for
 * real requests. The timeout here is ten minutes; without the fix the close below would block for all of it and
 * the bound of the {@code get} (two minutes, far above a normal shutdown's second) fails the test.
 */
class GracefulShutdownTest {

    static final MockOAuth2Server IDP = OrdersDemo.startIdp();

    @AfterAll
    static void stopIdp() {
        IDP.shutdown();
    }

    @Test
    void shutdownEndsTheClientsListeningStreamsInsteadOfWaitingForThem() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(OrdersMcpApplication.class).run(
                "--server.port=0", "--server.shutdown=graceful",
                "--spring.lifecycle.timeout-per-shutdown-phase=10m",
                "--mcp.guard.identity.issuer=" + IDP.issuerUrl(OrdersDemo.ISSUER_ID),
                "--mcp.guard.audit.file=" + Files.createTempDirectory("mcp-guard-shutdown").resolve("audit.jsonl"));
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        String resource = "http://localhost:" + port + "/mcp";
        String token = OrdersDemo.token(IDP, "alice", "acme", "orders.read", List.of(), resource);
        McpSyncClient alice = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, ctx) ->
                                request.header("Authorization", "Bearer " + token))
                        .build())
                .requestTimeout(Duration.ofSeconds(20)).build();
        try {
            alice.initialize();
            assertThat(alice.listTools().tools()).isNotEmpty();

            CompletableFuture<Void> closed = CompletableFuture.runAsync(context::close);

            closed.get(2, TimeUnit.MINUTES);
            assertThat(context.isActive()).isFalse();
        } finally {
            alice.close();
            context.close();
        }
    }
}
