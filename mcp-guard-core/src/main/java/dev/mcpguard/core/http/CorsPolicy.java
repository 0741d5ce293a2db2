package dev.mcpguard.core.http;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The browser side of {@link McpGuardHttpFilter}: which {@code Origin}s may call the MCP endpoint, and the CORS
 * answers (Fetch standard, "CORS protocol") that let a page on such an origin read what the endpoint answers.
 *
 * <ul>
 *   <li>Allowed: the configured origins and this server's own origin (the resource URI's scheme, host and port),
 *       compared case-insensitively with default ports left out. Nothing else, in particular never {@code null}
 *       (sandboxed frames, {@code file:} pages) and no wildcard: the origin check is the DNS-rebinding defence,
 *       and an origin derived from the request's {@code Host} would be the attacker's own name in such an
 *       attack.</li>
 *   <li>Preflight: {@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method} from an allowed
 *       origin, asking for one of {@value #ALLOW_METHODS} and only request headers from the fixed set (plus the
 *       API key header), is answered 204 with {@code Access-Control-Allow-Origin} (the request's origin),
 *       {@code -Allow-Methods}, {@code -Allow-Headers} (the requested ones), {@code -Max-Age} and {@code Vary}.
 *       Anything else asked is refused (the filter answers 403 without CORS headers).</li>
 *   <li>Actual requests from an allowed origin, refusals included, carry {@code Access-Control-Allow-Origin},
 *       {@code Access-Control-Expose-Headers: }{@value #EXPOSE_HEADERS} and {@code Vary: Origin}, so the page can
 *       read a 401's {@code WWW-Authenticate} or a 429's reason.</li>
 * </ul>
 * {@code Access-Control-Allow-Credentials} is never sent: mcp-guard authenticates with the {@code Authorization}
 * (or API key) header a client sets itself, never with cookies, so a browser sends no ambient credential.
 *
 * <p>Immutable and thread-safe.
 */
final class CorsPolicy {

    static final String ALLOW_METHODS = "GET, POST, DELETE, OPTIONS";
    static final String EXPOSE_HEADERS = "Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version";
    static final String PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    /** How long a browser may reuse a preflight answer; short, so that a removed origin stops working soon. */
    static final int MAX_AGE_SECONDS = 600;
    /** Bounds on what a preflight may ask for, well above what a browser sends for MCP. */
    static final int MAX_REQUEST_HEADERS_CHARS = 1024;
    static final int MAX_REQUEST_HEADERS = 16;
    /** The request headers an MCP client sets (lower case), besides the API key header. */
    static final Set<String> MCP_REQUEST_HEADERS = Set.of("authorization", "content-type", "accept",
            "mcp-session-id", "mcp-protocol-version", "last-event-id");

    private static final Set<String> METHODS = Set.of("GET", "POST", "DELETE", "OPTIONS");
    private static final Pattern HEADER_NAME = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]+");

    private final Set<String> allowedOrigins;
    private final Set<String> allowedRequestHeaders;

    CorsPolicy(Set<String> configuredOrigins, URI resource, String apiKeyHeader) {
        Set<String> origins = new LinkedHashSet<>(configuredOrigins);
        origins.add(originOf(resource));
        this.allowedOrigins = Set.copyOf(origins);
        Set<String> headers = new LinkedHashSet<>(MCP_REQUEST_HEADERS);
        headers.add(apiKeyHeader.toLowerCase(Locale.ROOT));
        this.allowedRequestHeaders = Set.copyOf(headers);
    }

    /**
     * {@code scheme://host[:port]} of an absolute http(s) URI, lower case, without a default port: the form a
     * browser's {@code Origin} header has.
     */
    static String originOf(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("https") && port == 443)
                || (scheme.equals("http") && port == 80);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    /** Whether a request carrying {@code Origin: origin} may go on. */
    boolean allows(String origin) {
        return origin != null && allowedOrigins.contains(origin.toLowerCase(Locale.ROOT));
    }

    /** True for a CORS preflight: {@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}. */
    static boolean isPreflight(HttpServletRequest request) {
        return "OPTIONS".equals(request.getMethod()) && request.getHeader("Origin") != null
                && request.getHeader("Access-Control-Request-Method") != null;
    }

    /**
     * Judges the preflight of {@code request} (whose origin is allowed): the request headers to allow, or why
     * not. The problem text is fixed, without client text.
     */
    Preflight preflight(HttpServletRequest request) {
        Enumeration<String> methods = request.getHeaders("Access-Control-Request-Method");
        String method = methods.nextElement();
        if (methods.hasMoreElements() || !METHODS.contains(method)) {
            return Preflight.refused("method not allowed");
        }
        StringBuilder joined = new StringBuilder();
        Enumeration<String> lines = request.getHeaders("Access-Control-Request-Headers");
        while (lines != null && lines.hasMoreElements()) {
            String line = lines.nextElement();
            if (joined.length() + line.length() > MAX_REQUEST_HEADERS_CHARS) {
                return Preflight.refused("too many request headers");
            }
            joined.append(joined.length() == 0 ? "" : ",").append(line);
        }
        Set<String> requested = new LinkedHashSet<>();
        for (String name : joined.toString().split(",", -1)) {
            String header = name.trim().toLowerCase(Locale.ROOT);
            if (header.isEmpty()) {
                continue;
            }
            if (!HEADER_NAME.matcher(header).matches() || !allowedRequestHeaders.contains(header)) {
                return Preflight.refused("request header not allowed");
            }
            requested.add(header);
            if (requested.size() > MAX_REQUEST_HEADERS) {
                return Preflight.refused("too many request headers");
            }
        }
        return new Preflight(List.copyOf(requested), null);
    }

    /** Writes the 204 answer to an accepted preflight from {@code origin}. */
    static void writePreflight(HttpServletResponse response, String origin, Preflight preflight) {
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        response.setHeader("Access-Control-Allow-Origin", origin);
        response.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS);
        if (!preflight.allowHeaders().isEmpty()) {
            response.setHeader("Access-Control-Allow-Headers", String.join(", ", preflight.allowHeaders()));
        }
        response.setHeader("Access-Control-Max-Age", Integer.toString(MAX_AGE_SECONDS));
        response.addHeader("Vary", PREFLIGHT_VARY);
    }

    /** Adds the headers every answer to an actual request from allowed {@code origin} carries. */
    static void addActualResponseHeaders(HttpServletResponse response, String origin) {
        // The request's own value: a browser compares it byte for byte with the origin it sent.
        response.setHeader("Access-Control-Allow-Origin", origin);
        response.setHeader("Access-Control-Expose-Headers", EXPOSE_HEADERS);
        response.addHeader("Vary", "Origin");
    }

    /** A preflight verdict: the request headers to allow, or (when {@code problem} is set) a refusal. */
    record Preflight(List<String> allowHeaders, String problem) {
        static Preflight refused(String problem) {
            return new Preflight(List.of(), problem);
        }

        boolean refused() {
            return problem != null;
        }
    }
}
