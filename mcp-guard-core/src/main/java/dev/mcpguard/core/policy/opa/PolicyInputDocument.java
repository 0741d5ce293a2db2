package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ContentScan;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.GuardrailFindings;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.internal.ClientText;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * Builds the OPA {@code input} document for a {@link PolicyRequest}: version 2 of the contract documented in
 * {@code docs/policy.md} (version 1 with {@code method}, {@code resource}, {@code prompt} and {@code completion}
 * added, {@code tool} null for requests that are not about a tool). Embedded and remote engines use this one class, so a policy sees the same input
 * whichever engine evaluates it.
 *
 * <pre>{@code
 * {
 *   "version": 2,
 *   "method": "tools/call",                    // or tools/list, resources/read, prompts/get, ...
 *   "operation": "call",                       // or list, read, subscribe, unsubscribe, get, complete
 *   "decision_id": "019a...",
 *   "time": "2026-11-22T10:00:00Z", "time_ns": 1795...,
 *   "server": "orders",
 *   "environment": {"name": "prod"},
 *   "caller": {"issuer": "...", "subject": "alice", "tenant": "acme", "client_id": "agent",
 *              "scopes": ["orders.read"], "roles": ["support"], "actor": {"subject": "...", "client_id": null},
 *              "auth_method": "bearer_jwt", "token_type": "at+jwt"},   // token_type null unless a JWT
 *   "tool": {"name": "refund_order", "description_sha256": "...", "read_only": false,
 *            "destructive": false, "idempotent": false, "open_world": true,
 *            "definition_hash": "sha256:..."},   // null unless tools/*; the hash null when not known
 *   "resource": null,                          // resources/*: {"uri", "template", "name", "mime_type"}
 *   "prompt": null,                            // prompts/*: {"name"}
 *   "completion": null,                        // completion/complete: {"ref_type", "ref", "argument"}
 *   "arguments": {"order_id": "A-1", "amount": 120},
 *   "session": {"id": "..."}                   // id null on stateless transports
 * }
 * }</pre>
 *
 * <p>Strings are decoded as OPA decodes JSON: a lone UTF-16 surrogate becomes U+FFFD ({@link LoneSurrogates}).
 * Scopes and roles are sorted, so equal requests produce equal documents (the decision cache keys on them).
 * Thread-safe; immutable but for a memo of the last tool description's digest.
 */
final class PolicyInputDocument {

    /** Version of the input contract; bumped on any incompatible change. */
    public static final int VERSION = 2;
    /** Default bound on one serialised input document, in bytes: 1 MiB. */
    public static final int DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;
    /** Smallest and largest accepted {@code maxInputBytes}. */
    static final int MIN_MAX_INPUT_BYTES = 1024;
    static final int MAX_MAX_INPUT_BYTES = 64 * 1024 * 1024;
    static final String INVALID_ARGUMENTS_MESSAGE = "The call's arguments hold a number JSON cannot represent; "
            + "the call is denied.";
    static final String INPUT_INVALID_MESSAGE = "The call's input holds a value the policy cannot evaluate; "
            + "the call is denied.";
    static final String INPUT_TOO_LARGE_MESSAGE = "The call's arguments are too large to be checked by the policy; "
            + "the call is denied.";

    /** Stands in for {@code tool} while the list document is built; replaced by null. */
    private static final ToolDescriptor LIST_PLACEHOLDER = ToolDescriptor.named("tools_list");

    private final ObjectMapper mapper;
    private final Map<String, Object> environment;
    /** The last tool description digested and its digest: a server's calls mostly go to a few tools. */
    private volatile DescriptionDigest lastDigest = new DescriptionDigest("", sha256(""));

    private record DescriptionDigest(String description, String sha256) {
    }

