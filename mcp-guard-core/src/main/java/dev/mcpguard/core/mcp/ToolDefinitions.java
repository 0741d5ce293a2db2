package dev.mcpguard.core.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.core.guardrails.ToolAdmission;
import dev.mcpguard.core.guardrails.ToolDefinitionGate;
import dev.mcpguard.core.guardrails.ToolDefinitionHash;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Each tool's definition as a client sees it in {@code tools/list} (the SDK's {@code Tool} written as JSON by its
 * own Jackson annotations, read back as maps and lists), with its descriptor (hints and canonical definition hash)
 * and the gate's verdict, computed once per {@code Tool} instance: when the guard wraps the tool
 * ({@link #register}), or the first time a listing shows a tool the guard did not wrap ({@link #described}).
 * Kept weakly by identity, so a tool the server dropped is forgotten with it.
 *
 * <p>Thread-safe.
 */
final class ToolDefinitions {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    /** A tool as the chain and the listing filter need it. */
    record Described(ToolDescriptor descriptor, ToolAdmission admission) {
    }

    private final ToolDefinitionGate gate;
    private final ToolRegistrationAudit audit;
    private final Cache<McpSchema.Tool, Described> known = Caffeine.newBuilder()
            .weakKeys() // identity, and gone with the tool
            .executor(Runnable::run)
            .build();

    ToolDefinitions(ToolDefinitionGate gate, ToolRegistrationAudit audit) {
        this.gate = Objects.requireNonNull(gate, "gate");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /**
     * Registers {@code tool} (the guard wraps it): the gate decides and logs once, and a refusal or drift is
     * audited once, now.
     */
    Described register(McpSchema.Tool tool) {
        Objects.requireNonNull(tool, "tool");
        Described described = describe(tool, true);
        known.put(tool, described);
        audit.record(described.admission());
        return described;
    }

    /** Forgets tool {@code name} (the server removed it): its name is free, and it is checked anew if re-added. */
    void forget(String name) {
        gate.forget(name);
        known.asMap().keySet().removeIf(tool -> name.equals(tool.name()));
    }

    /** {@code tool} described, registered or not (a tool the guard did not wrap is checked, not registered). */
    Described described(McpSchema.Tool tool) {
        return known.get(tool, t -> describe(t, false));
    }

    private Described describe(McpSchema.Tool tool, boolean register) {
        Optional<Map<String, Object>> definition = definitionOf(tool);
        if (definition.isEmpty()) {
            // Fail closed: a definition the SDK cannot write is one no reviewer saw.
            ToolAdmission refused = new ToolAdmission(tool.name() == null ? "" : tool.name(), "",
                    Optional.of(ReasonCode.TOOL_DEFINITION_CHANGED), "This tool's definition could not be checked; "
                    + "it was refused when registered.", List.of(), List.of());
            return new Described(descriptor(tool, ""), refused);
        }
        ToolAdmission admission = register ? gate.admit(definition.get()) : gate.check(definition.get());
        return new Described(descriptor(tool, admission.hash()), admission);
    }

    /** The tool as {@code tools/list} shows it, as maps and lists; empty when it cannot be written as JSON. */
    static Optional<Map<String, Object>> definitionOf(McpSchema.Tool tool) {
        try {
            return Optional.of(JSON.convertValue(tool, MAP));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The canonical hash of {@code tool}'s definition, {@code ""} when it has none. */
    static String hashOf(McpSchema.Tool tool) {
        try {
            return definitionOf(tool).map(ToolDefinitionHash::of).orElse("");
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** The tool as policy sees it; absent annotations mean the MCP defaults (destructive, open-world). */
    static ToolDescriptor descriptor(McpSchema.Tool tool, String definitionHash) {
        McpSchema.ToolAnnotations hints = tool.annotations();
        return new ToolDescriptor(
                tool.name(),
                tool.description() == null ? "" : tool.description(),
                hints != null && Boolean.TRUE.equals(hints.readOnlyHint()),
                hints == null || hints.destructiveHint() == null || hints.destructiveHint(),
                hints != null && Boolean.TRUE.equals(hints.idempotentHint()),
                hints == null || hints.openWorldHint() == null || hints.openWorldHint(),
                definitionHash);
    }
}
