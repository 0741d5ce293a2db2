package dev.mcpguard.api;

/**
 * The well-known attributes the standard guards attach to a {@link ToolCall}, readable by later guards, the
 * audit step and, through the guard context, tool handlers.
 */
public final class GuardKeys {

    /** The policy's allow decision (its id and obligations), attached by the policy step. */
    public static final AttributeKey<Decision.Allow> POLICY_DECISION =
            AttributeKey.of("mcp-guard.policy-decision", Decision.Allow.class);

    private GuardKeys() {
    }
}
