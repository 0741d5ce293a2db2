package dev.mcpguard.api.spi;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardrailFindings;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ToolDescriptor;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides whether a caller may call (or see) a tool with given arguments.
 *
 * <p>The same engine answers both questions, told apart by {@link Operation}: {@code tools/list} asks
 * {@link Operation#LIST} about each tool (arguments empty), {@code tools/call} asks {@link Operation#CALL}. One rule
 * can therefore serve both. {@code tools/list} asks {@link #visibleTools} once for the whole list; its default
 * asks {@link #decide} once per tool, so an engine that implements only {@link #decide} keeps working, and an
 * engine that can answer the list in one evaluation (the OPA engines, with an entrypoint such as
 * {@code mcp/authz/visible_tools}) overrides it.
 *
 * <p>Implementations must be thread-safe and fail closed: any error is a {@link Decision.Deny} with a reason
 * (for example {@code policy_error}), never an exception and never null. The chain also guards against engines
 * that break this rule.
 */
@FunctionalInterface
public interface PolicyEngine {

    /** Decides about {@code request}; never returns null. */
    Decision decide(PolicyRequest request);

    /**
     * The names of the tools of {@code request} the caller may see in {@code tools/list}: a tool is visible exactly
     * when {@link #decide} would allow it with {@link Operation#LIST}. The default asks {@link #decide} once per
     * tool, each with a decision id of its own (a time-ordered UUID, like every decision id, so that each tool's
     * decision can be told apart in the engine's logs and decision logs), and treats an exception or null as
     * hidden. An override must fail
     * closed too: on any error it returns the empty set (shows nothing), never throws; the guard shows only the
     * tools it offered, whatever names come back.
     *
     * @return the visible names; never null, possibly empty
     */
    default Set<String> visibleTools(ToolListRequest request) {
        Set<String> visible = new HashSet<>();
        for (ToolDescriptor tool : request.tools()) {
            Decision decision;
            try {
                decision = decide(new PolicyRequest(Operation.LIST, perToolDecisionId(request.time()),
                        request.caller(), request.server(), tool, Map.of(), request.sessionId(), request.time()));
            } catch (RuntimeException e) {
                decision = null;
            }
            if (decision != null && decision.allowed()) {
                visible.add(tool.name());
            }
        }
        return visible;
    }

    /** A UUIDv7 string at {@code time}'s millisecond: the shape of the guard's own decision ids. */
    private static String perToolDecisionId(Instant time) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (time.toEpochMilli() << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /**
     * Which question is asked. Resource, prompt and completion requests ({@link PolicyRequest#target()}) ask the
     * operations after {@link #LIST}; an engine written before them should deny what it does not recognise.
     */
    enum Operation {
        /** May the caller call this tool with these arguments? */
        CALL,
        /** May the caller see this tool (resource, template, prompt) in its listing? */
        LIST,
        /** May the caller read this resource ({@code resources/read})? */
        READ,
        /** May the caller subscribe to this resource's updates ({@code resources/subscribe})? */
        SUBSCRIBE,
        /** May the caller unsubscribe from this resource ({@code resources/unsubscribe})? */
        UNSUBSCRIBE,
        /** May the caller get this prompt with these arguments ({@code prompts/get})? */
        GET,
        /** May the caller complete this argument ({@code completion/complete})? */
        COMPLETE
    }

    /**
     * The facts a policy decides on.
     *
     * @param operation  the question; always {@code target.operation()}
     * @param decisionId the id the decision must carry (so the audit record and the engine's logs agree)
     * @param caller     the verified caller
     * @param server     the MCP server name
     * @param tool       the tool and its hints; for a target that is not a tool, the stand-in named after the
     *                   method (see {@link dev.mcpguard.api.ToolCall})
     * @param arguments  the call's, prompt's or completion's arguments (empty for {@link Operation#LIST} and
     *                   resources); untrusted client input
     * @param sessionId  the MCP session, when there is one
     * @param time       the request time, from the guard's clock
     * @param target     the method and the resource, prompt or completion asked about
     * @param guardrails what the guardrails found in the arguments (and, in the result-phase evaluation, in the
     *                   result); empty when no guardrail scanned this request
     */
    record PolicyRequest(
            Operation operation,
            String decisionId,
            CallerIdentity caller,
            String server,
            ToolDescriptor tool,
            Map<String, Object> arguments,
            Optional<String> sessionId,
            Instant time,
            McpTarget target,
            Optional<GuardrailFindings> guardrails) {

        public PolicyRequest {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(decisionId, "decisionId");
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(tool, "tool");
            arguments = arguments == null ? Map.of() : arguments;
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(guardrails, "guardrails");
            if (target.operation() != operation) {
                throw new IllegalArgumentException("operation " + operation + " does not fit method "
                        + target.method() + " (" + target.operation() + ")");
            }
        }

        /** A request no guardrail scanned. */
        public PolicyRequest(Operation operation, String decisionId, CallerIdentity caller, String server,
                             ToolDescriptor tool, Map<String, Object> arguments, Optional<String> sessionId,
                             Instant time, McpTarget target) {
            this(operation, decisionId, caller, server, tool, arguments, sessionId, time, target, Optional.empty());
        }

        /** This request with {@code findings} (and a new decision id and time, for the result phase). */
        public PolicyRequest withGuardrails(GuardrailFindings findings, String decisionId, Instant time) {
            return new PolicyRequest(operation, decisionId, caller, server, tool, arguments, sessionId, time, target,
                    Optional.of(findings));
        }

        /** A tool question: {@code tools/call} for {@link Operation#CALL}, {@code tools/list} for {@link Operation#LIST}. */
        public PolicyRequest(Operation operation, String decisionId, CallerIdentity caller, String server,
                             ToolDescriptor tool, Map<String, Object> arguments, Optional<String> sessionId,
                             Instant time) {
            this(operation, decisionId, caller, server, tool, arguments, sessionId, time,
                    operation == Operation.LIST ? McpTarget.TOOL_LIST : McpTarget.TOOL_CALL);
        }

        /** Names the request without argument values (client input can hold personal data or secrets). */
        @Override
        public String toString() {
            return "PolicyRequest[operation=" + operation + ", decisionId=" + decisionId + ", caller="
                    + caller.subject() + ", server=" + server + ", method=" + target.method() + ", tool=" + tool.name()
                    + ", argumentNames="
                    + new java.util.TreeSet<>(arguments.keySet()) + ", sessionId=" + sessionId.orElse("-")
                    + ", time=" + time + guardrails.map(g -> ", guardrails=" + (g.resultPhase() ? "result" : "arguments"))
                    .orElse("") + "]";
        }
    }

    /**
     * The facts a {@code tools/list} is decided on: those of a {@link PolicyRequest} with {@link Operation#LIST},
     * for a list of tools instead of one.
     *
     * @param decisionId the id of this list's decision
     * @param caller     the verified caller
     * @param server     the MCP server name
     * @param tools      the tools offered, in the server's order (copied; names are expected to be distinct)
     * @param sessionId  the MCP session, when there is one
     * @param time       the request time, from the guard's clock
     */
    record ToolListRequest(
            String decisionId,
            CallerIdentity caller,
            String server,
            List<ToolDescriptor> tools,
            Optional<String> sessionId,
            Instant time) {

        public ToolListRequest {
            Objects.requireNonNull(decisionId, "decisionId");
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(server, "server");
            tools = List.copyOf(tools);
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(time, "time");
        }

        /**
         * The per-tool question about {@code tool}, under this list's decision id (the shape of one tool's input;
         * the default {@link PolicyEngine#visibleTools} gives each tool's decision an id of its own instead).
         */
        public PolicyRequest about(ToolDescriptor tool) {
            return new PolicyRequest(Operation.LIST, decisionId, caller, server, tool, Map.of(), sessionId, time);
        }

        /** Names the request by its tools' names only. */
        @Override
        public String toString() {
            return "ToolListRequest[decisionId=" + decisionId + ", caller=" + caller.subject() + ", server=" + server
                    + ", tools=" + tools.size() + ", sessionId=" + sessionId.orElse("-") + ", time=" + time + "]";
        }
    }
}
