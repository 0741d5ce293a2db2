package dev.mcpguard.spring.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The orders MCP server on Spring AI 2.0: its tools are the {@code @McpTool} methods of {@link OrderTools}, and
 * mcp-guard-spring-starter guards them from {@code application.properties}, with no security code here.
 */
@SpringBootApplication
public class OrdersMcpApplication {

    /** Starts the server; the issuer comes from {@code mcp.guard.identity.issuer}. */
    public static void main(String[] args) {
        SpringApplication.run(OrdersMcpApplication.class, args);
    }
}
