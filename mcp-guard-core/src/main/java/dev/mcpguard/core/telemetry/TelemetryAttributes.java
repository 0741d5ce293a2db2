package dev.mcpguard.core.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attribute names this package emits: those of the OpenTelemetry semantic conventions for MCP and GenAI
 * (semantic-conventions commit 04f1672, {@code docs/gen-ai/mcp.md} and {@code gen-ai-spans.md}; status
 * Development) and mcp-guard's own, under {@code mcp_guard.}. {@code docs/telemetry.md} lists them. Constants only.
 */
final class TelemetryAttributes {

    static final AttributeKey<String> MCP_METHOD_NAME = AttributeKey.stringKey("mcp.method.name");
    static final AttributeKey<String> MCP_SESSION_ID = AttributeKey.stringKey("mcp.session.id");
    static final AttributeKey<String> MCP_PROTOCOL_VERSION = AttributeKey.stringKey("mcp.protocol.version");
    static final AttributeKey<String> JSONRPC_REQUEST_ID = AttributeKey.stringKey("jsonrpc.request.id");
    static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> GEN_AI_TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    static final AttributeKey<String> GEN_AI_TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
    static final AttributeKey<String> GEN_AI_PROMPT_NAME = AttributeKey.stringKey("gen_ai.prompt.name");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> ENDUSER_ID = AttributeKey.stringKey("enduser.id");

    static final AttributeKey<String> SERVER = AttributeKey.stringKey("mcp_guard.server");
    static final AttributeKey<String> CALL_ID = AttributeKey.stringKey("mcp_guard.call_id");
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("mcp_guard.decision");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("mcp_guard.outcome");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("mcp_guard.reason");
    static final AttributeKey<String> DECISION_ID = AttributeKey.stringKey("mcp_guard.decision_id");
    static final AttributeKey<String> RESOURCE_TEMPLATE = AttributeKey.stringKey("mcp_guard.resource.template");
    static final AttributeKey<String> TOOL = AttributeKey.stringKey("mcp_guard.tool");

    static final String STEP_EVENT = "mcp_guard.step";
    static final AttributeKey<String> STEP_NAME = AttributeKey.stringKey("mcp_guard.step.name");
    static final AttributeKey<String> STEP_OUTCOME = AttributeKey.stringKey("mcp_guard.step.outcome");
    static final AttributeKey<String> STEP_REASON = AttributeKey.stringKey("mcp_guard.step.reason");
    static final AttributeKey<Double> STEP_DURATION = AttributeKey.doubleKey("mcp_guard.step.duration");

    static final String EXECUTE_TOOL = "execute_tool";

    /** The metric names. */
    static final String DECISIONS_METRIC = "mcp_guard.decisions";
    static final String OPERATION_DURATION_METRIC = "mcp.server.operation.duration";
    static final String STEP_DURATION_METRIC = "mcp_guard.step.duration";

    /** The buckets the semantic conventions advise for {@code mcp.server.operation.duration}, in seconds. */
    static final List<Double> OPERATION_BUCKETS = List.of(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
            30.0, 60.0, 120.0, 300.0);
    /** Small buckets for one guard step (most take microseconds; a remote policy engine milliseconds), seconds. */
    static final List<Double> STEP_BUCKETS = List.of(0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25,
            0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0);

    /** The log record's event name for an audit record. */
    static final String AUDIT_EVENT = "mcp_guard.audit";

    private TelemetryAttributes() {
    }
}
