package dev.mcpguard.core.mcp;

import dev.mcpguard.core.obligations.ToolResultAccess;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The SDK's {@link CallToolResult} as the obligations step reads and rewrites it for redaction: its
 * {@code structuredContent}, and the text of each text content and text resource. Any other content (images,
 * audio, blob resources, resource links) makes the result unredactable. Stateless and thread-safe.
 */
final class CallToolResultAccess implements ToolResultAccess {

    static final CallToolResultAccess INSTANCE = new CallToolResultAccess();

    private CallToolResultAccess() {
    }

    @Override
    public Parts read(Object result) throws UnredactableResultException {
        if (!(result instanceof CallToolResult toolResult)) {
            throw new UnredactableResultException("the result is a " + result.getClass().getName()
                    + ", not a CallToolResult");
        }
        if (toolResult.content() == null) {
            return new Parts(toolResult.structuredContent(), null);
        }
        List<String> texts = new ArrayList<>(toolResult.content().size());
        for (McpSchema.Content item : toolResult.content()) {
            if (item instanceof McpSchema.TextContent text) {
                texts.add(text.text());
            } else if (item instanceof McpSchema.EmbeddedResource embedded
                    && embedded.resource() instanceof McpSchema.TextResourceContents resource) {
                texts.add(resource.text());
            } else {
                throw new UnredactableResultException("the result holds " + (item == null ? "null" : item.type())
                        + " content, which cannot be inspected for redaction");
            }
        }
        return new Parts(toolResult.structuredContent(), texts);
    }

    @Override
    public Object rewrite(Object result, Parts redacted) {
        CallToolResult toolResult = (CallToolResult) result;
        List<McpSchema.Content> content = null;
        if (toolResult.content() != null) {
            content = new ArrayList<>(toolResult.content().size());
            for (int i = 0; i < toolResult.content().size(); i++) {
                content.add(withText(toolResult.content().get(i), redacted.texts().get(i)));
            }
        }
        return new CallToolResult(content, toolResult.isError(), redacted.structuredContent(), toolResult.meta());
    }

    /** {@code item} (a text content or text resource, as {@link #read} accepted) with {@code text}. */
    private static McpSchema.Content withText(McpSchema.Content item, String text) {
        if (item instanceof McpSchema.TextContent content) {
            return Objects.equals(text, content.text()) ? content
                    : new McpSchema.TextContent(content.annotations(), text, content.meta());
        }
        McpSchema.EmbeddedResource embedded = (McpSchema.EmbeddedResource) item;
        McpSchema.TextResourceContents resource = (McpSchema.TextResourceContents) embedded.resource();
        return Objects.equals(text, resource.text()) ? embedded : new McpSchema.EmbeddedResource(embedded.annotations(),
                new McpSchema.TextResourceContents(resource.uri(), resource.mimeType(), text, resource.meta()),
                embedded.meta());
    }
}
