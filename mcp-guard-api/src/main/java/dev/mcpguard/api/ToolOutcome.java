package dev.mcpguard.api;

import java.util.Objects;

/**
 * How a guarded tool call ended: the handler {@link Completed}, a control {@link Denied} it, or something
 * {@link Failed}. Each outcome carries the {@link ToolCall} as the innermost step saw it, with every fact the
 * guards attached on the way in, so outer guards (audit first of all) can read what happened inside.
 *
 * <p>Immutable and thread-safe (the result object is whatever the transport returned and is not copied).
 */
public sealed interface ToolOutcome permits ToolOutcome.Completed, ToolOutcome.Denied, ToolOutcome.Failed {

    /** The call as the innermost step that produced this outcome saw it. */
    ToolCall call();

    /**
     * The handler ran and returned a result.
     *
     * @param call      the call as passed to the handler
     * @param result    the transport's result object (for the MCP SDK, a {@code CallToolResult}); opaque here
     * @param toolError true when the handler reported a tool-level error ({@code isError=true})
     */
    record Completed(ToolCall call, Object result, boolean toolError) implements ToolOutcome {
        public Completed {
            Objects.requireNonNull(call, "call");
            Objects.requireNonNull(result, "result");
        }

        /** Names the result's type only: tool results can hold personal data or secrets. */
        @Override
        public String toString() {
            return "Completed[call=" + call + ", result=" + result.getClass().getSimpleName() + ", toolError="
                    + toolError + "]";
        }
    }

    /**
     * A control denied the call; the handler did not run.
     *
     * @param call     the call as the denying guard saw it
     * @param decision the denial, with its reason and decision id
     */
    record Denied(ToolCall call, Decision.Deny decision) implements ToolOutcome {
        public Denied {
            Objects.requireNonNull(call, "call");
            Objects.requireNonNull(decision, "decision");
        }
    }

    /**
     * The handler or a guard threw. The cause stays on the server: clients see a generic error with the call
     * id, the audit record sees the exception type only.
     *
     * @param call  the call as the failing step saw it
     * @param cause what was thrown
     */
    record Failed(ToolCall call, Throwable cause) implements ToolOutcome {
        public Failed {
            Objects.requireNonNull(call, "call");
            Objects.requireNonNull(cause, "cause");
        }
    }
}
