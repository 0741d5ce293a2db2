package dev.mcpguard.api.spi;

import dev.mcpguard.api.Finding;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * An external classifier of tool-call content (a Lakera-, LLM-Guard- or Prompt-Guard-style model behind HTTP, or
 * any other): the built-in guardrail detectors are rules, and a paraphrased or semantic prompt injection needs a
 * model. The guardrail step asks the classifier about the strings of a call's arguments or result and adds its
 * findings to those of the built-in detectors, so policy decides on them.
 *
 * <p>The guard never calls a classifier directly: a caller-side wrapper bounds every call. It sends at most a
 * configured number of characters (a request that had to be cut is marked incomplete), waits at most a time budget,
 * and treats an exception, a {@code null} stage, an exceptional completion or an answer that breaks this contract as
 * the classifier being unavailable, which then fails closed (a {@code guardrail.unavailable} finding) or open (no
 * finding, audited as unavailable) as configured. See {@code docs/guardrails.md}, "External classifier".
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>thread-safe: one instance serves all concurrent calls;</li>
 *   <li>{@link #classify} returns promptly and does its work asynchronously (the budget is enforced on the returned
 *       stage, so a blocking implementation holds the calling thread beyond it);</li>
 *   <li>never log, keep or forward the request's text beyond the classification itself, and never put it in an
 *       exception message: it is client input and tool output, which may hold personal data and secrets;</li>
 *   <li>findings name a kind and a rule in dotted lower snake case ({@code prompt_injection},
 *       {@code injection.semantic}) and a path that is one of the request's {@link Item#path()}s (or {@code "$"}
 *       for the request as a whole); the guard prefixes each rule id with {@code classifier.<name>.}.</li>
 * </ul>
 *
 * <pre>{@code
 * ContentClassifier keywords = new ContentClassifier() {
 *     public String name() { return "keywords"; }
 *     public CompletionStage<List<Finding>> classify(Request request) {
 *         return CompletableFuture.completedFuture(request.items().stream()
 *                 .filter(item -> item.text().contains("ignore previous"))
 *                 .map(item -> new Finding("prompt_injection", "override", item.path(), 0.6))
 *                 .toList());
 *     }
 * };
 * }</pre>
 */
public interface ContentClassifier {

    /**
     * The classifier's name, lower snake case ({@code prompt_guard}, at most 32 characters); it appears in rule ids
     * ({@code classifier.prompt_guard.unavailable}) and logs. Constant for the life of the instance.
     */
    String name();

    /**
     * Classifies the items of {@code request}. The stage completes with the findings (empty when there are none,
     * never null), or exceptionally when the classifier cannot answer.
     */
    CompletionStage<List<Finding>> classify(Request request);

    /**
     * What to classify: the strings of one call's arguments or result, with where they came from.
     *
     * @param direction {@link #ARGUMENTS} or {@link #RESULT}
     * @param server    the MCP server name
     * @param method    the MCP method ({@code tools/call}, {@code resources/read}, {@code prompts/get})
     * @param target    the tool name, resource URI or prompt name
     * @param items     the strings, in the order of the value they come from (copied)
     */
    record Request(String direction, String server, String method, String target, List<Item> items) {

        /** The direction of a request about a call's arguments. */
        public static final String ARGUMENTS = "arguments";
        /** The direction of a request about a call's result (tool result, resource contents, prompt messages). */
        public static final String RESULT = "result";

        public Request {
            Objects.requireNonNull(direction, "direction");
            if (!direction.equals(ARGUMENTS) && !direction.equals(RESULT)) {
                throw new IllegalArgumentException("direction must be 'arguments' or 'result', got '" + direction
                        + "'");
            }
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            items = List.copyOf(items);
        }

        /** Names the request and counts its items, without their text. */
        @Override
        public String toString() {
            return "ContentClassifier.Request[direction=" + direction + ", server=" + server + ", method=" + method
                    + ", target=" + target + ", items=" + items.size() + "]";
        }
    }

    /**
     * One string to classify.
     *
     * @param path where the string is, a JSON path as the built-in detectors report it ({@code $.arguments.note},
     *             {@code $.content[0].text})
     * @param text the string; untrusted
     */
    record Item(String path, String text) {

        public Item {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(text, "text");
        }

        /** Shows the path and the text's length, never the text. */
        @Override
        public String toString() {
            return "ContentClassifier.Item[path=" + path + ", length=" + text.length() + "]";
        }
    }
}
