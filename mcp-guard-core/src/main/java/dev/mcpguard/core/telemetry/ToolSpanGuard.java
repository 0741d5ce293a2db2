package dev.mcpguard.core.telemetry;

import static dev.mcpguard.core.telemetry.TelemetryAttributes.*;

import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The innermost step: runs a tool's handler inside an INTERNAL span {@code execute_tool {tool}}, the child of the
 * request span (the GenAI execute-tool span), so that a trace shows the guard's time apart from the tool's. The span
 * is current while the handler is called, so the handler's own instrumentation nests under it. Requests that are not
 * tool calls, and calls without a request span, pass untouched. Never decides. Thread-safe.
 */
final class ToolSpanGuard implements ToolGuard {

    private final GuardTelemetry telemetry;

    ToolSpanGuard(GuardTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        Optional<RequestSpan> request = call.attribute(RequestSpan.KEY);
        if (request.isEmpty() || request.get().tool() == null) {
            return chain.proceed(call);
        }
        Span span;
        try {
            span = telemetry.tracer.spanBuilder(EXECUTE_TOOL + " " + request.get().tool())
                    .setSpanKind(SpanKind.INTERNAL).setParent(request.get().context())
                    .setAttribute(GEN_AI_OPERATION_NAME, EXECUTE_TOOL)
                    .setAttribute(GEN_AI_TOOL_NAME, request.get().tool())
                    .setAttribute(GEN_AI_TOOL_CALL_ID, call.callId())
                    .startSpan();
        } catch (RuntimeException e) {
            telemetry.telemetryFailed("starting a tool span", e);
            return chain.proceed(call);
        }
        CompletionStage<ToolOutcome> stage;
        try (Scope ignored = request.get().context().with(span).makeCurrent()) {
            stage = chain.proceed(call);
        } catch (RuntimeException | Error e) {
            span.end();
            throw e;
        }
        return stage.whenComplete((outcome, error) -> {
            try {
                String errorType = outcome instanceof ToolOutcome.Failed failed
                        ? TelemetryNames.value(failed.cause().getClass().getName())
                        : outcome instanceof ToolOutcome.Completed completed && completed.toolError() ? "tool_error"
                        : outcome instanceof ToolOutcome.Denied denied ? denied.decision().reason().value()
                        : null;
                if (errorType != null) {
                    span.setAttribute(ERROR_TYPE, errorType);
                    span.setStatus(StatusCode.ERROR, errorType);
                }
                span.end();
            } catch (RuntimeException e) {
                telemetry.telemetryFailed("ending a tool span", e);
            }
        });
    }
}
