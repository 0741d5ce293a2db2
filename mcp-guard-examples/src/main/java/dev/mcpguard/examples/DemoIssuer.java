package dev.mcpguard.examples;

import com.nimbusds.jose.JOSEObjectType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/**
 * An OAuth 2.0 token issuer for the demo and the tests: an in-process mock-oauth2-server on 127.0.0.1 that
 * signs real RS256 JWTs and publishes its keys at {@code <issuer>/jwks}. NOT an identity provider for
 * production; it issues any token it is asked for.
 *
 * <pre>{@code
 * try (DemoIssuer issuer = DemoIssuer.start()) {
 *     String token = issuer.token(DemoUser.BOB, server.resourceUri());
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class DemoIssuer implements AutoCloseable {

    /** The issuer id: the last path segment of the issuer URL. */
    public static final String ISSUER_ID = "demo";
    /** The OAuth client the demo's tokens are issued to ({@code azp}). */
    public static final String CLIENT_ID = "orders-agent";

    private final MockOAuth2Server server;

    private DemoIssuer(MockOAuth2Server server) {
        this.server = server;
    }

    /** Starts an issuer on a free port of 127.0.0.1. */
    public static DemoIssuer start() {
        MockOAuth2Server server = new MockOAuth2Server();
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve 127.0.0.1", e);
        }
        return new DemoIssuer(server);
    }

    /** The issuer URL, the {@code iss} of its tokens. */
    public URI issuer() {
        return server.issuerUrl(ISSUER_ID).uri();
    }

    /** The issuer's JWKS URL. */
    public URI jwksUri() {
        return server.jwksUrl(ISSUER_ID).uri();
    }

    /** A signed access token for {@code user}, for {@code audience}, valid for an hour. */
    public String token(DemoUser user, URI audience) {
        return token(user, List.of(audience.toString()), Duration.ofHours(1), Map.of());
    }

    /**
     * A signed access token with full control, for tests of what a server must refuse.
     *
     * @param user        subject, tenant, scopes and roles
     * @param audiences   the {@code aud} claim
     * @param lifetime    from now to {@code exp}; negative for an already expired token
     * @param extraClaims further claims, overriding the user's
     */
    public String token(DemoUser user, List<String> audiences, Duration lifetime, Map<String, Object> extraClaims) {
        Objects.requireNonNull(user, "user");
        Map<String, Object> claims = new LinkedHashMap<>();
        // Always set: mock-oauth2-server otherwise adds "tid" = the issuer id; a null claim is left out of the token.
        claims.put("tid", user.tenant());
        claims.put("scope", String.join(" ", user.scopes()));
        claims.put("roles", List.copyOf(user.roles()));
        claims.put("azp", CLIENT_ID);
        claims.putAll(extraClaims);
        return server.issueToken(ISSUER_ID, CLIENT_ID, new DefaultOAuth2TokenCallback(ISSUER_ID, user.subject(),
                JOSEObjectType.JWT.getType(), List.copyOf(audiences), claims, lifetime.toSeconds())).serialize();
    }

    /** The underlying mock server, for tests that need its other endpoints. */
    public MockOAuth2Server mockServer() {
        return server;
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
