package dev.mcpguard.core.telemetry;

import static dev.mcpguard.core.telemetry.TelemetryAttributes.*;

import dev.mcpguard.api.ReasonCode;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.Optional;

/**
 * A call to a tool the server does not have, as telemetry: a SERVER span {@code tools/call} (no target: the name is
 * the client's, so it is not in the span name), with the requested name sanitized and bounded in
 * {@code gen_ai.tool.name}, decision {@code deny}, reason and {@code error.type} {@code unknown_tool}; and the
 * decision counted with the tool {@code _OTHER}, so that a client inventing names cannot grow the metrics. The span
 * starts a trace of its own: the SDK answered before the request's trace context could be read. Thread-safe.
 */
final class UnknownToolSpans implements UnknownToolObserver {

    private static final String METHOD = "tools/call";
    private static final String REASON = ReasonCode.UNKNOWN_TOOL.value();

    private final GuardTelemetry telemetry;

    UnknownToolSpans(GuardTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public void unknownTool(Optional<String> sessionId, String requestedTool) {
        try {
            SpanBuilder builder = telemetry.tracer.spanBuilder(METHOD).setSpanKind(SpanKind.SERVER)
                    .setParent(Context.root())
                    .setAttribute(MCP_METHOD_NAME, METHOD)
                    .setAttribute(SERVER, telemetry.serverName)
                    .setAttribute(GEN_AI_OPERATION_NAME, EXECUTE_TOOL)
                    .setAttribute(GEN_AI_TOOL_NAME, TelemetryNames.name(requestedTool))
                    .setAttribute(DECISION, "deny").setAttribute(OUTCOME, "denied")
                    .setAttribute(TelemetryAttributes.REASON, REASON).setAttribute(ERROR_TYPE, REASON);
            sessionId.ifPresent(session -> builder.setAttribute(MCP_SESSION_ID, TelemetryNames.value(session)));
            Span span = builder.startSpan();
            span.setStatus(StatusCode.ERROR, REASON);
            span.end();
            telemetry.decisions.add(1, Attributes.builder().put(MCP_METHOD_NAME, METHOD)
                    .put(DECISION, "deny").put(OUTCOME, "denied").put(TelemetryAttributes.REASON, REASON)
                    .put(GEN_AI_TOOL_NAME, TelemetryNames.OTHER).build());
        } catch (RuntimeException e) {
            telemetry.telemetryFailed("recording an unknown tool", e);
        }
    }
}
