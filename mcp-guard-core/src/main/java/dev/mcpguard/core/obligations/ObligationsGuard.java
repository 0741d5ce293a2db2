package dev.mcpguard.core.obligations;

import dev.mcpguard.core.chain.ToolResultAccess;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.core.internal.ClientText;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The obligations step of the chain, right after policy: makes sure every obligation on the policy's allow is
 * enforced, and enforces {@value #REDACT_FIELDS} itself.
 *
 * <p><b>Nothing is ignored.</b> Before the call proceeds, every obligation key must be one this chain enforces (the
 * {@code enforced} keys given at construction: this step's own, the throttle's, the credentials step's, and keys
 * declared for your own guards). A key no control enforces denies the call with
 * {@link ReasonCode#UNSUPPORTED_OBLIGATION}: a policy that meant to restrict the call must not be silently
 * ignored. The audit record names the key ({@value AuditDetails#UNSUPPORTED_OBLIGATION}), never its value.
 *
 * <p><b>Redaction.</b> {@code redact_fields} is a list of paths ({@link RedactionPath}: dot-separated member names
 * or {@code *}, arrays traversed transparently) into the result's {@code structuredContent} and into text content
 * that holds serialized JSON; what they reach becomes {@code "[redacted]"}, and the removed values are also
 * replaced wherever they occur in the result's text (see {@code docs/policy.md}). It runs on the way out, so it
 * covers what every later step and the handler return. The audit record lists the paths that matched
 * ({@value AuditDetails#REDACTED_PATHS}), never the values. A malformed list denies before the handler runs
 * ({@link ReasonCode#POLICY_ERROR}); a result that cannot be redacted (not a {@code CallToolResult}, or holding
 * images, audio, blobs or resource links) is withheld: a denial with {@link ReasonCode#REDACTION_FAILED}
 * (the handler did run; the audit record says {@value AuditDetails#RESULT_WITHHELD}).
 *
 * <p>{@value #BREAK_GLASS} is enforced here too, as the audit trail it is for: its {@code ticket} goes into the
 * record as {@value AuditDetails#BREAK_GLASS_TICKET}.
 *
 * <p>Results are read and rewritten through a {@link ToolResultAccess}, so this package needs no SDK type.
 *
 * <p>Thread-safe and stateless; constructor arguments must not be null.
 */
public final class ObligationsGuard implements ToolGuard {

    /** The obligation naming result fields to redact. */
    public static final String REDACT_FIELDS = "redact_fields";
    /** The obligation a break-glass allow carries, for the audit trail. */
    public static final String BREAK_GLASS = "break_glass";
    /** The keys this step enforces itself. */
    public static final Set<String> OWN_KEYS = Set.of(REDACT_FIELDS, BREAK_GLASS);
    /** The most paths one {@code redact_fields} obligation may list. */
    public static final int MAX_PATHS = 64;

    static final String WITHHELD_MESSAGE = "The result could not be redacted as the policy requires; it is withheld.";

    private static final Logger log = LoggerFactory.getLogger(ObligationsGuard.class);
    private static final Cache<List<String>, List<RedactionPath>> PARSED_PATHS = Caffeine.newBuilder()
            .maximumSize(1_024)
            .executor(Runnable::run)
            .build();
    private static final Pattern KEY_FORMAT = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private final Set<String> enforced;
    private final Clock clock;
    private final ToolResultAccess results;

    /**
     * @param enforced the obligation keys controls of this chain enforce; {@link #OWN_KEYS} are added
     * @param clock    the clock decision ids are stamped with
     * @param results  how results are read and rewritten for redaction (for the MCP SDK's {@code CallToolResult},
     *                 {@code McpSdkAdapter.toolResultAccess()})
     */
    public ObligationsGuard(Set<String> enforced, Clock clock, ToolResultAccess results) {
        Set<String> keys = new TreeSet<>(Objects.requireNonNull(enforced, "enforced"));
        keys.addAll(OWN_KEYS);
        this.enforced = Set.copyOf(keys);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.results = Objects.requireNonNull(results, "results");
    }

    /** The obligation keys this chain accepts, sorted. */
    public Set<String> enforcedKeys() {
        return new TreeSet<>(enforced);
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        Optional<Decision.Allow> allow = call.attribute(GuardKeys.POLICY_DECISION);
        Map<String, Object> obligations = allow.map(Decision.Allow::obligations).orElse(Map.of());
        if (obligations.isEmpty()) {
            return chain.proceed(call);
        }
        for (String key : new TreeSet<>(obligations.keySet())) {
            if (!enforced.contains(key)) {
                return unsupported(chain, call, allow.get(), key);
            }
        }
        List<RedactionPath> paths;
        try {
            paths = paths(obligations.get(REDACT_FIELDS));
        } catch (IllegalArgumentException e) {
            log.error("Policy decision {} carries a malformed '{}' obligation on call {} ({}); denying",
                    allow.get().decisionId(), REDACT_FIELDS, call.callId(), e.getMessage());
            return chain.deny(ReasonCode.POLICY_ERROR, "The policy's redaction obligation is malformed.");
        }
        ToolCall next = withBreakGlassTicket(call, obligations.get(BREAK_GLASS));
        if (paths.isEmpty()) {
            return chain.proceed(next);
        }
        return chain.proceed(next).thenApply(outcome -> redact(outcome, paths));
    }

    private CompletionStage<ToolOutcome> unsupported(Chain chain, ToolCall call, Decision.Allow allow, String key) {
        String named = KEY_FORMAT.matcher(key).matches() ? key : "(not a snake_case key)";
        log.warn("Policy decision {} on call {} (tool '{}') carries obligation '{}', which no control of this chain "
                        + "enforces; denying", allow.decisionId(), call.callId(), ClientText.forLog(call.toolName()),
                ClientText.forLog(key, 64));
        ToolCall denied = call.withAttribute(AuditDetails.KEY,
                AuditDetails.of(call).with(AuditDetails.UNSUPPORTED_OBLIGATION, named));
        return ToolGuard.done(new ToolOutcome.Denied(denied, Decision.deny(Ids.newId(clock),
                ReasonCode.UNSUPPORTED_OBLIGATION,
                "The policy requires a control this server does not enforce; the call is denied.")));
    }

    private ToolOutcome redact(ToolOutcome outcome, List<RedactionPath> paths) {
        if (!(outcome instanceof ToolOutcome.Completed completed)) {
            return outcome; // denied or failed: no result leaves the chain
        }
        ToolCall call = completed.call();
        try {
            ResultRedactor.Redaction redaction = ResultRedactor.redact(completed.result(), paths, results);
            if (redaction.matchedPaths().isEmpty()) {
                return completed;
            }
            ToolCall recorded = call.withAttribute(AuditDetails.KEY, AuditDetails.of(call)
                    .with(AuditDetails.REDACTED_PATHS, joined(redaction.matchedPaths())));
            return new ToolOutcome.Completed(recorded, redaction.result(), completed.toolError());
        } catch (ToolResultAccess.UnredactableResultException | RuntimeException e) {
            log.error("Result of call {} (tool '{}') cannot be redacted as policy requires ({}); withholding it",
                    call.callId(), ClientText.forLog(call.toolName()),
                    e instanceof ToolResultAccess.UnredactableResultException ? e.getMessage() : e.getClass().getName());
            ToolCall recorded = call.withAttribute(AuditDetails.KEY,
                    AuditDetails.of(call).with(AuditDetails.RESULT_WITHHELD, "true"));
            return new ToolOutcome.Denied(recorded,
                    Decision.deny(Ids.newId(clock), ReasonCode.REDACTION_FAILED, WITHHELD_MESSAGE));
        }
    }

    /** The parsed paths; empty when the obligation is absent or an empty list. */
    static List<RedactionPath> paths(Object obligation) {
        if (obligation == null) {
            return List.of();
        }
        if (!(obligation instanceof List<?> list)) {
            throw new IllegalArgumentException("redact_fields must be a list of paths");
        }
        if (list.size() > MAX_PATHS) {
            throw new IllegalArgumentException("redact_fields may list at most " + MAX_PATHS + " paths, got "
                    + list.size());
        }
        List<String> texts = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String text)) {
                throw new IllegalArgumentException("redact_fields items must be strings");
            }
            texts.add(text);
        }
        // Parsing is a pure function of the texts: a policy's few distinct lists are parsed once, not per call.
        // A list that does not parse throws out of the cache and is not stored.
        return PARSED_PATHS.get(List.copyOf(texts), ObligationsGuard::parse);
    }

    private static List<RedactionPath> parse(List<String> texts) {
        List<RedactionPath> paths = new ArrayList<>(texts.size());
        for (String text : texts) {
            paths.add(RedactionPath.parse(text));
        }
        return List.copyOf(paths);
    }

    private static ToolCall withBreakGlassTicket(ToolCall call, Object breakGlass) {
        if (breakGlass instanceof Map<?, ?> grant && grant.get("ticket") instanceof String ticket && !ticket.isBlank()) {
            return call.withAttribute(AuditDetails.KEY, AuditDetails.of(call)
                    .with(AuditDetails.BREAK_GLASS_TICKET,
                            ClientText.forClient(ticket, AuditDetails.MAX_VALUE_LENGTH)));
        }
        return call;
    }

    private static String joined(Set<String> paths) {
        String joined = String.join(",", paths);
        return joined.length() <= AuditDetails.MAX_VALUE_LENGTH ? joined
                : joined.substring(0, AuditDetails.MAX_VALUE_LENGTH - 1) + "…";
    }
}
