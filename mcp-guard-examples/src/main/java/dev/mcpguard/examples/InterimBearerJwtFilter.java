package dev.mcpguard.examples;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.http.GuardRequestAttributes;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * STAND-IN until {@code dev.mcpguard.core.http.McpGuardHttpFilter} lands in mcp-guard-core; installed only by
 * {@link OrdersServer#installSecurity}, which is the one method to change when it does.
 *
 * <p>It does the minimum the example needs, properly: verifies the bearer JWT's signature against the issuer's
 * JWKS (RS256/ES256 only, so {@code alg=none} and HMAC are refused), its issuer, its audience (this server's
 * resource URI) and its expiry; maps {@code sub}, {@code tid}, {@code azp}, {@code scope}, {@code roles},
 * {@code jti}, {@code exp} to a {@link CallerIdentity} set as request attribute {@link GuardRequestAttributes#CALLER};
 * binds the {@code Mcp-Session-Id} the server issues to that caller and refuses a session used by another one.
 * It does NOT do what the real filter will: API keys, the RFC 9728 metadata document and
 * {@code resource_metadata} pointer, the Origin allow-list, client-safe error descriptions per failure.
 *
 * <p>Thread-safe.
 */
final class InterimBearerJwtFilter implements Filter {

    private static final Logger log = LoggerFactory.getLogger(InterimBearerJwtFilter.class);
    private static final String SESSION_HEADER = "Mcp-Session-Id";

    private final String issuer;
    private final SessionRegistry sessions;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    InterimBearerJwtFilter(URI issuer, URI jwksUri, URI resource, SessionRegistry sessions) {
        this.issuer = issuer.toString();
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.create(jwksUri.toURL()).retrying(false).build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("jwksUri is not a URL: " + jwksUri, e);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
                keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(resource.toString()),
                new JWTClaimsSet.Builder().issuer(this.issuer).build(), Set.of("sub", "exp"), Set.of()));
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        String authorization = request.getHeader("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthorized(response, null);
            return;
        }
        CallerIdentity caller;
        try {
            caller = toIdentity(processor.process(authorization.substring(7).trim(), null));
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            log.debug("Bearer token rejected: {}", e.getClass().getSimpleName());
            unauthorized(response, "invalid_token");
            return;
        }
        request.setAttribute(GuardRequestAttributes.CALLER, caller);

        String sessionId = request.getHeader(SESSION_HEADER);
        if (sessionId == null) {
            // A new session: bind the id the server issues to this caller before the client can use it.
            chain.doFilter(request, new SessionBindingResponse(response, caller));
            return;
        }
        SessionCheck check = sessions.check(sessionId, caller);
        if (check instanceof SessionCheck.PrincipalMismatch) {
            log.warn("Request by subject {} used a session bound to another principal; refused", caller.subject());
            response.sendError(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        if (check instanceof SessionCheck.Unknown) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        chain.doFilter(request, response);
        if ("DELETE".equalsIgnoreCase(request.getMethod())) {
            sessions.end(sessionId);
        }
    }

    private CallerIdentity toIdentity(JWTClaimsSet claims) throws ParseException {
        Object scope = claims.getClaim("scope");
        Set<String> scopes = scope instanceof String s
                ? new LinkedHashSet<>(Arrays.asList(s.trim().split("\\s+"))) : Set.of();
        List<String> roles = claims.getStringListClaim("roles");
        String clientId = claims.getStringClaim("azp") != null
                ? claims.getStringClaim("azp") : claims.getStringClaim("client_id");
        return CallerIdentity.builder(issuer, claims.getSubject())
                .tenant(claims.getStringClaim("tid"))
                .clientId(clientId)
                .scopes(scopes)
                .roles(roles == null ? Set.of() : Set.copyOf(roles))
                .tokenId(claims.getJWTID())
                .expiresAt(claims.getExpirationTime().toInstant())
                .method(CallerIdentity.AuthenticationMethod.BEARER_JWT)
                .build();
    }

    private static void unauthorized(HttpServletResponse response, String error) throws IOException {
        response.setHeader("WWW-Authenticate", error == null ? "Bearer" : "Bearer error=\"" + error + "\"");
        response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
    }

    /** Binds the session id in the server's response header to the caller, as the header is set. */
    private final class SessionBindingResponse extends HttpServletResponseWrapper {
        private final CallerIdentity caller;

        SessionBindingResponse(HttpServletResponse response, CallerIdentity caller) {
            super(response);
            this.caller = caller;
        }

        @Override
        public void setHeader(String name, String value) {
            bindIfSession(name, value);
            super.setHeader(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            bindIfSession(name, value);
            super.addHeader(name, value);
        }

        private void bindIfSession(String name, String value) {
            if (SESSION_HEADER.equalsIgnoreCase(name) && value != null) {
                sessions.bind(value, caller);
            }
        }
    }
}