    /**
     * @param mapper      the JSON mapper
     * @param environment deployment facts every input carries under {@code environment} (for example
     *                    {@code {"name": "prod"}}); JSON-like values
     */
    PolicyInputDocument(ObjectMapper mapper, Map<String, Object> environment) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    }

    /** The input document for {@code request}. */
    ObjectNode build(PolicyRequest request) {
        ObjectNode input = mapper.createObjectNode();
        McpTarget target = request.target();
        input.put("version", VERSION);
        input.put("method", target.method());
        input.put("operation", request.operation().name().toLowerCase(java.util.Locale.ROOT));
        input.put("decision_id", request.decisionId());
        input.put("time", request.time().toString());
        input.put("time_ns", request.time().getEpochSecond() * 1_000_000_000L + request.time().getNano());
        input.put("server", request.server());
        input.set("environment", mapper.valueToTree(environment));
        input.set("caller", caller(request.caller()));
        if (target.isTool()) {
            input.set("tool", tool(request.tool()));
        } else {
            input.putNull("tool");
        }
        input.set("resource", resource(target.resource()));
        input.set("prompt", prompt(target.prompt()));
        input.set("completion", completion(target.completion()));
        input.set("arguments", mapper.valueToTree(request.arguments()));
        ObjectNode session = input.putObject("session");
        if (request.sessionId().isPresent()) {
            session.put("id", request.sessionId().get());
        } else {
            session.putNull("id");
        }
        if (request.guardrails().isPresent()) {
            GuardrailFindings guardrails = request.guardrails().get();
            ObjectNode node = input.putObject("guardrails");
            node.set("arguments", scan(guardrails.arguments()));
            if (guardrails.result().isPresent()) {
                node.set("result", scan(guardrails.result().get()));
                input.put("phase", "result");
            }
        }
        // OPA decodes a lone UTF-16 surrogate as U+FFFD; so do we, for both engines alike.
        LoneSurrogates.replaceIn(input);
        return input;
    }

    /** {@code {"findings": [{"kind", "rule_id", "path", "confidence"}...], "complete": bool}}. */
    private ObjectNode scan(ContentScan scan) {
        ObjectNode node = mapper.createObjectNode();
        ArrayNode findings = node.putArray("findings");
        for (Finding finding : scan.findings()) {
            findings.addObject().put("kind", finding.kind()).put("rule_id", finding.ruleId())
                    .put("path", finding.path()).put("confidence", finding.confidence());
        }
        node.put("complete", scan.complete());
        return node;
    }

    /**
     * The input document of a {@code tools/list} asked in one evaluation: the per-tool document of a list
     * ({@code operation "list"}, {@code arguments {}}) with {@code tool} null and the offered tools, each shaped
     * like {@code tool}, in {@code tools}.
     */
    ObjectNode buildList(ToolListRequest request) {
        ObjectNode input = build(request.about(LIST_PLACEHOLDER));
        input.putNull("tool");
        ArrayNode tools = input.putArray("tools");
        for (ToolDescriptor tool : request.tools()) {
            tools.add(tool(tool));
        }
        LoneSurrogates.replaceIn(tools);
        return input;
    }

    private ObjectNode caller(CallerIdentity caller) {
        ObjectNode node = mapper.createObjectNode();
        node.put("issuer", caller.issuer());
        node.put("subject", caller.subject());
        putOptional(node, "tenant", caller.tenant().orElse(null));
        putOptional(node, "client_id", caller.clientId().orElse(null));
        ArrayNode scopes = node.putArray("scopes");
        new TreeSet<>(caller.scopes()).forEach(scopes::add);
        ArrayNode roles = node.putArray("roles");
        new TreeSet<>(caller.roles()).forEach(roles::add);
        if (caller.actor().isPresent()) {
            ObjectNode actor = node.putObject("actor");
            actor.put("subject", caller.actor().get().subject());
            putOptional(actor, "client_id", caller.actor().get().clientId().orElse(null));
        } else {
            node.putNull("actor");
        }
        node.put("auth_method", caller.method().name().toLowerCase(java.util.Locale.ROOT));
        putOptional(node, "token_type", caller.tokenType().orElse(null));
        return node;
    }

    private com.fasterxml.jackson.databind.JsonNode resource(McpTarget.Resource resource) {
        if (resource == null) {
            return mapper.nullNode();
        }
        ObjectNode node = mapper.createObjectNode();
        putOptional(node, "uri", resource.uri());
        putOptional(node, "template", resource.template());
        putOptional(node, "name", resource.name());
        putOptional(node, "mime_type", resource.mimeType());
        return node;
    }

    private com.fasterxml.jackson.databind.JsonNode prompt(McpTarget.Prompt prompt) {
        if (prompt == null) {
            return mapper.nullNode();
        }
        return mapper.createObjectNode().put("name", prompt.name());
    }

    private com.fasterxml.jackson.databind.JsonNode completion(McpTarget.Completion completion) {
        if (completion == null) {
            return mapper.nullNode();
        }
        return mapper.createObjectNode().put("ref_type", completion.refType()).put("ref", completion.ref())
                .put("argument", completion.argument());
    }

    private ObjectNode tool(ToolDescriptor tool) {
        ObjectNode node = mapper.createObjectNode();
        node.put("name", tool.name());
        node.put("description_sha256", descriptionSha256(tool.description()));
        node.put("read_only", tool.readOnlyHint());
        node.put("destructive", tool.destructiveHint());
        node.put("idempotent", tool.idempotentHint());
        node.put("open_world", tool.openWorldHint());
        if (tool.definitionHash().isEmpty()) {
            node.putNull("definition_hash");
        } else {
            node.put("definition_hash", tool.definitionHash());
        }
        return node;
    }

    /**
     * The denial for an input no engine can take ({@link UnrepresentableInput}), decided before evaluation, or
     * empty when {@code input} is fine. Logs the field (escaped), never the value.
     */
    static Optional<Decision> denyIfUnrepresentable(ObjectNode input, PolicyRequest request,
                                                   Optional<String> revision, Logger log) {
        Optional<UnrepresentableInput.Finding> finding = UnrepresentableInput.find(input);
        if (finding.isEmpty()) {
            return Optional.empty();
        }
        UnrepresentableInput.Finding found = finding.get();
        log.debug("Policy input for decision {} ({} {}) holds {} in {}; denying without evaluating",
                request.decisionId(), request.target().method(), ClientText.forLog(request.tool().name()), found.problem(),
                ClientText.forLog(found.where(), 200));
        return Optional.of(found.inArguments()
                ? new Decision.Deny(request.decisionId(), ReasonCode.INVALID_ARGUMENTS, INVALID_ARGUMENTS_MESSAGE,
                        revision)
                : new Decision.Deny(request.decisionId(), ReasonCode.POLICY_INPUT_INVALID, INPUT_INVALID_MESSAGE,
                        revision));
    }

    /** Validates a {@code maxInputBytes} builder setting, naming the bad value. */
    static int checkedMaxInputBytes(int maxInputBytes) {
        if (maxInputBytes < MIN_MAX_INPUT_BYTES || maxInputBytes > MAX_MAX_INPUT_BYTES) {
            throw new IllegalArgumentException("maxInputBytes must be within [" + MIN_MAX_INPUT_BYTES + ", "
                    + MAX_MAX_INPUT_BYTES + "], got " + maxInputBytes);
        }
        return maxInputBytes;
    }

    private static void putOptional(ObjectNode node, String name, String value) {
        if (value == null) {
            node.putNull(name);
        } else {
            node.put(name, value);
        }
    }

    /** {@code sha256(description)}, memoized for the last description (a pure function of its text). */
    private String descriptionSha256(String description) {
        DescriptionDigest last = lastDigest;
        if (last.description().equals(description)) {
            return last.sha256();
        }
        String digest = sha256(description);
        lastDigest = new DescriptionDigest(description, digest);
        return digest;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
