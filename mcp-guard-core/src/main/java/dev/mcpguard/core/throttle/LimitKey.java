package dev.mcpguard.core.throttle;

/**
 * What a limit counts calls by. A limit keyed by several dimensions keeps one bucket per combination (for
 * example {@code CALLER + TOOL}: one bucket per caller per tool); a limit keyed by none keeps one bucket for the
 * whole server.
 */
public enum LimitKey {
    /** The caller: issuer and subject (the same person through two clients shares one bucket). */
    CALLER,
    /** The caller's tenant; callers without a tenant share one bucket. */
    TENANT,
    /** The tool's name. */
    TOOL,
    /** The MCP server's name; useful when several servers share one Redis. */
    SERVER
}
