package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.core.internal.ClientText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, once per tool definition, whether a server's tool is admitted: when the guard wraps it (at start-up, and
 * when a tool is added at runtime). A definition is refused, in this order, when:
 * <ol>
 *   <li>pins are configured ({@link ToolPins}) and it is not pinned ({@code tool_not_pinned}) or its hash differs
 *       from its pin ({@code tool_definition_changed});</li>
 *   <li>the poisoning scan ({@link ToolPoisoningDetector}, over every string of the definition, schema
 *       descriptions included) finds something ({@code tool_definition_poisoned}); enforced by default when pins
 *       are configured, else it warns;</li>
 *   <li>it cannot be hashed (it holds a value JSON cannot; {@code tool_definition_changed}, fail closed).</li>
 * </ol>
 * A check configured to warn admits the tool and records the drift instead. Each refusal and each drift is logged
 * once, at WARN, with the server, the tool name (escaped), the reason and the hash; never the description, which
 * may be the attack.
 *
 * <p>The SDK adapter calls {@link #admit} with the tool as {@code tools/list} shows it (a JSON-like map), hides a
 * refused tool from listings, and attaches the verdict to each of its calls for {@link ToolDefinitionGuard}.
 *
 * <p>Thread-safe.
 */
public final class ToolDefinitionGate {

    private static final Logger log = LoggerFactory.getLogger(ToolDefinitionGate.class);

    static final String NOT_PINNED_MESSAGE = "This tool's definition is not pinned for this server; it was refused "
            + "when registered.";
    static final String CHANGED_MESSAGE = "This tool's definition differs from the one reviewed and pinned; it was "
            + "refused when registered.";
    static final String POISONED_MESSAGE = "This tool's definition holds signs of tool poisoning; it was refused "
            + "when registered.";
    static final String UNHASHABLE_MESSAGE = "This tool's definition could not be checked; it was refused when "
            + "registered.";

    private final String server;
    private final ToolPins pins;
    private final ToolPins.Mode poisoning;

    /**
     * A gate for {@code server}'s tools.
     *
     * @param pins      the pins to enforce or warn about; null when no pin file is configured
     * @param poisoning what a definition the poisoning scan flags gets
     */
    public ToolDefinitionGate(String server, ToolPins pins, ToolPins.Mode poisoning) {
        this.server = Objects.requireNonNull(server, "server");
        this.pins = pins;
        this.poisoning = Objects.requireNonNull(poisoning, "poisoning");
    }

    /**
     * The verdict about {@code definition} (a tool as {@code tools/list} shows it), logged when it is a refusal or
     * drift. Never throws for a bad definition: it is refused.
     */
    public ToolAdmission admit(Map<String, Object> definition) {
        ToolAdmission admission = check(definition);
        if (!admission.admitted()) {
            log.warn("mcp-guard for server '{}' refused tool '{}' ({}, definition {}): not listed, every call denied",
                    ClientText.forLog(server), ClientText.forLog(admission.tool()), admission.refusal().get(),
                    admission.hash());
        } else if (!admission.drift().isEmpty()) {
            log.warn("mcp-guard for server '{}' admitted tool '{}' with drift {} (definition {}): checks are set to warn",
                    ClientText.forLog(server), ClientText.forLog(admission.tool()), admission.drift(),
                    admission.hash());
        }
        return admission;
    }

    /** The verdict {@link #admit} gives, without logging it. */
    public ToolAdmission check(Map<String, Object> definition) {
        Objects.requireNonNull(definition, "definition");
        String name = definition.get("name") instanceof String text ? text : "";
        String hash;
        try {
            hash = ToolDefinitionHash.of(definition);
        } catch (IllegalArgumentException e) {
            return new ToolAdmission(name, "", Optional.of(ReasonCode.TOOL_DEFINITION_CHANGED), UNHASHABLE_MESSAGE,
                    List.of(), List.of());
        }
        List<ReasonCode> failed = new ArrayList<>();
        List<ReasonCode> drift = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        if (pins != null) {
            Optional<ToolPinFile.ToolPin> pin = pins.file().pin(server, name);
            if (pin.isEmpty() || !pin.get().hash().equals(hash)) {
                ReasonCode reason = pin.isEmpty() ? ReasonCode.TOOL_NOT_PINNED : ReasonCode.TOOL_DEFINITION_CHANGED;
                (pins.mode() == ToolPins.Mode.ENFORCE ? failed : drift).add(reason);
            }
        }
        findings.addAll(ToolPoisoningDetector.scanDefinition(definition));
        if (!findings.isEmpty()) {
            (poisoning == ToolPins.Mode.ENFORCE ? failed : drift).add(ReasonCode.TOOL_DEFINITION_POISONED);
        }
        if (failed.isEmpty()) {
            return new ToolAdmission(name, hash, Optional.empty(), "", drift, findings);
        }
        ReasonCode reason = failed.get(0);
        return new ToolAdmission(name, hash, Optional.of(reason), messageOf(reason), drift, findings);
    }

    private static String messageOf(ReasonCode reason) {
        if (reason.equals(ReasonCode.TOOL_NOT_PINNED)) {
            return NOT_PINNED_MESSAGE;
        }
        if (reason.equals(ReasonCode.TOOL_DEFINITION_POISONED)) {
            return POISONED_MESSAGE;
        }
        return CHANGED_MESSAGE;
    }

    @Override
    public String toString() {
        return "ToolDefinitionGate[server=" + server + ", pins=" + pins + ", poisoning=" + poisoning + "]";
    }
}
