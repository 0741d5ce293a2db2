package dev.mcpguard.core.mcp;

import dev.mcpguard.core.chain.ToolResultAccess;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The SDK's results as the obligations step reads and rewrites them for redaction: a {@link CallToolResult}'s
 * {@code structuredContent} and the text of each text content and text resource; a {@code ReadResourceResult}'s
 * text contents (JSON text is redacted like structured content); a {@code GetPromptResult}'s message texts
 * (text content and embedded text resources). Any other content (images, audio, blob resources, resource links)
 * makes the result unredactable. Stateless and thread-safe.
 */
final class SdkResultAccess implements ToolResultAccess {

    static final SdkResultAccess INSTANCE = new SdkResultAccess();

    private SdkResultAccess() {
    }

    @Override
    public Parts read(Object result) throws UnredactableResultException {
        if (result instanceof McpSchema.ReadResourceResult read) {
            return new Parts(null, resourceTexts(read));
        }
        if (result instanceof McpSchema.GetPromptResult prompt) {
            return new Parts(null, promptTexts(prompt));
        }
        if (!(result instanceof CallToolResult toolResult)) {
            throw new UnredactableResultException("the result is a " + result.getClass().getName()
                    + ", not a result this guard can redact");
        }
        if (toolResult.content() == null) {
            return new Parts(toolResult.structuredContent(), null);
        }
        List<String> texts = new ArrayList<>(toolResult.content().size());
        for (McpSchema.Content item : toolResult.content()) {
            texts.add(textOf(item));
        }
        return new Parts(toolResult.structuredContent(), texts);
    }

    private static String textOf(McpSchema.Content item) throws UnredactableResultException {
        if (item instanceof McpSchema.TextContent text) {
            return text.text();
        }
        if (item instanceof McpSchema.EmbeddedResource embedded
                && embedded.resource() instanceof McpSchema.TextResourceContents resource) {
            return resource.text();
        }
        throw new UnredactableResultException("the result holds " + (item == null ? "null" : item.type())
                + " content, which cannot be inspected for redaction");
    }

    private static List<String> resourceTexts(McpSchema.ReadResourceResult read) throws UnredactableResultException {
        if (read.contents() == null) {
            return null;
        }
        List<String> texts = new ArrayList<>(read.contents().size());
        for (McpSchema.ResourceContents contents : read.contents()) {
            if (!(contents instanceof McpSchema.TextResourceContents text)) {
                throw new UnredactableResultException("the resource holds "
                        + (contents == null ? "null" : "blob") + " contents, which cannot be inspected for redaction");
            }
            texts.add(text.text());
        }
        return texts;
    }

    private static List<String> promptTexts(McpSchema.GetPromptResult prompt) throws UnredactableResultException {
        if (prompt.messages() == null) {
            return null;
        }
        List<String> texts = new ArrayList<>(prompt.messages().size());
        for (McpSchema.PromptMessage message : prompt.messages()) {
            if (message == null) {
                throw new UnredactableResultException("the prompt holds a null message");
            }
            texts.add(textOf(message.content()));
        }
        return texts;
    }

    @Override
    public Object rewrite(Object result, Parts redacted) {
        if (result instanceof McpSchema.ReadResourceResult read) {
            if (read.contents() == null) {
                return read;
            }
            List<McpSchema.ResourceContents> contents = new ArrayList<>(read.contents().size());
            for (int i = 0; i < read.contents().size(); i++) {
                McpSchema.TextResourceContents text = (McpSchema.TextResourceContents) read.contents().get(i);
                String now = redacted.texts().get(i);
                contents.add(Objects.equals(now, text.text()) ? text
                        : new McpSchema.TextResourceContents(text.uri(), text.mimeType(), now, text.meta()));
            }
            return new McpSchema.ReadResourceResult(contents, read.meta());
        }
        if (result instanceof McpSchema.GetPromptResult prompt) {
            if (prompt.messages() == null) {
                return prompt;
            }
            List<McpSchema.PromptMessage> messages = new ArrayList<>(prompt.messages().size());
            for (int i = 0; i < prompt.messages().size(); i++) {
                McpSchema.PromptMessage message = prompt.messages().get(i);
                McpSchema.Content content = withText(message.content(), redacted.texts().get(i));
                messages.add(content == message.content() ? message : new McpSchema.PromptMessage(message.role(), content));
            }
            return new McpSchema.GetPromptResult(prompt.description(), messages, prompt.meta());
        }
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

    @Override
    public boolean carriesContent(Object result) {
        return result instanceof CallToolResult || result instanceof McpSchema.ReadResourceResult
                || result instanceof McpSchema.GetPromptResult;
    }

    @Override
    public String textPath(Object result, int index) {
        if (result instanceof McpSchema.ReadResourceResult) {
            return "$.contents[" + index + "].text";
        }
        if (result instanceof McpSchema.GetPromptResult) {
            return "$.messages[" + index + "].content.text";
        }
        return "$.content[" + index + "].text";
    }

    @Override
    public Object withNotice(Object result, String notice) throws UnredactableResultException {
        if (result instanceof McpSchema.ReadResourceResult read) {
            List<McpSchema.ResourceContents> contents = new ArrayList<>();
            String uri = read.contents() == null || read.contents().isEmpty() ? "mcp-guard:notice"
                    : read.contents().get(0).uri();
            contents.add(new McpSchema.TextResourceContents(uri, "text/plain", notice));
            if (read.contents() != null) {
                contents.addAll(read.contents());
            }
            return new McpSchema.ReadResourceResult(contents, read.meta());
        }
        if (result instanceof McpSchema.GetPromptResult prompt) {
            List<McpSchema.PromptMessage> messages = new ArrayList<>();
            messages.add(new McpSchema.PromptMessage(McpSchema.Role.USER, new McpSchema.TextContent(notice)));
            if (prompt.messages() != null) {
                messages.addAll(prompt.messages());
            }
            return new McpSchema.GetPromptResult(prompt.description(), messages, prompt.meta());
        }
        if (result instanceof CallToolResult toolResult) {
            List<McpSchema.Content> content = new ArrayList<>();
            content.add(new McpSchema.TextContent(notice));
            if (toolResult.content() != null) {
                content.addAll(toolResult.content());
            }
            return new CallToolResult(content, toolResult.isError(), toolResult.structuredContent(), toolResult.meta());
        }
        throw new UnredactableResultException("a " + result.getClass().getName() + " cannot carry a notice");
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
