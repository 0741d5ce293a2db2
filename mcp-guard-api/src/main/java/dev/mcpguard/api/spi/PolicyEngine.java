package dev.mcpguard.api.spi;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a caller may call (or see) a tool with given arguments.
 *
 * <p>The same engine answers both questions, told apart by {@link Operation}: {@code tools/list} asks
 * {@link Operation#LIST} for each tool (arguments empty), {@code tools/call} asks {@link Operation#CALL}. One rule
 * can therefore serve both.
 *
 * <p>Implementations must be thread-safe and fail closed: any error is a {@link Decision.Deny} with a reason
 * (for example {@code policy_error}), never an exception and never null. The chain also guards against engines
 * that break this rule.
 */
@FunctionalInterface
public interface PolicyEngine {

    /** Decides about {@code request}; never returns null. */
    Decision decide(PolicyRequest request);

    /** Which question is asked. */
    enum Operation {
        /** May the caller call this tool with these arguments? */
        CALL,
        /** May the caller see this tool in {@code tools/list}? */
        LIST
    }

    /**
     * The facts a policy decides on.
     *
     * @param operation  call or list
     * @param decisionId the id the decision must carry (so the audit record and the engine's logs agree)
     * @param caller     the verified caller
     * @param server     the MCP server name
     * @param tool       the tool and its hints
     * @param arguments  the call's arguments (empty for {@link Operation#LIST}); untrusted client input
     * @param sessionId  the MCP session, when there is one
     * @param time       the request time, from the guard's clock
     */
    record PolicyRequest(
            Operation operation,
            String decisionId,
            CallerIdentity caller,
            String server,
            ToolDescriptor tool,
            Map<String, Object> arguments,
            Optional<String> sessionId,
            Instant time) {

        public PolicyRequest {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(decisionId, "decisionId");
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(tool, "tool");
            arguments = arguments == null ? Map.of() : arguments;
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(time, "time");
        }

        /** Names the request without argument values (client input can hold personal data or secrets). */
        @Override
        public String toString() {
            return "PolicyRequest[operation=" + operation + ", decisionId=" + decisionId + ", caller="
                    + caller.subject() + ", server=" + server + ", tool=" + tool.name() + ", argumentNames="
                    + new java.util.TreeSet<>(arguments.keySet()) + ", sessionId=" + sessionId.orElse("-")
                    + ", time=" + time + "]";
        }
    }
}
