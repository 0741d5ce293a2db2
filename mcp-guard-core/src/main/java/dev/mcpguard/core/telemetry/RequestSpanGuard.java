package dev.mcpguard.core.telemetry;

import static dev.mcpguard.core.telemetry.TelemetryAttributes.*;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The outermost step: starts a SERVER span for the request, the child of the client's span when the request
 * carried a W3C trace context ({@link RequestTraceContext}), ends it with the outcome, and records the decision
 * metrics. Never decides: the call proceeds whatever OpenTelemetry does. Thread-safe.
 */
final class RequestSpanGuard implements ToolGuard {

    private static final TextMapGetter<RequestTraceContext> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(RequestTraceContext carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(RequestTraceContext carrier, String key) {
            if (carrier == null) {
                return null;
            }
            return switch (key) {
                case "traceparent" -> carrier.traceparent();
                case "tracestate" -> carrier.tracestate();
                default -> null;
            };
        }
    };

    private final GuardTelemetry telemetry;

    RequestSpanGuard(GuardTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        long start = telemetry.nanoTime.getAsLong();
        RequestSpan request;
        try {
            request = start(call);
        } catch (RuntimeException e) {
            telemetry.telemetryFailed("starting a span", e);
            return chain.proceed(call);
        }
        telemetry.inFlight.put(call.callId(), request.context());
        CompletionStage<ToolOutcome> stage;
        try (Scope ignored = request.context().makeCurrent()) {
            stage = chain.proceed(call.withAttribute(RequestSpan.KEY, request));
        } catch (RuntimeException | Error e) {
            telemetry.inFlight.remove(call.callId());
            request.span().end();
            throw e;
        }
        return stage.whenComplete((outcome, error) -> {
            telemetry.inFlight.remove(call.callId());
            try {
                finish(call, request, outcome, start);
            } catch (RuntimeException e) {
                telemetry.telemetryFailed("ending a span", e);
            }
        });
    }

    private RequestSpan start(ToolCall call) {
        McpTarget target = call.target();
        String method = target.method();
        boolean tool = target.isTool();
        String toolName = tool ? TelemetryNames.name(call.toolName()) : null;
        String promptName = target.prompt() != null ? TelemetryNames.name(target.prompt().name()) : null;
        String spanTarget = toolName != null ? toolName : promptName;
        RequestTraceContext trace = RequestTraceContext.of(call).orElse(RequestTraceContext.NONE);
        // A malformed or absent traceparent yields the root context: a new trace, never an error.
        Context parent = trace.traceparent() == null ? Context.root()
                : telemetry.propagator.extract(Context.root(), trace, GETTER);
        SpanBuilder builder = telemetry.tracer.spanBuilder(spanTarget == null ? method : method + " " + spanTarget)
                .setSpanKind(SpanKind.SERVER).setParent(parent)
                .setAttribute(MCP_METHOD_NAME, method)
                .setAttribute(SERVER, telemetry.serverName)
                .setAttribute(CALL_ID, call.callId());
        call.sessionId().ifPresent(session -> builder.setAttribute(MCP_SESSION_ID, TelemetryNames.value(session)));
        if (trace.jsonRpcId() != null) {
            builder.setAttribute(JSONRPC_REQUEST_ID, trace.jsonRpcId());
        }
        if (trace.protocolVersion() != null) {
            builder.setAttribute(MCP_PROTOCOL_VERSION, trace.protocolVersion());
        }
        if (tool) {
            builder.setAttribute(GEN_AI_OPERATION_NAME, EXECUTE_TOOL)
                    .setAttribute(GEN_AI_TOOL_NAME, toolName)
                    .setAttribute(GEN_AI_TOOL_CALL_ID, call.callId());
        }
        if (promptName != null) {
            builder.setAttribute(GEN_AI_PROMPT_NAME, promptName);
        }
        if (target.resource() != null && target.resource().template() != null) {
            builder.setAttribute(RESOURCE_TEMPLATE, TelemetryNames.value(target.resource().template()));
        }
        if (telemetry.recordEndUserId) {
            call.caller().ifPresent(caller -> builder.setAttribute(ENDUSER_ID, TelemetryNames.value(caller.subject())));
        }
        Span span = builder.startSpan();
        return new RequestSpan(span, parent.with(span), toolName);
    }

    private void finish(ToolCall call, RequestSpan request, ToolOutcome outcome, long start) {
        double seconds = Math.max(0, telemetry.nanoTime.getAsLong() - start) / 1e9;
        Span span = request.span();
        Verdict verdict = Verdict.of(outcome);
        span.setAttribute(DECISION, verdict.decision());
        span.setAttribute(OUTCOME, verdict.outcome());
        if (verdict.reason() != null) {
            span.setAttribute(REASON, verdict.reason());
        }
        if (verdict.decisionId() != null) {
            span.setAttribute(DECISION_ID, verdict.decisionId());
        }
        if (verdict.errorType() != null) {
            span.setAttribute(ERROR_TYPE, verdict.errorType());
            span.setStatus(StatusCode.ERROR, verdict.reason() != null ? verdict.reason() : verdict.errorType());
        }
        span.end();

        String method = call.target().method();
        AttributesBuilder counted = Attributes.builder().put(MCP_METHOD_NAME, method)
                .put(DECISION, verdict.decision()).put(OUTCOME, verdict.outcome())
                .put(REASON, verdict.reason() != null ? verdict.reason() : "none");
        AttributesBuilder timed = Attributes.builder().put(MCP_METHOD_NAME, method);
        if (request.tool() != null) {
            counted.put(GEN_AI_TOOL_NAME, request.tool());
            timed.put(GEN_AI_TOOL_NAME, request.tool()).put(GEN_AI_OPERATION_NAME, EXECUTE_TOOL);
        }
        if (verdict.errorType() != null) {
            timed.put(ERROR_TYPE, verdict.errorType());
        }
        telemetry.decisions.add(1, counted.build());
        telemetry.operationDuration.record(seconds, timed.build());
    }

    /**
     * How a call ended, as the span and metrics say it (the audit record's vocabulary): decision {@code allow} or
     * {@code deny}, outcome {@code success}, {@code tool_error}, {@code denied} or {@code failed}.
     */
    record Verdict(String decision, String outcome, String reason, String decisionId, String errorType) {

        static Verdict of(ToolOutcome outcome) {
            if (outcome == null) {
                // The chain never completes so; still say something true.
                return new Verdict("deny", "failed", ReasonCode.GUARD_ERROR.value(), null, "_OTHER");
            }
            String allowId = outcome.call().attribute(GuardKeys.POLICY_DECISION).map(Decision.Allow::decisionId).orElse(null);
            if (outcome instanceof ToolOutcome.Denied denied) {
                String reason = denied.decision().reason().value();
                return new Verdict("deny", "denied", reason, denied.decision().decisionId(), reason);
            }
            if (outcome instanceof ToolOutcome.Failed failed) {
                String type = TelemetryNames.value(failed.cause().getClass().getName());
                return allowId != null ? new Verdict("allow", "failed", ReasonCode.HANDLER_ERROR.value(), allowId, type)
                        : new Verdict("deny", "failed", ReasonCode.GUARD_ERROR.value(), null, type);
            }
            ToolOutcome.Completed completed = (ToolOutcome.Completed) outcome;
            return completed.toolError() ? new Verdict("allow", "tool_error", null, allowId, "tool_error")
                    : new Verdict("allow", "success", null, allowId, null);
        }
    }
}
