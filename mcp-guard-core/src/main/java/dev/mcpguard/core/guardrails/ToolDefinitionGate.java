package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.core.internal.ClientText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
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
 *   <li>it cannot be hashed (it holds a value JSON cannot; {@code tool_definition_changed}, fail closed);</li>
 *   <li>its name ({@code tool_name_conflict}, always enforced, see {@link ToolNames}) is restricted on its own
 *       (not plain ASCII and mixed-script, invisible characters, ...), conflicts with the name of a tool pinned for
 *       another server in the pin file (the pin file's order decides which of two pinned tools keeps its name),
 *       or conflicts with a name already registered in the {@link ToolNameRegistry} (this server's, or one shared
 *       by several guards of the process): the first registered keeps its name.</li>
 * </ol>
 * A tool refused for another reason does not take its name. A tool admitted keeps its name until
 * {@link #forget} frees it.
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
    static final String NAME_CONFLICT_MESSAGE = "This tool's name conflicts with the name of another tool; it was "
            + "refused when registered.";
    /** Longest name written into an audit detail. */
    private static final int MAX_DETAIL_NAME = 128;

    private final String server;
    private final ToolPins pins;
    private final ToolPins.Mode poisoning;
    private final ToolNameRegistry names;
    /** The pin file's names that keep their place, in its order; null without pins. */
    private final ToolNameRegistry pinnedNames;
    /** This server's pinned tools that lose their name to another server's in the pin file, by name. */
    private final Map<String, ToolPinFile.NameConflict> pinnedLosers = new HashMap<>();

    /**
     * A gate for {@code server}'s tools, with a name registry of its own (conflicts within this server).
     *
     * @param pins      the pins to enforce or warn about; null when no pin file is configured
     * @param poisoning what a definition the poisoning scan flags gets
     */
    public ToolDefinitionGate(String server, ToolPins pins, ToolPins.Mode poisoning) {
        this(server, pins, poisoning, ToolNameRegistry.create());
    }

    /**
     * A gate for {@code server}'s tools whose names are registered in {@code names}, which other guards may share.
     *
     * @param pins      the pins to enforce or warn about; null when no pin file is configured
     * @param poisoning what a definition the poisoning scan flags gets
     * @param names     where admitted names are registered
     */
    public ToolDefinitionGate(String server, ToolPins pins, ToolPins.Mode poisoning, ToolNameRegistry names) {
        this.server = Objects.requireNonNull(server, "server");
        this.pins = pins;
        this.poisoning = Objects.requireNonNull(poisoning, "poisoning");
        this.names = Objects.requireNonNull(names, "names");
        if (pins != null) {
            List<ToolPinFile.NameConflict> conflicts = new ArrayList<>();
            this.pinnedNames = pins.file().claimNames(conflicts);
            for (ToolPinFile.NameConflict conflict : conflicts) {
                if (conflict.server().equals(server) && !conflict.otherServer().isEmpty()
                        && !conflict.otherServer().equals(server)) {
                    pinnedLosers.put(conflict.tool(), conflict);
                }
            }
        } else {
            this.pinnedNames = null;
        }
    }

    /**
     * The verdict about {@code definition} (a tool as {@code tools/list} shows it), logged when it is a refusal or
     * drift. Never throws for a bad definition: it is refused.
     */
    public ToolAdmission admit(Map<String, Object> definition) {
        ToolAdmission admission = decide(definition, true);
        if (!admission.admitted()) {
            log.warn("mcp-guard for server '{}' refused tool '{}' ({}, definition {}{}): not listed, every call "
                            + "denied", ClientText.forLog(server), ClientText.forLog(admission.tool()),
                    admission.refusal().get(), admission.hash(), forLog(admission.details()));
        } else if (!admission.drift().isEmpty()) {
            log.warn("mcp-guard for server '{}' admitted tool '{}' with drift {} (definition {}): checks are set to warn",
                    ClientText.forLog(server), ClientText.forLog(admission.tool()), admission.drift(),
                    admission.hash());
        }
        return admission;
    }

    /**
     * The verdict {@link #admit} gives, without logging it and without registering the name (for a tool the guard
     * does not wrap).
     */
    public ToolAdmission check(Map<String, Object> definition) {
        return decide(definition, false);
    }

    /**
     * Forgets tool {@code name} of this server (the server removed it): its name is free again, and a tool added
     * later under it is checked as a new one.
     */
    public void forget(String name) {
        names.release(server, Objects.requireNonNull(name, "name"));
    }

    private ToolAdmission decide(Map<String, Object> definition, boolean register) {
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
        Map<String, String> details = new TreeMap<>();
        if (pins != null) {
            Optional<ToolPinFile.ToolPin> pin = pins.file().pin(server, name);
            if (pin.isEmpty() || !pin.get().hash().equals(hash)) {
                ReasonCode reason = pin.isEmpty() ? ReasonCode.TOOL_NOT_PINNED : ReasonCode.TOOL_DEFINITION_CHANGED;
                (pins.mode() == ToolPins.Mode.ENFORCE ? failed : drift).add(reason);
                pin.ifPresent(p -> describeChange(p, definition, details));
            }
        }
        findings.addAll(ToolPoisoningDetector.scanDefinition(definition));
        if (!findings.isEmpty()) {
            (poisoning == ToolPins.Mode.ENFORCE ? failed : drift).add(ReasonCode.TOOL_DEFINITION_POISONED);
        }
        if (failed.isEmpty()) {
            Optional<ToolNameRegistry.Conflict> conflict = nameConflict(name, hash, register);
            if (conflict.isPresent()) {
                describeConflict(conflict.get(), details);
                return new ToolAdmission(name, hash, Optional.of(ReasonCode.TOOL_NAME_CONFLICT),
                        NAME_CONFLICT_MESSAGE, drift, findings, details);
            }
            return new ToolAdmission(name, hash, Optional.empty(), "", drift, findings, details);
        }
        ReasonCode reason = failed.get(0);
        return new ToolAdmission(name, hash, Optional.of(reason), messageOf(reason), drift, findings, details);
    }

    /** Why {@code name} may not be registered, if so; registers it when {@code register} and it may. */
    private Optional<ToolNameRegistry.Conflict> nameConflict(String name, String hash, boolean register) {
        if (ToolNames.isRestricted(name)) {
            return Optional.of(new ToolNameRegistry.Conflict(ToolNames.Kind.RESTRICTED, null));
        }
        ToolPinFile.NameConflict lost = pinnedLosers.get(name);
        if (lost != null) {
            return Optional.of(new ToolNameRegistry.Conflict(ToolNames.Kind.valueOf(lost.kind()
                    .toUpperCase(java.util.Locale.ROOT)), new ToolNameRegistry.Entry(lost.otherServer(),
                    lost.otherTool(), "", ToolNames.keysOf(lost.otherTool()))));
        }
        if (pinnedNames != null) {
            Optional<ToolNameRegistry.Conflict> pinned = pinnedNames.checkOtherServers(server, name);
            if (pinned.isPresent()) {
                return pinned;
            }
        }
        return register ? names.claim(server, name, hash) : names.check(server, name, hash);
    }

    private static void describeChange(ToolPinFile.ToolPin pin, Map<String, Object> definition,
                                       Map<String, String> details) {
        details.put(AuditDetails.TOOL_DEFINITION_PINNED_HASH, pin.hash());
        Map<String, String> now = ToolPinFile.ToolPin.of(definition).fields();
        TreeSet<String> fields = new TreeSet<>(pin.fields().keySet());
        fields.addAll(now.keySet());
        fields.removeIf(f -> Objects.equals(pin.fields().get(f), now.get(f)));
        if (!fields.isEmpty()) {
            details.put(AuditDetails.TOOL_DEFINITION_CHANGED_FIELDS, bounded(String.join(",", fields),
                    AuditDetails.MAX_VALUE_LENGTH));
        }
    }

    private void describeConflict(ToolNameRegistry.Conflict conflict, Map<String, String> details) {
        details.put(AuditDetails.TOOL_NAME_CONFLICT, conflict.kind().value());
        if (conflict.with() != null) {
            details.put(AuditDetails.TOOL_NAME_CONFLICT_WITH, bounded(conflict.with().name(), MAX_DETAIL_NAME));
            details.put(AuditDetails.TOOL_NAME_CONFLICT_SERVER, bounded(conflict.with().server(), MAX_DETAIL_NAME));
        }
    }

    private static String bounded(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 4)) ? max - 4 : max - 3;
        return text.substring(0, end) + "...";
    }

    private static String forLog(Map<String, String> details) {
        if (details.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        details.forEach((key, value) -> out.append(", ").append(key).append('=')
                .append(ClientText.forLog(value, MAX_DETAIL_NAME)));
        return out.toString();
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
        return "ToolDefinitionGate[server=" + server + ", pins=" + pins + ", poisoning=" + poisoning + ", names="
                + names + "]";
    }
}
