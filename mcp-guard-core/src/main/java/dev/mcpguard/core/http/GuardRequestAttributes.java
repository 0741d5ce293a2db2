package dev.mcpguard.core.http;

/**
 * Names under which the HTTP layer hands verified facts to the MCP layer. The HTTP filter sets them as servlet
 * request attributes (which a client cannot set), and the transport context extractor copies them into the
 * SDK's {@code McpTransportContext}, which reaches the tool handler on whichever thread runs it.
 */
public final class GuardRequestAttributes {

    /** The verified {@link dev.mcpguard.api.CallerIdentity} of the request. */
    public static final String CALLER = "dev.mcpguard.caller";

    /**
     * The caller's verified bearer token as a {@link dev.mcpguard.api.Secret}, present only when the filter was
     * built with {@code exposeInboundTokenForTokenExchange()}; the subject token of RFC 8693 token exchange.
     */
    public static final String INBOUND_TOKEN = "dev.mcpguard.inbound-token";

    /**
     * The JSON-RPC id of the request POSTed, as text (a string id as is, an integer in decimal), when the filter
     * read one of at most 128 characters: telemetry's {@code jsonrpc.request.id}. Client input, never used to
     * decide.
     */
    public static final String JSONRPC_REQUEST_ID = "dev.mcpguard.jsonrpc-request-id";

    private GuardRequestAttributes() {
    }
}
