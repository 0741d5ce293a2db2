package dev.mcpguard.core.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.internal.ClientText;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servlet filter in front of an MCP Streamable HTTP endpoint: it answers what a tool handler cannot answer
 * with an HTTP status (who is calling, from which browser origin, on whose session) and publishes the OAuth
 * protected resource metadata (RFC 9728) clients use to find the authorization server.
 *
 * <p>Map it to {@code /*} (or at least to the MCP path and {@code /.well-known/*}), with async support enabled,
 * because the MCP SDK answers asynchronously. Requests are treated by path within the servlet context:
 * <ul>
 *   <li>{@code GET /.well-known/oauth-protected-resource}, the same path suffixed with the resource URI's path
 *       and with each MCP path (for example {@code /.well-known/oauth-protected-resource/mcp}): the metadata JSON,
 *       without authentication.</li>
 *   <li>An MCP path or below it ({@code /mcp}, {@code /mcp/...}): protected, in this order:
 *     <ol>
 *       <li>Origin: a present {@code Origin} header that is neither this server's own origin (the resource
 *           URI's) nor on the allow-list, or more than one, is 403 {@code origin_not_allowed} without CORS
 *           headers (DNS-rebinding defence); requests without Origin, from non-browser clients, pass. From an
 *           allowed origin, a CORS preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) is
 *           answered here, before authentication and without reaching the MCP server: 204 with the CORS
 *           headers, or 403 {@code cors_preflight_refused} for a method or request header not allowed; every
 *           other answer, refusals included, carries {@code Access-Control-Allow-Origin} and
 *           {@code Access-Control-Expose-Headers} (see {@link Builder#allowedOrigin}).</li>
 *       <li>Authentication, on every request: {@code Authorization: Bearer <token>} or the API key header is given
 *           to the {@link IdentityResolver}. No credential is 401 with
 *           {@code WWW-Authenticate: Bearer resource_metadata="..."}; a rejected one is 401 with
 *           {@code error="invalid_token"} and the resolver's short description; two credentials at once are 400
 *           {@code invalid_request}.</li>
 *       <li>Revocation: a caller whose subject, tenant or token id ({@code jti}) is revoked in the session
 *           registry is 401 {@code invalid_token} ("credential revoked").</li>
 *       <li>Scopes: a caller lacking a required scope is 403 {@code insufficient_scope} with {@code scope="..."}.</li>
 *       <li>Session: a request carrying {@value #SESSION_HEADER} must be on a session bound to the same principal:
 *           unknown is 404 (the client re-initializes), another principal's is 403
 *           {@code session_principal_mismatch}, for DELETE too. A session id the server issues in a response is
 *           bound to the caller when the header is set. A DELETE that succeeds ends the binding. Session ids never
 *           authenticate on their own. An {@code initialize} is not told apart from other requests: it is
 *           checked like any request carrying (or not carrying) a session id. A POST without a session id
 *           while the registry has no room for a new session ({@link SessionRegistry#admitsNewSession}) is 503
 *           {@code session_limit_reached} with {@code Retry-After}.</li>
 *       <li>Streams: a GET (SSE) stream the server opens on a session is tracked and ended when the registry
 *           reports the session ended (revoked, expired, deleted, evicted); a session holds at most
 *           {@code maximumStreamsPerSession} of them, a further GET ends its oldest.</li>
 *       <li>Request rate: every request of a principal (issuer and subject), POST, GET or DELETE, takes a token
 *           from its bucket ({@link HttpRequestLimits}); an empty bucket is 429 with {@code Retry-After}.</li>
 *       <li>Protocol version: a request whose {@code MCP-Protocol-Version} header names a version the server
 *           does not support (default: those of the SDK's Streamable HTTP transport) is 400 with a JSON-RPC
 *           error, except the {@code initialize} request, which negotiates the version in its body; a request
 *           without the header passes.</li>
 *       <li>The verified caller is set as request attribute {@link GuardRequestAttributes#CALLER} (any value
 *           already there is removed first) and the chain continues. A POST first passes the body gate: an
 *           in-flight slot of the principal and the session, the body read without blocking a worker, bounded
 *           in size and time, and the JSON-RPC message checked (malformed messages and unknown notifications
 *           are refused; concurrent {@code notifications/roots/list_changed} on one session are coalesced).
 *           The request then goes on with the buffered body: on the same thread when the whole body had
 *           already arrived, otherwise dispatched again, asynchronously.</li>
 *       <li>Error bodies the MCP server writes (status 4xx or 5xx) are replaced by a JSON-RPC error without
 *           internals: the SDK would otherwise send its serialized Java exception.</li>
 *     </ol></li>
 *   <li>Any other path passes through untouched, without a caller attribute.</li>
 * </ul>
 *
 * <p>Every refusal this filter writes carries {@code Connection: close}: the container closes the connection
 * instead of reading (draining) the rest of a body the refused client may still be sending.
 *
 * <p>Credentials never appear in logs, response bodies or headers. Rejections are logged at DEBUG (credential
 * problems, which clients cause routinely) or INFO (session misuse) with the reason code, subject when known and
 * remote address.
 *
 * <p>Thread-safe and immutable once built. Builder arguments are never null.
 * <pre>{@code
 * McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
 *     .identityResolver(IdentityResolvers.firstApplicable(jwtResolver, apiKeyResolver))
 *     .sessionRegistry(sessionRegistry)
 *     .resource(URI.create("https://orders.example.com/mcp"))
 *     .authorizationServer(URI.create("https://login.example.com/realms/acme"))
 *     .mcpPath("/mcp")
 *     .requiredScopes("orders:read")
 *     .build();
 * }</pre>
 */
public final class McpGuardHttpFilter implements Filter {

    /** The MCP Streamable HTTP session header. */
    public static final String SESSION_HEADER = "Mcp-Session-Id";
    /** The API key header used when none is configured. */
    public static final String DEFAULT_API_KEY_HEADER = "X-API-Key";
    /** How many GET (SSE) streams a session may hold open when not configured. */
    public static final int DEFAULT_MAXIMUM_STREAMS_PER_SESSION = 1;
    /** The RFC 9728 well-known path prefix. */
    public static final String METADATA_PATH = "/.well-known/oauth-protected-resource";

    private static final Logger log = LoggerFactory.getLogger(McpGuardHttpFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    private static final int MAX_DESCRIPTION_LENGTH = 200;
    private static final int MAX_ORIGIN_LOG_CHARS = 100;
    private static final Pattern PROTOCOL_VERSION = Pattern.compile("[A-Za-z0-9._-]{1,32}");

    private final IdentityResolver identityResolver;
    private final SessionRegistry sessionRegistry;
    private final List<String> mcpPaths;
    private final Set<String> metadataPaths;
    private final Set<String> requiredScopes;
    private final CorsPolicy cors;
    private final ProtocolVersionHeader protocolVersion;
    private final String apiKeyHeader;
    private final boolean exposeInboundToken;
    private final String metadataUrl;
    private final byte[] metadataJson;
    private final SessionStreams sessionStreams;
    private final PrincipalRequestLimiter requestLimiter;
    private final McpPostGate postGate;

    private McpGuardHttpFilter(Builder b) {
        this.identityResolver = b.identityResolver;
        this.sessionRegistry = b.sessionRegistry;
        this.sessionStreams = new SessionStreams(b.maximumStreamsPerSession);
        if (!b.sessionRegistry.addEndListener(sessionStreams)) {
            log.warn("Session registry {} does not report session ends: GET streams of revoked or expired "
                    + "sessions stay open until the client closes them", b.sessionRegistry.getClass().getName());
        }
        this.mcpPaths = List.copyOf(b.mcpPaths.isEmpty() ? Set.of("/mcp") : b.mcpPaths);
        this.requiredScopes = Collections.unmodifiableSet(new TreeSet<>(b.requiredScopes));
        this.cors = new CorsPolicy(b.allowedOrigins, b.resource, b.apiKeyHeader);
        this.protocolVersion = new ProtocolVersionHeader(b.protocolVersions == null
                ? ProtocolVersionHeader.ofSdkStreamableHttpTransport() : b.protocolVersions);
        this.apiKeyHeader = b.apiKeyHeader;
        this.exposeInboundToken = b.exposeInboundToken;
        String resourcePath = resourcePath(b.resource);
        this.metadataUrl = b.resource.getScheme() + "://" + b.resource.getRawAuthority() + METADATA_PATH + resourcePath;
        Set<String> paths = new LinkedHashSet<>();
        paths.add(METADATA_PATH);
        paths.add(METADATA_PATH + resourcePath);
        mcpPaths.forEach(p -> paths.add(METADATA_PATH + p));
        this.metadataPaths = Set.copyOf(paths);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("resource", b.resource.toString());
        if (!b.authorizationServers.isEmpty()) { // none with API keys only: no invented one is advertised
            metadata.put("authorization_servers", b.authorizationServers.stream().map(URI::toString).toList());
        }
        Set<String> supported = new TreeSet<>(b.scopesSupported == null ? b.requiredScopes : b.scopesSupported);
        metadata.put("scopes_supported", List.copyOf(supported));
        metadata.put("bearer_methods_supported", List.of("header"));
        if (b.resourceName != null) {
            metadata.put("resource_name", b.resourceName);
        }
        this.metadataJson = json(metadata);
        this.requestLimiter = new PrincipalRequestLimiter(b.requestLimits, b.clock);
        this.postGate = new McpPostGate(b.requestLimits, requestLimiter, protocolVersion, b.clock);
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The URL of this resource's RFC 9728 metadata, as advertised in {@code WWW-Authenticate}. */
    public String metadataUrl() {
        return metadataUrl;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
            chain.doFilter(req, res);
            return;
        }
        String path = pathWithinContext(request);
        if ("GET".equals(request.getMethod()) && metadataPaths.contains(path)) {
            response.setHeader("Access-Control-Allow-Origin", "*");
            response.setHeader("Cache-Control", "max-age=300");
            writeJson(response, HttpServletResponse.SC_OK, metadataJson);
            return;
        }
        if (!isProtected(path, request.getRequestURI())) {
            chain.doFilter(request, response);
            return;
        }
        if (request.getDispatcherType() == DispatcherType.ASYNC
                && request.getAttribute(McpPostGate.FORWARDED_ATTRIBUTE) != null) {
            // Checked and buffered by this filter before it dispatched the request again.
            chain.doFilter(request, response);
            return;
        }
        guardProtectedPath(request, response, chain);
        if (request.getAttribute(GuardRequestAttributes.CALLER) == null) {
            // Refused: do not let the container drain a body the client may still be trickling.
            RefusedRequestBodies.closeWithoutDraining(request, response);
        }
    }

    private void guardProtectedPath(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        // Only this filter may say who the caller is.
        request.removeAttribute(GuardRequestAttributes.CALLER);
        request.removeAttribute(GuardRequestAttributes.INBOUND_TOKEN);

        Enumeration<String> origins = request.getHeaders("Origin");
        if (origins != null && origins.hasMoreElements()) {
            String origin = origins.nextElement();
            if (origins.hasMoreElements() || !cors.allows(origin)) {
                // No CORS headers: the page of a foreign origin cannot read even this refusal.
                log.info("Refused request from origin not on the allow-list: reason={} origin={} remote={}",
                        ReasonCode.ORIGIN_NOT_ALLOWED, ClientText.forLog(origin, MAX_ORIGIN_LOG_CHARS),
                        request.getRemoteAddr());
                writeError(response, HttpServletResponse.SC_FORBIDDEN, "origin_not_allowed", null);
                return;
            }
            if (CorsPolicy.isPreflight(request)) {
                answerPreflight(request, response, origin);
                return;
            }
            // Before any refusal below, so that the page can read a 401's challenge or a 429's reason too.
            CorsPolicy.addActualResponseHeaders(response, origin);
        }

        CallerIdentity caller = authenticate(request, response);
        if (caller == null) {
            return;
        }
        if (isRevoked(caller)) {
            log.info("Refused revoked caller: reason={} subject={} remote={}", ReasonCode.REVOKED,
                    ClientText.forLog(caller.subject()), request.getRemoteAddr());
            challenge(response, HttpServletResponse.SC_UNAUTHORIZED, "invalid_token", "credential revoked");
            return;
        }

        if (!caller.scopes().containsAll(requiredScopes)) {
            log.debug("Refused caller lacking required scopes: reason={} subject={} remote={}",
                    ReasonCode.INSUFFICIENT_SCOPE, ClientText.forLog(caller.subject()), request.getRemoteAddr());
            response.setHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\""
                    + String.join(" ", requiredScopes) + "\", resource_metadata=\"" + metadataUrl + "\"");
            writeError(response, HttpServletResponse.SC_FORBIDDEN, "insufficient_scope", null);
            return;
        }

        Enumeration<String> sessionIds = request.getHeaders(SESSION_HEADER);
        String sessionId = sessionIds != null && sessionIds.hasMoreElements() ? sessionIds.nextElement() : null;
        if (sessionId != null && sessionIds.hasMoreElements()) {
            writeError(response, HttpServletResponse.SC_BAD_REQUEST, "invalid_request",
                    "more than one session id presented");
            return;
        }
        if (sessionId != null && !sessionIsUsable(sessionId, caller, request, response)) {
            return;
        }
        if (sessionId == null && "POST".equals(request.getMethod()) && !admitsNewSession(caller)) {
            // INFO, not WARN: at the bound every further initialize lands here; a flood must not flood the log.
            log.info("Refused a new MCP session: reason={} subject={} remote={}", "session_limit_reached",
                    ClientText.forLog(caller.subject()), request.getRemoteAddr());
            response.setHeader("Retry-After", "30");
            writeError(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "session_limit_reached",
                    "too many live sessions on this server; retry later");
            return;
        }

        String principal = caller.issuer() + '\u0000' + caller.subject();
        long retryAfterSeconds = requestLimiter.tryAcquireRequest(principal);
        if (retryAfterSeconds > 0) {
            log.debug("Refused MCP request over the per-principal rate: reason={} subject={} remote={}",
                    ReasonCode.RATE_LIMITED, ClientText.forLog(caller.subject()), request.getRemoteAddr());
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
            writeError(response, 429, "rate_limited", null);
            return;
        }

        String unsupportedVersion = protocolVersion.unsupported(request);
        if (unsupportedVersion != null && !"POST".equals(request.getMethod())) {
            // A POST is judged by the gate, which sees whether it is the initialize request.
            protocolVersion.refuse(request, response, caller.subject(), unsupportedVersion);
            return;
        }

        request.setAttribute(GuardRequestAttributes.CALLER, caller);
        SessionBindingResponse bindingResponse = new SessionBindingResponse(response, caller, sessionRegistry, sessionId);
        HttpServletResponse hiding = new InternalsHidingResponse(bindingResponse);
        if ("POST".equals(request.getMethod())) {
            postGate.handle(request, response, hiding, chain, principal, caller.subject(), sessionId,
                    unsupportedVersion);
            return;
        }
        chain.doFilter(request, hiding);
        if (sessionId != null && "GET".equals(request.getMethod()) && request.isAsyncStarted()) {
            trackStream(sessionId, caller, request);
        }
        if (sessionId != null && "DELETE".equals(request.getMethod()) && bindingResponse.getStatus() < 300) {
            sessionRegistry.end(sessionId);
            log.debug("Ended MCP session of subject {}", ClientText.forLog(caller.subject()));
        }
    }

    /**
     * Answers a CORS preflight from an allowed origin, before authentication (a browser never sends credentials
     * on a preflight) and without the MCP server: 204 with the CORS headers, or 403 without them when it asks
     * for a method or request header the endpoint does not allow.
     */
    private void answerPreflight(HttpServletRequest request, HttpServletResponse response, String origin)
            throws IOException {
        CorsPolicy.Preflight preflight = cors.preflight(request);
        if (preflight.refused()) {
            log.debug("Refused CORS preflight: reason={} problem={} method={} origin={} remote={}",
                    "cors_preflight_refused", preflight.problem(),
                    ClientText.forLog(request.getHeader("Access-Control-Request-Method"), 40),
                    ClientText.forLog(origin, MAX_ORIGIN_LOG_CHARS), request.getRemoteAddr());
            writeError(response, HttpServletResponse.SC_FORBIDDEN, "cors_preflight_refused", preflight.problem());
            return;
        }
        CorsPolicy.writePreflight(response, origin, preflight);
    }

    /**
     * Tracks the GET (SSE) stream the server opened so that it ends with its session; a session that ended while
     * the server was opening it has its streams ended at once.
     */
    private void trackStream(String sessionId, CallerIdentity caller, HttpServletRequest request) {
        sessionStreams.track(sessionId, request.getAsyncContext());
        SessionCheck stillLive;
        try {
            stillLive = sessionRegistry.check(sessionId, caller);
        } catch (RuntimeException e) {
            stillLive = null;
        }
        if (!(stillLive instanceof SessionCheck.Valid)) {
            sessionStreams.endAll(sessionId);
        }
    }

    /** The number of open GET streams the filter tracks for {@code sessionId}, for tests. */
    int openStreams(String sessionId) {
        return sessionStreams.openStreams(sessionId);
    }

    /** Whether the registry has room for a new session of {@code caller}; a registry that fails has none. */
    private boolean admitsNewSession(CallerIdentity caller) {
        try {
            return sessionRegistry.admitsNewSession(caller);
        } catch (RuntimeException e) {
            log.warn("Session registry {} threw {} checking session capacity; refusing the request",
                    sessionRegistry.getClass().getName(), e.getClass().getName());
            return false;
        }
    }

    /** Returns the verified caller, or null after writing the error response. */
    private CallerIdentity authenticate(HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<PresentedCredential> presented = new ArrayList<>(2);
        Enumeration<String> authorizations = request.getHeaders("Authorization");
        while (authorizations != null && authorizations.hasMoreElements()) {
            String authorization = authorizations.nextElement();
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                presented.add(new PresentedCredential.BearerToken(Secret.ofUtf8(authorization.substring(7).trim())));
            }
        }
        Enumeration<String> apiKeys = request.getHeaders(apiKeyHeader);
        while (apiKeys != null && apiKeys.hasMoreElements()) {
            presented.add(new PresentedCredential.ApiKey(Secret.ofUtf8(apiKeys.nextElement().trim())));
        }
        if (presented.isEmpty()) {
            log.debug("Refused request without credentials: reason={} remote={}", ReasonCode.UNAUTHENTICATED,
                    request.getRemoteAddr());
            String scope = requiredScopes.isEmpty() ? "" : ", scope=\"" + String.join(" ", requiredScopes) + "\"";
            response.setHeader("WWW-Authenticate", "Bearer resource_metadata=\"" + metadataUrl + "\"" + scope);
            writeError(response, HttpServletResponse.SC_UNAUTHORIZED, "unauthorized", null);
            return null;
        }
        if (presented.size() > 1) {
            // RFC 6750 section 3.1: more than one method (or token) is an invalid request.
            log.debug("Refused request with several credentials: reason={} remote={}", ReasonCode.INVALID_TOKEN,
                    request.getRemoteAddr());
            challenge(response, HttpServletResponse.SC_BAD_REQUEST, "invalid_request",
                    "more than one credential presented");
            return null;
        }
        IdentityResult result;
        try {
            result = identityResolver.resolve(presented.get(0));
        } catch (RuntimeException e) {
            log.warn("Identity resolver {} threw {}; rejecting the request", identityResolver.getClass().getName(),
                    e.getClass().getName());
            result = null;
        }
        if (result instanceof IdentityResult.Authenticated authenticated) {
            if (exposeInboundToken && presented.get(0) instanceof PresentedCredential.BearerToken bearer) {
                request.setAttribute(GuardRequestAttributes.INBOUND_TOKEN, bearer.value());
            }
            return authenticated.identity();
        }
        String description = result instanceof IdentityResult.Rejected rejected
                ? rejected.description() : "credential not accepted";
        log.debug("Refused request with invalid credential: reason={} description={} remote={}",
                ReasonCode.INVALID_TOKEN, sanitize(description), request.getRemoteAddr());
        challenge(response, HttpServletResponse.SC_UNAUTHORIZED, "invalid_token", description);
        return null;
    }

    /** Revoked subject, tenant or token id; a registry that fails is treated as revoking (fail closed). */
    private boolean isRevoked(CallerIdentity caller) {
        try {
            return sessionRegistry.isRevoked(caller);
        } catch (RuntimeException e) {
            log.warn("Session registry {} threw {} checking revocation; refusing the request",
                    sessionRegistry.getClass().getName(), e.getClass().getName());
            return true;
        }
    }

    private boolean sessionIsUsable(String sessionId, CallerIdentity caller, HttpServletRequest request,
                                    HttpServletResponse response) throws IOException {
        SessionCheck check;
        try {
            check = sessionRegistry.check(sessionId, caller);
        } catch (RuntimeException e) {
            log.warn("Session registry {} threw {}; refusing the request", sessionRegistry.getClass().getName(),
                    e.getClass().getName());
            check = null;
        }
        if (check instanceof SessionCheck.Valid) {
            return true;
        }
        if (check instanceof SessionCheck.PrincipalMismatch mismatch) {
            log.info("Refused use of another principal's MCP session: reason={} subject={} boundSubject={} "
                            + "method={} remote={}", ReasonCode.SESSION_PRINCIPAL_MISMATCH,
                    ClientText.forLog(caller.subject()), ClientText.forLog(mismatch.boundSubject()), request.getMethod(),
                    request.getRemoteAddr());
            writeError(response, HttpServletResponse.SC_FORBIDDEN, "session_principal_mismatch", null);
            return false;
        }
        if (check instanceof SessionCheck.Unknown) {
            log.debug("Refused unknown MCP session: reason={} subject={} remote={}", ReasonCode.SESSION_INVALID,
                    ClientText.forLog(caller.subject()), request.getRemoteAddr());
            writeError(response, HttpServletResponse.SC_NOT_FOUND, "session_not_found", null);
            return false;
        }
        writeError(response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "server_error", null);
        return false;
    }

    private void challenge(HttpServletResponse response, int status, String error, String description)
            throws IOException {
        String safe = sanitize(description);
        response.setHeader("WWW-Authenticate", "Bearer error=\"" + error + "\", error_description=\"" + safe
                + "\", resource_metadata=\"" + metadataUrl + "\"");
        writeError(response, status, error, safe);
    }

    /** Keeps only the characters RFC 6750 allows in {@code error_description}, bounded in length. */
    static String sanitize(String description) {
        return ClientText.forQuotedHeader(description, MAX_DESCRIPTION_LENGTH);
    }

    /**
     * The MCP path and everything below it, and also every request URI that merely ends with an MCP path: the
     * SDK's servlet transports serve any URI ending with their endpoint (for example {@code /x/mcp}), so a
     * narrower test would let such a request reach the SDK unauthenticated.
     */
    private boolean isProtected(String path, String requestUri) {
        for (String mcpPath : mcpPaths) {
            if (path.equals(mcpPath) || path.startsWith(mcpPath + "/")
                    || (requestUri != null && requestUri.endsWith(mcpPath))) {
                return true;
            }
        }
        return false;
    }

    /** The decoded, normalised path the container routed on, without the context path. */
    private static String pathWithinContext(HttpServletRequest request) {
        String servletPath = request.getServletPath() == null ? "" : request.getServletPath();
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? servletPath : servletPath + pathInfo;
    }

    private static void writeError(HttpServletResponse response, int status, String error, String description)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        if (description != null) {
            body.put("error_description", description);
        }
        response.setHeader("Cache-Control", "no-store");
        // A refused client's connection is not kept, and the container does not drain a body it is still sending.
        response.setHeader("Connection", "close");
        writeJson(response, status, json(body));
    }

    private static void writeJson(HttpServletResponse response, int status, byte[] body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static byte[] json(Map<String, Object> value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a map of strings", e);
        }
    }

    private static String resourcePath(URI resource) {
        String path = resource.getRawPath();
        if (path == null || path.equals("/")) {
            return "";
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    @Override
    public String toString() {
        return "McpGuardHttpFilter[mcpPaths=" + mcpPaths + ", metadataUrl=" + metadataUrl + "]";
    }

    /**
     * Builds a {@link McpGuardHttpFilter}. Required: {@link #identityResolver}, {@link #sessionRegistry} and
     * {@link #resource} ({@code McpGuard.httpFilter()} presets the last two). {@link #authorizationServer} is
     * needed only when clients obtain OAuth tokens; without one the metadata names none. Setters reject bad values with a message
     * showing the value. Not thread-safe.
     */
    public static final class Builder {
        private IdentityResolver identityResolver;
        private SessionRegistry sessionRegistry;
        private URI resource;
        private final List<URI> authorizationServers = new ArrayList<>();
        private final Set<String> mcpPaths = new LinkedHashSet<>();
        private final Set<String> requiredScopes = new LinkedHashSet<>();
        private Set<String> scopesSupported;
        private String resourceName;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private List<String> protocolVersions;
        private String apiKeyHeader = DEFAULT_API_KEY_HEADER;
        private boolean exposeInboundToken;
        private int maximumStreamsPerSession = DEFAULT_MAXIMUM_STREAMS_PER_SESSION;
        private HttpRequestLimits requestLimits = HttpRequestLimits.ofDefaults();
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * The most GET (SSE) streams one session may hold open (1 to 16; default
         * {@value #DEFAULT_MAXIMUM_STREAMS_PER_SESSION}, as the MCP SDK listens on one only). A further GET on the
         * session ends its oldest stream.
         */
        public Builder maximumStreamsPerSession(int maximum) {
            if (maximum < 1 || maximum > 16) {
                throw new IllegalArgumentException("maximumStreamsPerSession must be between 1 and 16, got " + maximum);
            }
            this.maximumStreamsPerSession = maximum;
            return this;
        }

        /** Verifies bearer tokens and API keys, for example {@code IdentityResolvers.firstApplicable(jwt, keys)}. */
        public Builder identityResolver(IdentityResolver identityResolver) {
            this.identityResolver = Objects.requireNonNull(identityResolver, "identityResolver");
            return this;
        }

        /** Where session bindings live; share it with the rest of mcp-guard. */
        public Builder sessionRegistry(SessionRegistry sessionRegistry) {
            this.sessionRegistry = Objects.requireNonNull(sessionRegistry, "sessionRegistry");
            return this;
        }

        /**
         * This server's resource URI (RFC 8707), for example {@code https://orders.example.com/mcp}: published as
         * {@code resource} in the metadata and the base of the metadata URL. Tokens must carry it as audience.
         */
        public Builder resource(URI resource) {
            Objects.requireNonNull(resource, "resource");
            this.resource = requireHttpUrl(resource, "resource", false);
            return this;
        }

        /**
         * Adds an authorization server (issuer URL) clients may obtain tokens from, listed in the RFC 9728
         * metadata; leave it out when callers use API keys only.
         */
        public Builder authorizationServer(URI authorizationServer) {
            Objects.requireNonNull(authorizationServer, "authorizationServer");
            authorizationServers.add(requireHttpUrl(authorizationServer, "authorizationServer", false));
            return this;
        }

        /**
         * Adds a protected path within the servlet context, for example {@code /mcp}; it and everything below it
         * are protected. Default {@code /mcp} when none is added.
         */
        public Builder mcpPath(String path) {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || path.contains("//")
                    || path.startsWith(METADATA_PATH) || path.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
                throw new IllegalArgumentException("mcpPath must look like /mcp (leading slash, no trailing slash, "
                        + "no whitespace), got '" + path + "'");
            }
            mcpPaths.add(path);
            return this;
        }

        /** Scopes every caller must hold; default none. Also the default {@code scopes_supported}. */
        public Builder requiredScopes(String... scopes) {
            Objects.requireNonNull(scopes, "scopes");
            for (String scope : scopes) {
                requiredScopes.add(requireScope(scope));
            }
            return this;
        }

        /** The {@code scopes_supported} published in the metadata; default the required scopes. */
        public Builder scopesSupported(String... scopes) {
            Objects.requireNonNull(scopes, "scopes");
            Set<String> supported = new LinkedHashSet<>();
            for (String scope : scopes) {
                supported.add(requireScope(scope));
            }
            this.scopesSupported = supported;
            return this;
        }

        /** A human-readable {@code resource_name} for the metadata; default none. */
        public Builder resourceName(String resourceName) {
            Objects.requireNonNull(resourceName, "resourceName");
            if (resourceName.isBlank()) {
                throw new IllegalArgumentException("resourceName must not be blank, got '" + resourceName + "'");
            }
            this.resourceName = resourceName;
            return this;
        }

        /**
         * Adds a browser origin allowed to call the MCP endpoint, as {@code scheme://host[:port]} (compared
         * case-insensitively, default port left out). Requests from it pass the Origin check and get CORS
         * answers: the preflight is answered, and every response carries {@code Access-Control-Allow-Origin}
         * and exposes {@code Mcp-Session-Id}, {@code WWW-Authenticate} and {@code Mcp-Protocol-Version}. This
         * server's own origin (the {@link #resource}'s) is always allowed; any other browser request (one that
         * carries {@code Origin}) is refused, other clients pass. There is no wildcard: {@code *} is rejected.
         */
        public Builder allowedOrigin(String origin) {
            Objects.requireNonNull(origin, "origin");
            if (origin.contains("*")) {
                throw new IllegalArgumentException("allowedOrigin must be one exact origin, scheme://host[:port]; a "
                        + "wildcard would let every web page past the DNS-rebinding defence, got '" + origin + "'");
            }
            URI uri;
            try {
                uri = URI.create(origin);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allowedOrigin must be scheme://host[:port], got '" + origin + "'");
            }
            requireHttpUrl(uri, "allowedOrigin", true);
            allowedOrigins.add(CorsPolicy.originOf(uri));
            return this;
        }

        /**
         * The {@code MCP-Protocol-Version} header values this server accepts; a request naming another one is 400.
         * Default: the versions the MCP SDK's Streamable HTTP servlet transport supports (asked of the SDK). Pass
         * {@code transport.protocolVersions()} when the server runs on another transport, for example the
         * stateless one.
         */
        public Builder supportedProtocolVersions(List<String> versions) {
            Objects.requireNonNull(versions, "versions");
            if (versions.isEmpty()) {
                throw new IllegalArgumentException("supportedProtocolVersions must name at least one version, got "
                        + versions);
            }
            for (String version : versions) {
                if (version == null || !PROTOCOL_VERSION.matcher(version).matches()) {
                    throw new IllegalArgumentException("supportedProtocolVersions must be versions like 2025-06-18, "
                            + "got '" + version + "'");
                }
            }
            this.protocolVersions = List.copyOf(versions);
            return this;
        }

        /** The header API keys are read from; default {@value #DEFAULT_API_KEY_HEADER}. */
        public Builder apiKeyHeader(String headerName) {
            Objects.requireNonNull(headerName, "headerName");
            if (!HEADER_NAME.matcher(headerName).matches() || headerName.equalsIgnoreCase("Authorization")
                    || headerName.equalsIgnoreCase(SESSION_HEADER)) {
                throw new IllegalArgumentException("apiKeyHeader must be a header name other than Authorization "
                        + "and " + SESSION_HEADER + ", got '" + headerName + "'");
            }
            this.apiKeyHeader = headerName;
            return this;
        }

        /**
         * Hands the caller's verified bearer token (as a {@link Secret}, under
         * {@link GuardRequestAttributes#INBOUND_TOKEN}) to the MCP layer, so the credentials step can use it as the
         * subject token of an RFC 8693 token exchange. Off by default: only enable it when a tool needs a
         * downstream token on the user's behalf. The token is never forwarded as is, never audited; tool handlers
         * could read it from the transport context, which is why it is opt-in.
         */
        public Builder exposeInboundTokenForTokenExchange() {
            this.exposeInboundToken = true;
            return this;
        }

        /**
         * Body size and read time, per-principal request rate and in-flight bounds for every MCP request;
         * default {@link HttpRequestLimits#ofDefaults()}.
         */
        public Builder requestLimits(HttpRequestLimits limits) {
            this.requestLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The clock the per-principal request rate runs on; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Validates and builds the filter. */
        public McpGuardHttpFilter build() {
            if (identityResolver == null) {
                throw new IllegalStateException("identityResolver is required");
            }
            if (sessionRegistry == null) {
                throw new IllegalStateException("sessionRegistry is required");
            }
            if (resource == null) {
                throw new IllegalStateException("resource (this server's resource URI) is required");
            }
            return new McpGuardHttpFilter(this);
        }

        private static String requireScope(String scope) {
            if (scope == null || !SCOPE_TOKEN.matcher(scope).matches()) {
                throw new IllegalArgumentException("scope must be a non-empty RFC 6749 scope token, got '" + scope + "'");
            }
            return scope;
        }

        private static URI requireHttpUrl(URI uri, String name, boolean originOnly) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            boolean ok = uri.isAbsolute() && (scheme.equals("https") || scheme.equals("http"))
                    && uri.getHost() != null && uri.getRawUserInfo() == null && uri.getRawFragment() == null
                    && uri.getRawQuery() == null;
            if (ok && originOnly) {
                ok = uri.getRawPath() == null || uri.getRawPath().isEmpty();
            }
            if (!ok) {
                throw new IllegalArgumentException(name + " must be an absolute http(s) URL without user info, query "
                        + "or fragment" + (originOnly ? " or path" : "") + ", got '" + uri + "'");
            }
            return uri;
        }
    }
}
