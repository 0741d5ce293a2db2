package dev.mcpguard.api;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One request the guard chain decides, as it sees it: which server and tool, with which arguments, in which
 * session, by whom, plus the facts earlier guards attached (see {@link AttributeKey}). Most are tool calls
 * ({@code target} {@link McpTarget#TOOL_CALL}); resource, prompt and completion requests pass the same chain with
 * their {@link #target()} naming the method and item, their {@code arguments} those of the prompt or completion
 * ({@code {}} for resources), and {@code tool} a stand-in named after the method (for example
 * {@code resources/read}, a name MCP tool names cannot have, with the cautious MCP defaults), so that guards written
 * for tools keep working on them; a guard that cares reads {@link #target()}.
 *
 * <p>Immutable and thread-safe: guards that learn something pass a copy down the chain with
 * {@link #withAttribute(AttributeKey, Object)}; nothing is shared through thread-locals. {@code arguments} is an
 * unmodifiable view of the client's JSON arguments (strings, numbers, booleans, lists, maps, and nulls inside
 * them); treat it as untrusted input.
 *
 * @param callId     unique id of this call; the audit record's event id
 * @param server     the name of the MCP server the tool belongs to
 * @param tool       the tool being called
 * @param arguments  the call's arguments, empty when none
 * @param sessionId  the MCP session id, absent on stateless transports
 * @param caller     the authenticated caller, absent when the transport authenticated no one
 * @param receivedAt when the call reached the chain
 * @param target     the method and item the request is about; {@link McpTarget#TOOL_CALL} for a tool call
 */
public record ToolCall(
        String callId,
        String server,
        ToolDescriptor tool,
        Map<String, Object> arguments,
        Optional<String> sessionId,
        Optional<CallerIdentity> caller,
        Instant receivedAt,
        Attributes attributes,
        McpTarget target) {

    public ToolCall {
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(tool, "tool");
        // Copied once, when the call is created; copies made by withAttribute share the frozen map.
        arguments = arguments instanceof FrozenArguments ? arguments
                : new FrozenArguments(arguments == null ? Map.of() : arguments);
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(attributes, "attributes");
        Objects.requireNonNull(target, "target");
    }

    /** A tool call ({@link McpTarget#TOOL_CALL}). */
    public ToolCall(String callId, String server, ToolDescriptor tool, Map<String, Object> arguments,
                    Optional<String> sessionId, Optional<CallerIdentity> caller, Instant receivedAt,
                    Attributes attributes) {
        this(callId, server, tool, arguments, sessionId, caller, receivedAt, attributes, McpTarget.TOOL_CALL);
    }

    /**
     * A request about {@code target} that is not a tool call, with the stand-in tool named after its method.
     *
     * @param arguments a prompt's or completion's arguments; empty for resources
     */
    public static ToolCall of(McpTarget target, String callId, String server, Map<String, Object> arguments,
                              Optional<String> sessionId, Optional<CallerIdentity> caller, Instant receivedAt) {
        Objects.requireNonNull(target, "target");
        return new ToolCall(callId, server, ToolDescriptor.named(target.method()), arguments, sessionId, caller,
                receivedAt, Attributes.EMPTY, target);
    }

    /** The tool's name; shorthand for {@code tool().name()}. */
    public String toolName() {
        return tool.name();
    }

    /** The value attached under {@code key}, if any. */
    public <T> Optional<T> attribute(AttributeKey<T> key) {
        return attributes.get(key);
    }

    /** A copy of this call with {@code value} attached under {@code key} (replacing an earlier value). */
    public <T> ToolCall withAttribute(AttributeKey<T> key, T value) {
        return new ToolCall(callId, server, tool, arguments, sessionId, caller, receivedAt,
                attributes.with(key, value), target);
    }

    /** A copy of this call with a different caller (used by identity resolution for non-HTTP transports). */
    public ToolCall withCaller(CallerIdentity identity) {
        return new ToolCall(callId, server, tool, arguments, sessionId,
                Optional.of(Objects.requireNonNull(identity, "identity")), receivedAt, attributes, target);
    }

    /** Names the call without argument values (client input can hold personal data or secrets). */
    @Override
    public String toString() {
        return "ToolCall[callId=" + callId + ", server=" + server
                + (target == McpTarget.TOOL_CALL ? ", tool=" + tool.name() : ", method=" + target.method())
                + ", argumentNames=" + new java.util.TreeSet<>(arguments.keySet()) + ", sessionId="
                + sessionId.orElse("-") + ", caller=" + caller.map(CallerIdentity::subject).orElse("-")
                + ", receivedAt=" + receivedAt + ", " + attributes + "]";
    }

    /** A read-only copy of the client's arguments, in their order; every mutator throws. */
    private static final class FrozenArguments extends AbstractMap<String, Object> {
        private final Map<String, Object> values;

        FrozenArguments(Map<String, Object> source) {
            this.values = Collections.unmodifiableMap(new LinkedHashMap<>(source));
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return values.entrySet();
        }

        @Override
        public Object get(Object key) {
            return values.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return values.containsKey(key);
        }

        @Override
        public int size() {
            return values.size();
        }
    }

    /** An immutable, typed attribute map; keys compare by identity. Thread-safe. */
    public static final class Attributes {
        /** No attributes. */
        public static final Attributes EMPTY = new Attributes(Map.of());

        private final Map<AttributeKey<?>, Object> values;

        private Attributes(Map<AttributeKey<?>, Object> values) {
            this.values = values;
        }

        /** The value under {@code key}, if any. */
        public <T> Optional<T> get(AttributeKey<T> key) {
            return Optional.ofNullable(key.cast(values.get(key)));
        }

        /** A copy with {@code value} under {@code key}. */
        public <T> Attributes with(AttributeKey<T> key, T value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            Map<AttributeKey<?>, Object> copy = new HashMap<>(values);
            copy.put(key, value);
            return new Attributes(Collections.unmodifiableMap(copy));
        }

        @Override
        public String toString() {
            StringBuilder names = new StringBuilder("Attributes[");
            values.keySet().forEach(k -> names.append(k.name()).append(' '));
            return names.append(']').toString();
        }
    }
}
