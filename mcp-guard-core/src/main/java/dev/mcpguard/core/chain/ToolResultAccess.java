package dev.mcpguard.core.chain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How the obligations step reads and rewrites a tool result, free of any SDK type: the result's structured
 * content and the texts of its content, as plain Java values. {@code dev.mcpguard.core.mcp} implements it for the
 * MCP SDK's {@code CallToolResult}; redaction itself works on {@link Parts} only.
 *
 * <p>Implementations must be stateless and thread-safe, and must not modify the result they read.
 */
public interface ToolResultAccess {

    /**
     * The parts of {@code result} redaction applies to.
     *
     * @throws UnredactableResultException when {@code result} is not a result this access knows, or holds content
     *                                     that cannot be inspected as text (images, audio, blobs, resource links)
     */
    Parts read(Object result) throws UnredactableResultException;

    /**
     * A copy of {@code result} (which {@link #read} accepted) with {@code redacted} in place of its parts; a
     * content item whose text is unchanged is kept as it was.
     */
    Object rewrite(Object result, Parts redacted);

    /**
     * Whether {@code result} is a kind of result that carries content for a reader (a tool result, a resource's
     * contents, a prompt's messages) rather than an acknowledgement or a completion's suggestions; guardrails
     * scan only those. The default says yes to everything, so an unknown kind is never skipped.
     */
    default boolean carriesContent(Object result) {
        return true;
    }

    /**
     * The JSON path, in the result as the client receives it, of the text at {@code index} of
     * {@link Parts#texts()}: {@code $.content[i].text} for a tool result; implementations name their own
     * ({@code $.contents[i].text} for a resource, {@code $.messages[i].content.text} for a prompt).
     */
    default String textPath(Object result, int index) {
        return "$.content[" + index + "].text";
    }

    /**
     * A copy of {@code result} (which {@link #read} accepted) that carries {@code notice} first, where the model
     * reads it before the content: a text content item ahead of a tool result's content, for example.
     *
     * @throws UnredactableResultException when this kind of result cannot carry a notice
     */
    default Object withNotice(Object result, String notice) throws UnredactableResultException {
        throw new UnredactableResultException("this result cannot carry a notice");
    }

    /**
     * The redactable parts of a tool result.
     *
     * @param structuredContent the result's structured content as the handler returned it (read, never modified),
     *                          or null when it has none
     * @param texts             the text of each content item, in order (a text content's text, a text resource's
     *                          text; an element may be null), or null when the result has no content list
     */
    record Parts(Object structuredContent, List<String> texts) {
        public Parts {
            texts = texts == null ? null : Collections.unmodifiableList(new ArrayList<>(texts));
        }
    }

    /** The result cannot be redacted safely; the message names the content type, never content. */
    final class UnredactableResultException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnredactableResultException(String message) {
            super(message);
        }
    }
}
