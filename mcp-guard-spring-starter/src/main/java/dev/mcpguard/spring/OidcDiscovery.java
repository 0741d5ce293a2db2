package dev.mcpguard.spring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Finds an issuer's JWKS URI from its OIDC discovery document ({@code <issuer>/.well-known/openid-configuration}),
 * once, at start-up, bounded in time (15 s) and size (64 KiB). The document's {@code issuer} must be the configured
 * one (OIDC Discovery 1.0, section 4.3). Stateless and thread-safe.
 */
final class OidcDiscovery {

    static final Duration DEADLINE = Duration.ofSeconds(15);
    static final int MAX_BYTES = 64 * 1024;

    private OidcDiscovery() {
    }

    /** The {@code jwks_uri} of {@code issuer}; fails start-up with a message naming the property otherwise. */
    static URI jwksUri(URI issuer) {
        String base = issuer.toString().endsWith("/") ? issuer.toString().substring(0, issuer.toString().length() - 1)
                : issuer.toString();
        URI document = URI.create(base + "/.well-known/openid-configuration");
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(DEADLINE).build();
            HttpResponse<byte[]> response = BoundedHttpExchange.send(http,
                    HttpRequest.newBuilder(document).timeout(DEADLINE).GET().build(), MAX_BYTES, DEADLINE);
            if (response.statusCode() != 200) {
                throw failure(document, "HTTP " + response.statusCode());
            }
            JsonNode json = new ObjectMapper().readTree(response.body());
            if (!base.equals(json.path("issuer").asText().replaceAll("/$", ""))) {
                throw failure(document, "its issuer is not " + issuer);
            }
            String jwks = json.path("jwks_uri").asText("");
            if (jwks.isEmpty()) {
                throw failure(document, "it has no jwks_uri");
            }
            return URI.create(jwks);
        } catch (IOException | TimeoutException | IllegalArgumentException e) {
            throw failure(document, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(document, "interrupted");
        }
    }

    private static IllegalStateException failure(URI document, String why) {
        return new IllegalStateException("mcp.guard.identity.jwks-uri is not set and OIDC discovery at " + document
                + " failed (" + why + "); set mcp.guard.identity.jwks-uri or fix mcp.guard.identity.issuer");
    }
}
