package dev.mcpguard.core.http;

import dev.mcpguard.core.internal.ClientText;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code MCP-Protocol-Version} request header of the Streamable HTTP transport: a request naming a version
 * this server does not support must be answered 400 (MCP 2025-06-18, "Protocol Version Header"). The MCP SDK
 * 2.1.0 servlet transport does not check it (it answers such a request 200), so {@link McpGuardHttpFilter} does.
 *
 * <p>A request without the header passes: the specification says to assume 2025-03-26, and clients of that
 * version never send it. Two or more header lines, or an empty value, count as unsupported. The
 * {@code initialize} request is judged by its body, where the version is negotiated: the filter does not refuse
 * it by header.
 *
 * <p>Immutable and thread-safe.
 */
final class ProtocolVersionHeader {

    static final String NAME = "MCP-Protocol-Version";

    private static final Logger log = LoggerFactory.getLogger(ProtocolVersionHeader.class);
    private static final int MAX_LOG_CHARS = 40;

    private final Set<String> supported;
    private final String refusal;

    ProtocolVersionHeader(List<String> supported) {
        this.supported = Collections.unmodifiableSet(new LinkedHashSet<>(supported));
        this.refusal = "unsupported " + NAME + " (supported: " + String.join(", ", this.supported) + ")";
    }

    /**
     * The versions the MCP SDK's own Streamable HTTP servlet transport supports, asked of the SDK rather than
     * copied (2.1.0: 2025-03-26, 2025-06-18, 2025-11-25; not 2024-11-05, which had no Streamable HTTP). The
     * transport built to ask has no session sweeper and no keep-alive, so it starts no thread.
     */
    static List<String> ofSdkStreamableHttpTransport() {
        return List.copyOf(HttpServletStreamableServerTransportProvider.builder()
                .sessionSweepInterval(null)
                .build()
                .protocolVersions());
    }

    /** The supported versions, in the order given. */
    Set<String> supported() {
        return supported;
    }

    /**
     * Null when {@code request} has no {@value #NAME} header or one naming a supported version; otherwise the
     * value(s) presented, joined with {@code ", "} (client text: escape and bound it before logging).
     */
    String unsupported(HttpServletRequest request) {
        Enumeration<String> values = request.getHeaders(NAME);
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        String first = values.nextElement();
        if (!values.hasMoreElements()) {
            return supported.contains(first) ? null : first;
        }
        List<String> all = new ArrayList<>();
        all.add(first);
        while (values.hasMoreElements() && all.size() < 4) {
            all.add(values.nextElement());
        }
        return String.join(", ", all);
    }

    /** The fixed message of the JSON-RPC error a refused request gets: names the supported versions. */
    String refusalMessage() {
        return refusal;
    }

    /**
     * Answers 400 with a JSON-RPC error ({@code -32600}, {@link #refusalMessage()}) and logs the refusal at DEBUG,
     * as the filter's other client-caused refusals; {@code presented} is client text, logged escaped and bounded.
     */
    void refuse(HttpServletRequest request, HttpServletResponse response, String subject, String presented)
            throws IOException {
        log.debug("Refused MCP request with an unsupported protocol version: reason={} version={} method={} "
                        + "subject={} remote={}", "unsupported_protocol_version",
                ClientText.forLog(presented, MAX_LOG_CHARS), request.getMethod(), ClientText.forLog(subject),
                request.getRemoteAddr());
        JsonRpcErrors.refuse(response, HttpServletResponse.SC_BAD_REQUEST, JsonRpcErrors.INVALID_REQUEST, refusal);
    }
}
