package dev.mcpguard.api;

/**
 * The well-known attributes the standard guards attach to a {@link ToolCall}, readable by later guards, the
 * audit step and, through the guard context, tool handlers.
 */
public final class GuardKeys {

    /** The policy's allow decision (its id and obligations), attached by the policy step. */
    public static final AttributeKey<Decision.Allow> POLICY_DECISION =
            AttributeKey.of("mcp-guard.policy-decision", Decision.Allow.class);

    /**
     * How long a denied caller should wait before retrying, attached by the throttle step to the call it denies;
     * the client receives it as {@code structuredContent.retry_after_seconds}.
     */
    public static final AttributeKey<java.time.Duration> RETRY_AFTER =
            AttributeKey.of("mcp-guard.retry-after", java.time.Duration.class);

    /**
     * The caller's own inbound bearer token, attached by a transport integration that enables RFC 8693 token
     * exchange. Only the credentials step reads it, as the subject token of an exchange; it is never forwarded
     * as is and never audited.
     */
    public static final AttributeKey<Secret> INBOUND_TOKEN = AttributeKey.of("mcp-guard.inbound-token", Secret.class);

    /**
     * Why no caller reached the chain, set by the transport integration when it can tell (for example: the MCP
     * transport runs no mcp-guard context extractor, so the caller the HTTP filter verified never reaches the
     * tools). The identity step denies with this message instead of the generic "not authenticated".
     */
    public static final AttributeKey<String> MISSING_CALLER_EXPLANATION =
            AttributeKey.of("mcp-guard.missing-caller-explanation", String.class);

    /**
     * What the guardrails found in the request's arguments, attached by the {@code guardrails} step when the
     * request was scanned; the policy step puts it into the policy input ({@code input.guardrails.arguments}).
     */
    public static final AttributeKey<ContentScan> ARGUMENT_FINDINGS =
            AttributeKey.of("mcp-guard.argument-findings", ContentScan.class);

    private GuardKeys() {
    }
}
