package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The start-up check of a {@link TrustedIssuer} whose keys (or introspection endpoint) are not configured: reads
 * its authorization server metadata as mcp-guard's {@code JwtIdentityResolver} will, OIDC discovery
 * ({@code <issuer>/.well-known/openid-configuration}) first, then RFC 8414
 * ({@code /.well-known/oauth-authorization-server} before the issuer's path), and fails start-up with a message
 * naming the setting when neither serves a usable document. So a wrong issuer URL, a Keycloak that is down or an
 * issuer with a trailing slash it does not use stops the server at once instead of refusing every token later.
 *
 * <p>The rules are those of the resolver's discovery, so a document this check accepts is one the resolver
 * accepts: HTTP 200 within {@link #DEADLINE} per document, no redirect followed, at most {@link #MAX_BYTES}, a
 * JSON object whose {@code issuer} is the configured one exactly, a {@code jwks_uri} (and, when introspection
 * needs it, an {@code introspection_endpoint}) that is {@code https}, or {@code http} on a loopback host for a
 * loopback {@code http} issuer. The resolver itself reads the metadata again before every key set fetch, so a
 * {@code jwks_uri} that changes later is followed; this check only makes the first failure loud.
 *
 * <p>Stateless and thread-safe.
 */
final class IssuerDiscovery {

    /** Bound on one metadata exchange, connect and body included. */
    static final Duration DEADLINE = Duration.ofSeconds(5);
    /** Largest metadata document read (Keycloak's is about 7 KiB). */
    static final int MAX_BYTES = 128 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private IssuerDiscovery() {
    }

    /** What the metadata of an issuer names: its key set and, when it has one, its introspection endpoint. */
    record Metadata(URI document, URI jwksUri, Optional<URI> introspectionEndpoint) {
    }

    /** The metadata document locations of {@code issuer}, in the order tried: OIDC discovery, then RFC 8414. */
    static List<URI> documentsOf(URI issuer) {
        String text = issuer.toString().replaceAll("/+$", "");
        String path = issuer.getRawPath() == null ? "" : issuer.getRawPath().replaceAll("/+$", "");
        return List.of(URI.create(text + "/.well-known/openid-configuration"),
                URI.create(issuer.getScheme() + "://" + issuer.getRawAuthority()
                        + "/.well-known/oauth-authorization-server" + path));
    }

    /**
     * Reads and checks the metadata of {@code trusted}.
     *
     * @throws IllegalStateException naming the issuer's setting, each document tried and why it was refused
     */
    static Metadata discover(TrustedIssuer trusted) {
        URI issuer = trusted.issuer();
        if (issuer.getRawQuery() != null || issuer.getRawFragment() != null
                || !("https".equalsIgnoreCase(issuer.getScheme()) || isLoopbackHttp(issuer))) {
            throw failure(trusted, "metadata is only discovered for an https issuer (or http on a loopback host) "
                    + "without query or fragment");
        }
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(DEADLINE)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        List<String> refused = new ArrayList<>();
        for (URI document : documentsOf(issuer)) {
            HttpResponse<byte[]> response;
            try {
                response = BoundedHttpExchange.send(http, HttpRequest.newBuilder(document).timeout(DEADLINE)
                        .header("Accept", "application/json").GET().build(), MAX_BYTES, DEADLINE);
            } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
                refused.add(document + " answered more than " + MAX_BYTES + " bytes");
                continue;
            } catch (IOException | TimeoutException e) {
                refused.add(document + " unreachable (" + e.getClass().getSimpleName() + ")");
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure(trusted, "interrupted while reading " + document);
            }
            if (response.statusCode() != 200) {
                refused.add(document + " answered HTTP " + response.statusCode());
                continue;
            }
            // A document that answers but is wrong is the answer: the other location is not tried (as the resolver).
            return parse(trusted, document, response.body());
        }
        throw failure(trusted, String.join("; ", refused));
    }

    private static Metadata parse(TrustedIssuer trusted, URI document, byte[] body) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            throw failure(trusted, document + " is not a JSON object");
        }
        if (!trusted.issuer().toString().equals(json.path("issuer").asText(null))) {
            // Not echoed: a hostile document could put anything there.
            throw failure(trusted, document + " names another issuer (it must be exactly " + trusted.issuer()
                    + ", mind a trailing slash)");
        }
        Optional<URI> jwks = endpoint(trusted, document, json, "jwks_uri");
        if (jwks.isEmpty() && trusted.discoversKeys()) {
            throw failure(trusted, document + " names no jwks_uri");
        }
        Optional<URI> introspection = endpoint(trusted, document, json, "introspection_endpoint");
        if (introspection.isEmpty() && trusted.discoversIntrospectionEndpoint()) {
            throw new IllegalStateException("the metadata of issuer " + trusted.issuer() + " (" + document
                    + ") names no introspection_endpoint; set "
                    + TrustedIssuer.describeSetting(trusted.name(), "introspection-endpoint"));
        }
        return new Metadata(document, jwks.orElseGet(() -> trusted.jwksUri().orElseThrow()), introspection);
    }

    private static Optional<URI> endpoint(TrustedIssuer trusted, URI document, JsonNode json, String member) {
        JsonNode value = json.get(member);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        URI uri = null;
        try {
            uri = value.isTextual() ? new URI(value.asText()) : null;
        } catch (URISyntaxException e) {
            // refused below
        }
        if (uri == null || !uri.isAbsolute() || uri.getHost() == null
                || !("https".equalsIgnoreCase(uri.getScheme()) || isLoopbackHttp(uri) && isLoopbackHttp(trusted.issuer()))) {
            throw failure(trusted, document + ": " + member
                    + " must be an https URL (http only on a loopback host, for a loopback issuer)");
        }
        return Optional.of(uri);
    }

    /** An {@code http} URL whose host is {@code localhost} or a loopback address literal (never a DNS lookup). */
    static boolean isLoopbackHttp(URI uri) {
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            return false;
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.equals("localhost")) {
            return true;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!host.matches("[0-9.]+|[0-9a-f:]+")) {
            return false; // a name: not resolved, so never loopback by DNS
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static IllegalStateException failure(TrustedIssuer trusted, String why) {
        String keys = trusted.discoversKeys()
                ? " and " + TrustedIssuer.describeSetting(trusted.name(), "jwks-uri") + " is not set" : "";
        return new IllegalStateException("cannot discover the metadata of issuer " + trusted.issuer() + " ("
                + TrustedIssuer.describeSetting(trusted.name(), "") + keys + "): " + why + "; fix "
                + TrustedIssuer.settingName(trusted.name(), "")
                + (trusted.discoversKeys() ? " or set " + TrustedIssuer.settingName(trusted.name(), "jwks-uri") : ""));
    }
}
