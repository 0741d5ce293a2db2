package dev.mcpguard.api;

import java.util.Objects;

/**
 * What the server says about a tool: its name and the MCP behaviour hints, resolved with the MCP defaults
 * (a tool with no annotations is treated as not read-only, destructive and open-world, the cautious reading).
 *
 * <p>Hints are the server's own claims, not the client's; policy may rely on them. Immutable and thread-safe.
 *
 * @param name            the tool name, never blank
 * @param description     the tool description, empty when none
 * @param readOnlyHint    the tool does not modify its environment
 * @param destructiveHint the tool may perform destructive updates (meaningful when not read-only)
 * @param idempotentHint  calling again with the same arguments has no additional effect
 * @param openWorldHint   the tool interacts with external entities
 * @param definitionHash  the canonical hash of the whole definition as {@code tools/list} shows it
 *                        ({@code sha256:<hex>}, RFC 8785 JSON; see {@code docs/guardrails.md}), or {@code ""} when
 *                        not known (a descriptor made by hand, or the stand-in of a request that is not a tool call)
 */
public record ToolDescriptor(
        String name,
        String description,
        boolean readOnlyHint,
        boolean destructiveHint,
        boolean idempotentHint,
        boolean openWorldHint,
        String definitionHash) {

    public ToolDescriptor {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("tool name must not be blank");
        }
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(definitionHash, "definitionHash");
    }

    /** A descriptor whose definition hash is not known ({@code ""}). */
    public ToolDescriptor(String name, String description, boolean readOnlyHint, boolean destructiveHint,
                          boolean idempotentHint, boolean openWorldHint) {
        this(name, description, readOnlyHint, destructiveHint, idempotentHint, openWorldHint, "");
    }

    /** A tool with no annotations, read with the MCP defaults. */
    public static ToolDescriptor named(String name) {
        return new ToolDescriptor(name, "", false, true, false, true);
    }
}
