package dev.mcpguard.core.identity;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An issuer's authorization server metadata: its {@code jwks_uri} and {@code introspection_endpoint}, read from
 * OpenID Connect discovery ({@code <issuer>/.well-known/openid-configuration}) or, when that is not served,
 * RFC 8414 ({@code /.well-known/oauth-authorization-server} inserted before the issuer's path, section 3.1).
 *
 * <p>What a document must satisfy, else it is refused and nothing from it is used:
 * <ul>
 *   <li>HTTP 200 within the deadline (connect and read bounded), at most {@link #MAX_DOCUMENT_BYTES}, no redirect
 *       followed, a JSON object;</li>
 *   <li>its {@code issuer} equals the configured issuer exactly (RFC 8414 section 3.3, OIDC Discovery section
 *       4.3): a document that names another issuer is refused, and the other discovery location is not tried;</li>
 *   <li>{@code jwks_uri} and {@code introspection_endpoint}, when present, are absolute {@code https} URLs, or
 *       {@code http} ones on a loopback host when the issuer itself is a loopback {@code http} URL (tests and local
 *       development).</li>
 * </ul>
 *
 * <p>{@link #fetch()} always reads the document (the JWKS source calls it before each key set fetch, so the
 * metadata is refreshed with the keys); {@link #current()} serves the last document for {@code ttl} and fetches
 * otherwise, at most one failed attempt per {@code retryInterval}. Times come from the injected {@link Clock}.
 * Thread-safe; fetches are serialised. Package-private: configured through {@link JwtIdentityResolver.Builder}.
 */
final class IssuerMetadataSource {

    /** Largest metadata document accepted (Keycloak's is about 7 KiB). */
    static final int MAX_DOCUMENT_BYTES = 128 * 1024;
    private static final Pattern TRAILING_SLASHES = Pattern.compile("/+$");
    private static final Logger log = LoggerFactory.getLogger(IssuerMetadataSource.class);

    private final String issuer;
    private final List<URI> documents;
    private final HttpClient http;
    private final Duration deadline;
    private final Clock clock;
    private final Duration ttl;
    private final Duration retryInterval;

    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private Metadata last;
    /** Guarded by {@link #lock}. */
    private Instant lastFetchedAt;
    /** Guarded by {@link #lock}. */
    private Instant lastFailureAt;

    IssuerMetadataSource(String issuer, Duration connectTimeout, Duration deadline, Clock clock, Duration ttl,
                         Duration retryInterval) {
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.documents = documentsOf(issuer);
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.retryInterval = Objects.requireNonNull(retryInterval, "retryInterval");
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** What the metadata says; each value empty when the document does not name it. */
    record Metadata(Optional<URI> jwksUri, Optional<URI> introspectionEndpoint) {
    }

    /** The metadata document locations of {@code issuer}, in the order tried: OIDC discovery, then RFC 8414. */
    static List<URI> documentsOf(String issuer) {
        URI uri = URI.create(issuer);
        String withoutSlash = TRAILING_SLASHES.matcher(issuer).replaceAll("");
        String path = uri.getRawPath() == null ? "" : TRAILING_SLASHES.matcher(uri.getRawPath()).replaceAll("");
        URI oidc = URI.create(withoutSlash + "/.well-known/openid-configuration");
        URI rfc8414 = URI.create(uri.getScheme() + "://" + uri.getRawAuthority()
                + "/.well-known/oauth-authorization-server" + path);
        return List.of(oidc, rfc8414);
    }

    /**
     * Refuses an issuer that discovery cannot be used with: it must be an absolute {@code https} URL without query
     * or fragment, or an {@code http} one on a loopback host.
     *
     * @throws IllegalArgumentException naming the issuer
     */
    static void requireDiscoverable(String issuer) {
        URI uri;
        try {
            uri = new URI(issuer);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("issuer is not a URL, so its metadata cannot be discovered: '"
                    + issuer + "'; configure jwksUrl or jwkSet");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getHost() == null
                || !("https".equalsIgnoreCase(uri.getScheme()) || isLoopbackHttp(uri))) {
            throw new IllegalArgumentException("issuer must be an https URL (or http on a loopback host) without "
                    + "query or fragment for metadata discovery, got '" + issuer + "'; configure jwksUrl or jwkSet");
        }
    }

    /**
     * Whether an endpoint may be used for an issuer: {@code https}, or {@code http} on a loopback host when the
     * issuer is a loopback {@code http} URL.
     */
    static boolean acceptableEndpoint(URI endpoint, String issuer) {
        if (!endpoint.isAbsolute() || endpoint.getHost() == null) {
            return false;
        }
        if ("https".equalsIgnoreCase(endpoint.getScheme())) {
            return true;
        }
        try {
            return isLoopbackHttp(endpoint) && isLoopbackHttp(new URI(issuer));
        } catch (java.net.URISyntaxException e) {
            return false;
        }
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

    /** The last metadata if younger than the TTL, else a fresh fetch (one failed attempt per retry interval). */
    Metadata current() throws IssuerMetadataException {
        synchronized (lock) {
            Instant now = clock.instant();
            if (last != null && now.isBefore(lastFetchedAt.plus(ttl))) {
                return last;
            }
            if (lastFailureAt != null && now.isBefore(lastFailureAt.plus(retryInterval))) {
                throw new IssuerMetadataException("metadata of issuer " + issuer
                        + " could not be read recently; retried after " + retryInterval);
            }
            return fetchLocked();
        }
    }

    /** Reads the metadata now. */
    Metadata fetch() throws IssuerMetadataException {
        synchronized (lock) {
            return fetchLocked();
        }
    }

    private Metadata fetchLocked() throws IssuerMetadataException {
        try {
            Metadata metadata = read();
            last = metadata;
            lastFetchedAt = clock.instant();
            lastFailureAt = null;
            return metadata;
        } catch (IssuerMetadataException e) {
            lastFailureAt = clock.instant();
            log.warn("Authorization server metadata of issuer {} refused or unavailable: {}", issuer, e.getMessage());
            throw e;
        }
    }

    private Metadata read() throws IssuerMetadataException {
        StringBuilder unavailable = new StringBuilder();
        for (URI document : documents) {
            HttpResponse<byte[]> response;
            try {
                response = BoundedHttpExchange.send(http, HttpRequest.newBuilder(document).timeout(deadline)
                        .header("Accept", "application/json").GET().build(), MAX_DOCUMENT_BYTES, deadline);
            } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
                throw new IssuerMetadataException(document + " answered with more than " + MAX_DOCUMENT_BYTES
                        + " bytes");
            } catch (IOException | TimeoutException e) {
                unavailable.append(unavailable.isEmpty() ? "" : "; ").append(document).append(" unreachable (")
                        .append(e.getClass().getSimpleName()).append(')');
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IssuerMetadataException("interrupted while reading " + document);
            }
            if (response.statusCode() != 200) {
                unavailable.append(unavailable.isEmpty() ? "" : "; ").append(document).append(" answered HTTP ")
                        .append(response.statusCode());
                continue;
            }
            return parse(document, response.body());
        }
        throw new IssuerMetadataException(unavailable.toString());
    }

    private Metadata parse(URI document, byte[] body) throws IssuerMetadataException {
        Map<String, Object> json;
        try {
            json = JSONObjectUtils.parse(new String(body, StandardCharsets.UTF_8));
        } catch (ParseException | RuntimeException e) {
            throw new IssuerMetadataException(document + " is not a JSON object");
        }
        if (!(json.get("issuer") instanceof String named) || !named.equals(issuer)) {
            // Not echoed at length: a hostile document could put anything there.
            throw new IssuerMetadataException(document + " names another issuer than " + issuer);
        }
        return new Metadata(endpoint(document, json, "jwks_uri"), endpoint(document, json, "introspection_endpoint"));
    }

    private Optional<URI> endpoint(URI document, Map<String, Object> json, String name)
            throws IssuerMetadataException {
        Object value = json.get(name);
        if (value == null) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = value instanceof String s ? new URI(s) : null;
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !acceptableEndpoint(uri, issuer)) {
            throw new IssuerMetadataException(document + ": " + name
                    + " must be an https URL (http only on loopback for a loopback issuer)");
        }
        return Optional.of(uri);
    }

    @Override
    public String toString() {
        return "IssuerMetadataSource[" + issuer + "]";
    }

    /** The metadata could not be read or was refused; the message is safe to log (no document content). */
    static final class IssuerMetadataException extends IOException {
        private static final long serialVersionUID = 1L;

        IssuerMetadataException(String message) {
            super(message);
        }
    }
}
