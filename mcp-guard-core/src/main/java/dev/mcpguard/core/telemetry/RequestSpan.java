package dev.mcpguard.core.telemetry;

import dev.mcpguard.api.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

/**
 * The request span of one call, attached to the call by the request step so that the steps inside it add their
 * events to it and the tool span becomes its child (the chain may change threads, so no thread-local carries it).
 *
 * @param span    the request's SERVER span
 * @param context the context holding {@code span}
 * @param tool    the tool name metrics use, or null when the request is not a tool call
 */
record RequestSpan(Span span, Context context, String tool) {

    static final AttributeKey<RequestSpan> KEY = AttributeKey.of("mcp-guard.request-span", RequestSpan.class);
}
