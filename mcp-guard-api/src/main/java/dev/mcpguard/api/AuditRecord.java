package dev.mcpguard.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One audit event: a tool call, or a resource, prompt or completion request, that was allowed, denied or failed. Field names and meanings are versioned
 * ({@link #SCHEMA_VERSION}) and documented in {@code docs/audit.md}; sinks must write them as named there.
 *
 * <p>An audit record never holds a secret, a token or, unless the server owner configured it for a named field,
 * a raw argument value: {@code arguments} maps each top-level argument name to a keyed hash of its value.
 *
 * <p>Immutable and thread-safe. Components documented as nullable are null when the fact does not exist for this
 * call (for example no caller on an unauthenticated call); maps are never null.
 *
 * @param schemaVersion the schema version, {@link #SCHEMA_VERSION}
 * @param eventId       unique id of this event (the call id)
 * @param time          when the call reached the guard
 * @param decisionId    the decision that allowed or denied the call; nullable only if none was made
 * @param caller        who called; nullable when unauthenticated
 * @param sessionId     the MCP session; nullable on stateless transports
 * @param server        the MCP server name
 * @param tool          the tool name for {@code tools/*}; null for every other method (since version 2)
 * @param method        the JSON-RPC method, for example {@code tools/call} or {@code resources/read} (version 2)
 * @param target        the item requested (a resource URI, a prompt name, a completion reference); null for tools
 *                      and listings (version 2)
 * @param arguments     argument name to summary ({@code hmac-sha256:<hex>} or, where configured, the raw value)
 * @param decision      whether the call was allowed or denied (written {@code allow} or {@code deny})
 * @param reason        the reason code of a denial or failure; nullable on success
 * @param outcome       how the call ended
 * @param durationMicros time spent inside the guard chain and handler, in microseconds
 * @param errorType     the exception class name when the outcome is {@link Outcome#FAILED}; nullable otherwise
 * @param details       further facts attached by controls (for example {@code policy_revision},
 *                      {@code credential_id}); never secrets
 */
public record AuditRecord(
        int schemaVersion,
        String eventId,
        Instant time,
        String decisionId,
        Caller caller,
        String sessionId,
        String server,
        String tool,
        String method,
        String target,
        Map<String, String> arguments,
        Verdict decision,
        String reason,
        Outcome outcome,
        long durationMicros,
        String errorType,
        Map<String, String> details) {

    /**
     * The current schema version. Bumped on any incompatible change to field names or meanings. Version 2 added
     * {@code method} and {@code target} and made {@code tool} null for requests that are not about a tool.
     */
    public static final int SCHEMA_VERSION = 2;

    public AuditRecord {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(method, "method");
        if (tool == null && method.startsWith("tools/")) {
            throw new IllegalArgumentException("a tools/* record names its tool");
        }
        arguments = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(arguments, "arguments")));
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(outcome, "outcome");
        details = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(details, "details")));
    }

    /** A {@code tools/call} record (method {@code tools/call}, no target), as schema version 1 had them. */
    public AuditRecord(int schemaVersion, String eventId, Instant time, String decisionId, Caller caller,
                       String sessionId, String server, String tool, Map<String, String> arguments, Verdict decision,
                       String reason, Outcome outcome, long durationMicros, String errorType,
                       Map<String, String> details) {
        this(schemaVersion, eventId, time, decisionId, caller, sessionId, server, Objects.requireNonNull(tool, "tool"),
                "tools/call", null, arguments, decision, reason, outcome, durationMicros, errorType, details);
    }

    /**
     * Whether the guard allowed or denied the call. A failure after a policy allow is {@link #ALLOW} with outcome
     * {@link Outcome#FAILED}; a failure before one is {@link #DENY}. Written in lower case ({@code allow},
     * {@code deny}), as schema version 1 defines.
     */
    public enum Verdict {
        /** The guard let the call through to the handler. */
        ALLOW,
        /** A control denied the call, or the chain failed before a policy allow. */
        DENY;

        /** The name as written in an audit record: {@code allow} or {@code deny}. */
        public String wireName() {
            return this == ALLOW ? "allow" : "deny";
        }

        /** The verdict written as {@code wireName}; rejects anything else. */
        public static Verdict ofWireName(String wireName) {
            Objects.requireNonNull(wireName, "wireName");
            return switch (wireName) {
                case "allow" -> ALLOW;
                case "deny" -> DENY;
                default -> throw new IllegalArgumentException(
                        "audit decision must be 'allow' or 'deny', got a value of length " + wireName.length());
            };
        }
    }

    /** How a call ended. */
    public enum Outcome {
        /** The handler ran and returned a normal result. */
        SUCCESS,
        /** The handler ran and returned a tool error ({@code isError=true}). */
        TOOL_ERROR,
        /** A control denied the call; the handler did not run. */
        DENIED,
        /** The handler or a control threw; the client got a generic error. */
        FAILED
    }

    /**
     * The caller as audited.
     *
     * @param issuer       token issuer or {@code api-key}
     * @param subject      the principal
     * @param tenant       nullable
     * @param clientId     nullable
     * @param actorSubject the delegated actor; nullable
     * @param authMethod   how the caller authenticated
     */
    public record Caller(String issuer, String subject, String tenant, String clientId, String actorSubject,
                         String authMethod) {
        public Caller {
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(authMethod, "authMethod");
        }

        /** The audited view of {@code identity}. */
        public static Caller of(CallerIdentity identity) {
            return new Caller(identity.issuer(), identity.subject(), identity.tenant().orElse(null),
                    identity.clientId().orElse(null),
                    identity.actor().map(CallerIdentity.Actor::subject).orElse(null),
                    identity.method().name());
        }
    }
}
