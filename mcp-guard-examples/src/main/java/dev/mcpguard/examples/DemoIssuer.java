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
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;

/**
 * An OAuth 2.0 token issuer for the demo and the tests: an in-process mock-oauth2-server on 127.0.0.1 that
 * signs real RS256 JWTs and publishes its keys at {@code <issuer>/jwks}. NOT an identity provider for
 * production; it issues any token it is asked for.
 *
 * <p>It plays two roles: it mints the users' tokens for the orders server ({@link #token}), and its token endpoint
 * ({@link #tokenEndpoint()}) serves OAuth clients such as the orders server itself, which obtains tokens for the
 * payments API there with the client credentials grant. Tokens from the endpoint carry the requested
 * {@code audience} and {@code scope}, the client id as {@code sub} and {@code azp}, and live
 * {@link #SERVICE_TOKEN_LIFETIME}; the issuer counts them ({@link #tokenRequests()}), so the demo can show how
 * often a client really came back for a token.
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

    /** How long a token from the token endpoint is valid. */
    public static final Duration SERVICE_TOKEN_LIFETIME = Duration.ofHours(1);

    private final MockOAuth2Server server;
    private final ServiceTokens serviceTokens;

    private DemoIssuer(MockOAuth2Server server, ServiceTokens serviceTokens) {
        this.server = server;
        this.serviceTokens = serviceTokens;
    }

    /**
     * Starts an issuer on a free port of 127.0.0.1, and asks it once for its discovery document and key set
     * (within {@link #WARM_UP_TIMEOUT}) before returning.
     *
     * @throws IllegalStateException when it does not answer them
     */
    public static DemoIssuer start() {
        ServiceTokens serviceTokens = new ServiceTokens();
        MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(false, null, null, false,
                new OAuth2TokenProvider(), Set.of(serviceTokens)));
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve 127.0.0.1", e);
        }
        try {
            warmUp(server);
        } catch (RuntimeException e) {
            server.shutdown();
            throw e;
        }
        return new DemoIssuer(server, serviceTokens);
    }

    /**
     * How long the issuer may take for its first answers. mock-oauth2-server initialises itself on its first
     * requests, which on a loaded machine can take longer than the orders server's discovery deadline (a few
     * seconds); without the warm-up, a server trusting a just-started issuer could refuse to start.
     */
    static final Duration WARM_UP_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Fetches the discovery document and the key set once, then takes the two requests off the server's record,
     * so {@link #mockServer()}{@code .takeRequest} shows only what came after {@link #start()}.
     */
    private static void warmUp(MockOAuth2Server server) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(WARM_UP_TIMEOUT).build();
        List<URI> documents = List.of(server.wellKnownUrl(ISSUER_ID).uri(), server.jwksUrl(ISSUER_ID).uri());
        for (URI uri : documents) {
            try {
                java.net.http.HttpResponse<Void> response = http.send(java.net.http.HttpRequest.newBuilder(uri)
                        .timeout(WARM_UP_TIMEOUT).GET().build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the demo issuer answered " + uri + " with HTTP "
                            + response.statusCode());
                }
            } catch (IOException e) {
                throw new IllegalStateException("the demo issuer did not answer " + uri + " ("
                        + e.getClass().getSimpleName() + ")", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the demo issuer", e);
            }
        }
        for (int i = 0; i < documents.size(); i++) {
            server.takeRequest(WARM_UP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The issuer's OAuth 2.0 token endpoint. */
    public URI tokenEndpoint() {
        return server.tokenEndpointUrl(ISSUER_ID).uri();
    }

    /** How many tokens the token endpoint has issued since start (user tokens minted with {@link #token} not counted). */
    public int tokenRequests() {
        return serviceTokens.issued.get();
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

    /**
     * A signed token for an OAuth client (no tenant, scopes or roles of a user), as the token endpoint would issue
     * it, but not counted in {@link #tokenRequests()}.
     *
     * @param clientId  the {@code sub} and {@code azp}
     * @param audiences the {@code aud} claim
     * @param claims    further claims, e.g. {@code scope}
     * @param lifetime  from now to {@code exp}; negative for an already expired token
     */
    public String serviceToken(String clientId, List<String> audiences, Map<String, Object> claims, Duration lifetime) {
        Objects.requireNonNull(clientId, "clientId");
        Map<String, Object> all = new LinkedHashMap<>(claims);
        all.put("azp", clientId);
        return server.issueToken(ISSUER_ID, clientId, new DefaultOAuth2TokenCallback(ISSUER_ID, clientId,
                JOSEObjectType.JWT.getType(), List.copyOf(audiences), all, lifetime.toSeconds())).serialize();
    }

    /** The underlying mock server, for tests that need its other endpoints. */
    public MockOAuth2Server mockServer() {
        return server;
    }

    @Override
    public void close() {
        server.shutdown();
    }

    /**
     * What the token endpoint puts into the tokens it issues, and the count of them. mock-oauth2-server asks a
     * callback for the audience exactly once per token, so that is where the count is kept.
     */
    private static final class ServiceTokens implements OAuth2TokenCallback {
        private final AtomicInteger issued = new AtomicInteger();

        @Override
        public String issuerId() {
            return ISSUER_ID;
        }

        @Override
        public String subject(TokenRequest request) {
            return clientIdOf(request);
        }

        @Override
        public String typeHeader(TokenRequest request) {
            return JOSEObjectType.JWT.getType();
        }

        @Override
        public List<String> audience(TokenRequest request) {
            issued.incrementAndGet();
            List<String> audience = request.getCustomParameters().get("audience");
            return audience == null ? List.of() : List.copyOf(audience);
        }

        @Override
        public Map<String, Object> addClaims(TokenRequest request) {
            Map<String, Object> claims = new LinkedHashMap<>();
            claims.put("azp", clientIdOf(request));
            if (request.getScope() != null) {
                claims.put("scope", request.getScope().toString());
            }
            return claims;
        }

        @Override
        public long tokenExpiry() {
            return SERVICE_TOKEN_LIFETIME.toSeconds();
        }

        private static String clientIdOf(TokenRequest request) {
            ClientID id = request.getClientAuthentication() != null
                    ? request.getClientAuthentication().getClientID() : request.getClientID();
            return id == null ? "unknown-client" : id.getValue();
        }
    }
}
