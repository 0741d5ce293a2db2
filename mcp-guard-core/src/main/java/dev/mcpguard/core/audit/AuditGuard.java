package dev.mcpguard.core.audit;

import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.internal.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The outermost guard: lets the call through the rest of the chain and, when it has ended however it ended,
 * writes exactly one {@link AuditRecord} for it to an {@link AuditSink}.
 *
 * <p>How outcomes are recorded:
 * <ul>
 *   <li>{@link ToolOutcome.Completed}: decision {@code allow}, outcome {@code success} or {@code tool_error},
 *       decision id from {@link GuardKeys#POLICY_DECISION}, no reason.</li>
 *   <li>{@link ToolOutcome.Denied}: decision {@code deny}, outcome {@code denied}, the denial's id and reason.</li>
 *   <li>{@link ToolOutcome.Failed}, and a stage below that completed exceptionally or with {@code null} (a broken
 *       guard contract): outcome {@code failed} with the exception's class name (never its message). After a
 *       policy allow: decision {@code allow}, reason {@link ReasonCode#HANDLER_ERROR}; before one: decision
 *       {@code deny}, reason {@link ReasonCode#GUARD_ERROR}.</li>
 * </ul>
 * Arguments are summarized by the {@link ArgumentSummarizer}; {@code details} come from {@link AuditDetails#KEY}.
 *
 * <p><b>No record, no result.</b> If the sink cannot take the record of a call whose handler ran, the guard
 * withholds the result and returns a denial with {@link ReasonCode#AUDIT_UNAVAILABLE}: a security control does not
 * hand out results it cannot account for. The handler's side effect did happen; an ERROR log names the event id
 * and tool so an operator can reconcile. A denied or failed call stays as it was (it produced no result to
 * withhold); the missing record is logged at ERROR.
 *
 * <p>The sink is called on the thread that completes the call, after the handler; a durable sink adds its write
 * latency to each call. The returned stage always completes normally: nothing this guard or the chain below
 * throws escapes to the transport (except JVM errors such as {@link OutOfMemoryError}).
 *
 * <p>Thread-safe and stateless; one instance serves all calls. Constructor arguments must not be null.
 *
 * <pre>{@code
 * ToolGuard audit = new AuditGuard(new Slf4jAuditSink(), ArgumentSummarizer.withRandomKey(), Clock.systemUTC());
 * }</pre>
 */
public final class AuditGuard implements ToolGuard {

    /** The client-safe message of a denial that withholds a result because it could not be recorded. */
    public static final String RESULT_WITHHELD_MESSAGE = "The call could not be recorded; its result is withheld.";

    private static final Logger log = LoggerFactory.getLogger(AuditGuard.class);

    private final AuditSink sink;
    private final ArgumentSummarizer summarizer;
    private final UnaryOperator<String> rawValueMasker;
    private final Clock clock;

    /**
     * @param sink       where records go
     * @param summarizer how argument values are summarized
     * @param clock      the clock measuring each call's duration from {@link ToolCall#receivedAt()}; use the
     *                   clock that stamped {@code receivedAt}
     */
    public AuditGuard(AuditSink sink, ArgumentSummarizer summarizer, Clock clock) {
        this(sink, summarizer, UnaryOperator.identity(), clock);
    }

    /**
     * As {@link #AuditGuard(AuditSink, ArgumentSummarizer, Clock)}, with raw argument values passed through
     * {@code rawValueMasker} (the guard passes the guardrails' personal-data and secret masker).
     */
    public AuditGuard(AuditSink sink, ArgumentSummarizer summarizer, UnaryOperator<String> rawValueMasker,
                      Clock clock) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.summarizer = Objects.requireNonNull(summarizer, "summarizer");
        this.rawValueMasker = Objects.requireNonNull(rawValueMasker, "rawValueMasker");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        CompletionStage<ToolOutcome> stage;
        try {
            stage = chain.proceed(call);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            return ToolGuard.done(record(new ToolOutcome.Failed(call, e)));
        }
        if (stage == null) {
            return ToolGuard.done(record(new ToolOutcome.Failed(call,
                    new IllegalStateException("the guard chain returned a null stage"))));
        }
        return stage.handle((outcome, error) -> {
            if (error != null) {
                return record(new ToolOutcome.Failed(call, unwrap(error)));
            }
            if (outcome == null) {
                return record(new ToolOutcome.Failed(call,
                        new IllegalStateException("the guard chain completed with a null outcome")));
            }
            return record(outcome);
        });
    }

    /** Writes the record of {@code outcome} and returns what the client gets. Never throws. */
    private ToolOutcome record(ToolOutcome outcome) {
        String eventId = outcome.call().callId();
        try {
            sink.write(toRecord(outcome));
            return outcome;
        } catch (AuditSink.AuditWriteException e) {
            // Our sinks' messages hold only ids and paths; safe to log with the stack trace.
            return unrecorded(outcome, eventId, e.getMessage(), e);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // A third-party sink's or summarizer's message could hold record contents: log the type only.
            return unrecorded(outcome, eventId, e.getClass().getName(), null);
        }
    }

    private ToolOutcome unrecorded(ToolOutcome outcome, String eventId, String why, Throwable error) {
        if (outcome instanceof ToolOutcome.Completed completed) {
            log.error("Audit record of event {} could not be written ({}); '{}' ran but its result is withheld"
                    + " from the client", eventId, why, ClientText.forLog(completed.call().toolName()), error);
            String decisionId = completed.call().attribute(GuardKeys.POLICY_DECISION)
                    .map(Decision::decisionId)
                    .orElseGet(() -> UUID.randomUUID().toString());
            return new ToolOutcome.Denied(completed.call(),
                    Decision.deny(decisionId, ReasonCode.AUDIT_UNAVAILABLE, RESULT_WITHHELD_MESSAGE));
        }
        log.error("Audit record of event {} could not be written ({}); the call's {} outcome is returned unchanged",
                eventId, why, outcome instanceof ToolOutcome.Denied ? "denied" : "failed", error);
        return outcome;
    }

    private AuditRecord toRecord(ToolOutcome outcome) {
        ToolCall call = outcome.call();
        Optional<Decision.Allow> allow = call.attribute(GuardKeys.POLICY_DECISION);
        String decisionId = allow.map(Decision::decisionId).orElse(null);
        AuditRecord.Verdict decision = AuditRecord.Verdict.ALLOW;
        String reason = null;
        String errorType = null;
        AuditDetails details = AuditDetails.of(call);
        Optional<String> revision = allow.flatMap(Decision::policyRevision);
        AuditRecord.Outcome recorded;
        if (outcome instanceof ToolOutcome.Completed completed) {
            recorded = completed.toolError() ? AuditRecord.Outcome.TOOL_ERROR : AuditRecord.Outcome.SUCCESS;
        } else if (outcome instanceof ToolOutcome.Denied denied) {
            decision = AuditRecord.Verdict.DENY;
            decisionId = denied.decision().decisionId();
            reason = denied.decision().reason().value();
            // A later control (throttle, credentials) may deny after policy allowed: keep the policy's revision.
            revision = denied.decision().policyRevision().or(() -> allow.flatMap(Decision::policyRevision));
            recorded = AuditRecord.Outcome.DENIED;
        } else {
            ToolOutcome.Failed failed = (ToolOutcome.Failed) outcome;
            if (allow.isEmpty()) {
                decision = AuditRecord.Verdict.DENY;
                reason = ReasonCode.GUARD_ERROR.value();
            } else {
                reason = ReasonCode.HANDLER_ERROR.value();
            }
            errorType = failed.cause().getClass().getName();
            recorded = AuditRecord.Outcome.FAILED;
        }
        return new AuditRecord(
                AuditRecord.SCHEMA_VERSION,
                call.callId(),
                call.receivedAt(),
                decisionId,
                call.caller().map(AuditRecord.Caller::of).orElse(null),
                call.sessionId().orElse(null),
                call.server(),
                call.target().isTool() ? call.toolName() : null,
                call.target().method(),
                call.target().itemName(),
                summarizer.summarize(call.arguments(), rawValueMasker),
                decision,
                reason,
                recorded,
                durationMicros(call),
                errorType,
                revision.map(r -> details.with(AuditDetails.POLICY_REVISION, truncate(r))).orElse(details).entries());
    }

    private static String truncate(String value) {
        return value.length() <= AuditDetails.MAX_VALUE_LENGTH ? value : value.substring(0, AuditDetails.MAX_VALUE_LENGTH);
    }

    private long durationMicros(ToolCall call) {
        Duration elapsed = Duration.between(call.receivedAt(), clock.instant());
        // A clock stepped backwards must not produce a negative duration.
        return elapsed.isNegative() ? 0 : TimeUnit.MICROSECONDS.convert(elapsed);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return "AuditGuard[" + sink + "]";
    }
}
