package dev.mcpguard.api;

import dev.mcpguard.api.spi.PolicyEngine.Operation;
import java.util.Map;
import java.util.Objects;

/**
 * What a guarded MCP request is about: its JSON-RPC method and, for a resource, prompt or completion request, the
 * item it names. A tool call carries {@link #TOOL_CALL} (its tool is {@link ToolCall#tool()}); the other methods
 * the guard decides are {@code resources/list}, {@code resources/templates/list}, {@code resources/read},
 * {@code resources/subscribe}, {@code resources/unsubscribe}, {@code prompts/list}, {@code prompts/get} and
 * {@code completion/complete}. Listings are decided per listed item: the item is the target of each such question.
 *
 * <pre>{@code
 * McpTarget read = McpTarget.resource("resources/read",
 *         new McpTarget.Resource("orders://acme/1001", "orders://{tenant}/{order_id}", null, "application/json"));
 * read.operation();   // Operation.READ
 * }</pre>
 *
 * <p>Immutable and thread-safe. Exactly the component that fits the method is non-null: {@code resource} for
 * {@code resources/*} (null for the listing request itself), {@code prompt} for {@code prompts/get} and a listed
 * prompt, {@code completion} for {@code completion/complete}. URIs, prompt names and completion references come from
 * the client and are untrusted; {@link #toString()} shows the method only.
 *
 * @param method     the JSON-RPC method, one of those above
 * @param resource   the resource requested or listed, or null
 * @param prompt     the prompt requested or listed, or null
 * @param completion the completion reference, or null
 */
public record McpTarget(String method, Resource resource, Prompt prompt, Completion completion) {

    /** Every method the guard decides, with the operation policy is asked. */
    private static final Map<String, Operation> OPERATIONS = Map.of(
            "tools/call", Operation.CALL,
            "tools/list", Operation.LIST,
            "resources/list", Operation.LIST,
            "resources/templates/list", Operation.LIST,
            "resources/read", Operation.READ,
            "resources/subscribe", Operation.SUBSCRIBE,
            "resources/unsubscribe", Operation.UNSUBSCRIBE,
            "prompts/list", Operation.LIST,
            "prompts/get", Operation.GET,
            "completion/complete", Operation.COMPLETE);

    /** A {@code tools/call}: the tool is the call's {@link ToolCall#tool()}. */
    public static final McpTarget TOOL_CALL = new McpTarget("tools/call", null, null, null);
    /** A tool asked about for {@code tools/list}. */
    public static final McpTarget TOOL_LIST = new McpTarget("tools/list", null, null, null);

    public McpTarget {
        Objects.requireNonNull(method, "method");
        if (!OPERATIONS.containsKey(method)) {
            throw new IllegalArgumentException("not a method the guard decides: a method of length " + method.length());
        }
        if (resource != null && !method.startsWith("resources/")) {
            throw new IllegalArgumentException("a resource target needs a resources/* method, got " + method);
        }
        if (prompt != null && !method.startsWith("prompts/")) {
            throw new IllegalArgumentException("a prompt target needs a prompts/* method, got " + method);
        }
        if (completion != null && !method.equals("completion/complete")) {
            throw new IllegalArgumentException("a completion target needs completion/complete, got " + method);
        }
    }

    /** A {@code resources/*} target. */
    public static McpTarget resource(String method, Resource resource) {
        return new McpTarget(method, resource, null, null);
    }

    /** A {@code prompts/*} target. */
    public static McpTarget prompt(String method, Prompt prompt) {
        return new McpTarget(method, null, prompt, null);
    }

    /** A {@code completion/complete} target. */
    public static McpTarget completion(Completion completion) {
        return new McpTarget("completion/complete", null, null, Objects.requireNonNull(completion, "completion"));
    }

    /** The operation policy is asked about this target. */
    public Operation operation() {
        return OPERATIONS.get(method);
    }

    /** Whether this is a {@code tools/*} target, whose tool is the call's {@link ToolCall#tool()}. */
    public boolean isTool() {
        return method.startsWith("tools/");
    }

    /** Whether the method lists items ({@code resources/list}, {@code resources/templates/list}, {@code prompts/list}...). */
    public boolean isListing() {
        return operation() == Operation.LIST;
    }

    /**
     * The item as the audit record names it: a resource's URI (or, for a listed template, its URI template), a
     * prompt's name, a completion's reference; null for tools and for a listing request itself.
     */
    public String itemName() {
        if (resource != null) {
            return resource.uri() != null ? resource.uri() : resource.template();
        }
        if (prompt != null) {
            return prompt.name();
        }
        return completion != null ? completion.ref() : null;
    }

    /** Names the method only: the item comes from the client and can hold identifiers. */
    @Override
    public String toString() {
        return "McpTarget[method=" + method + "]";
    }

    /**
     * A resource as policy sees it. Every component may be null.
     *
     * @param uri      the requested URI (untrusted) or a listed resource's URI; null for a listed template
     * @param template the URI template of the server's template that matches the URI, or a listed template's
     * @param name     the name of the matched static resource or template
     * @param mimeType the MIME type of the matched static resource or template
     */
    public record Resource(String uri, String template, String name, String mimeType) {
        @Override
        public String toString() {
            return "Resource[...]";
        }
    }

    /**
     * A prompt as policy sees it.
     *
     * @param name the prompt's name (untrusted when requested by the client)
     */
    public record Prompt(String name) {
        public Prompt {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return "Prompt[...]";
        }
    }

    /**
     * A {@code completion/complete} reference as policy sees it.
     *
     * @param refType  {@code ref/prompt} or {@code ref/resource}
     * @param ref      the prompt name or resource URI (template) referred to
     * @param argument the name of the argument being completed
     */
    public record Completion(String refType, String ref, String argument) {
        public Completion {
            Objects.requireNonNull(refType, "refType");
            if (!refType.equals("ref/prompt") && !refType.equals("ref/resource")) {
                throw new IllegalArgumentException("refType must be ref/prompt or ref/resource");
            }
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(argument, "argument");
        }

        @Override
        public String toString() {
            return "Completion[refType=" + refType + "]";
        }
    }
}
