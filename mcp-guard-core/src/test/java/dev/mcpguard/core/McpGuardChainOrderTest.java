package dev.mcpguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.core.credentials.CredentialGuard;
import dev.mcpguard.core.credentials.CredentialKey;
import dev.mcpguard.core.credentials.CredentialKeyset;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import dev.mcpguard.core.credentials.FileCredentialRepository;
import dev.mcpguard.core.credentials.StoredCredentialProvider;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.RecordingAuditSink;
import dev.mcpguard.core.throttle.ConcurrencyLimit;
import dev.mcpguard.core.throttle.TokenBucketThrottle;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chain's order, shown by behaviour rather than by step labels: a guard built with the public builder and
 * real components, in which every step is able to deny. At first every step denies; the steps are then put right
 * one at a time, in the order the chain declares. Each call's reason names the step that ran first among those
 * still denying, so a chain assembled in any other order fails here. The audit step, outermost, records every
 * one of these denials.
 */
class McpGuardChainOrderTest {

    private static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
    private static final CallerIdentity ALICE = alice(NOW.plusSeconds(3600));
    private static final CallerIdentity ALICE_WITH_EXPIRED_TOKEN = alice(NOW.minusSeconds(1));
    private static final ReasonCode OUTSIDE_BUSINESS_HOURS = ReasonCode.of("outside_business_hours");

    /** A reason to deny that each step can see, in the order the chain runs the steps. */
    enum Fault {
        /** identity: the transport context carries no verified caller. */
        CALLER_MISSING("unauthenticated"),
        /** identity: the caller's token has expired (the session step alone would not notice). */
        CALLER_TOKEN_EXPIRED("invalid_token"),
        /** session: the call uses a session that was revoked. */
        SESSION_REVOKED("session_invalid"),
        /** arguments: the arguments break the tool's input schema. */
        ARGUMENTS_INVALID("invalid_arguments"),
        /** policy: the policy denies. */
        POLICY_DENIES("policy_denied"),
        /** obligations: the policy's allow carries an obligation no control enforces. */
        OBLIGATION_UNSUPPORTED("unsupported_obligation"),
        /** throttle: the caller's only concurrency slot is taken. */
        THROTTLE_EXHAUSTED("rate_limited"),
        /** credentials (the step itself): the policy's credential grant is malformed. */
        CREDENTIAL_GRANT_MALFORMED("policy_error"),
        /** a custom guard, added after the built-in steps. */
        CUSTOM_GUARD_DENIES("outside_business_hours"),
        /** credentials (when the handler asks, innermost): the granted credential is not in the store. */
        CREDENTIAL_UNAVAILABLE("credential_unavailable");

        final String reason;

        Fault(String reason) {
            this.reason = reason;
        }
    }

    @TempDir
    Path dir;

    private final EnumSet<Fault> faults = EnumSet.allOf(Fault.class);
    private final RecordingAuditSink audit = new RecordingAuditSink();
    private final AtomicInteger policyAsked = new AtomicInteger();
    private final AtomicInteger customGuardRuns = new AtomicInteger();
    private final AtomicInteger handlerRuns = new AtomicInteger();
    private final InMemorySessionRegistry sessions = InMemorySessionRegistry.ofDefaults();
    private final TokenBucketThrottle throttle = TokenBucketThrottle.builder()
            .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(1)).build();
    private TinkCredentialStore credentials;
    private Throttle.Permit slotTakenElsewhere;
    private McpServerFeatures.SyncToolSpecification refund;

    @BeforeEach
    void buildGuardInWhichEveryStepCanDeny() {
        credentials = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.inMemory(), Clock.systemUTC());
        McpGuard guard = McpGuard.builder()
                .serverName("orders")
                .clock(MutableClock.startingAt(NOW.toString()))
                .auditSink(audit)
                .sessionRegistry(sessions)
                .validateArguments()
                .policyEngine(request -> {
                    policyAsked.incrementAndGet();
                    if (faults.contains(Fault.POLICY_DENIES)) {
                        return Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Refunds are closed.");
                    }
                    Map<String, Object> obligations = new LinkedHashMap<>();
                    obligations.put(CredentialGuard.OBLIGATION,
                            faults.contains(Fault.CREDENTIAL_GRANT_MALFORMED) ? 42 : "payments-api");
                    if (faults.contains(Fault.OBLIGATION_UNSUPPORTED)) {
                        obligations.put("notify_compliance", true);
                    }
                    return new Decision.Allow(request.decisionId(), obligations, Optional.empty());
                })
                .throttle(throttle)
                .credentials(CredentialGuard.builder(StoredCredentialProvider.builder(credentials).build()).build())
                .addGuard("business-hours", chain -> {
                    customGuardRuns.incrementAndGet();
                    return faults.contains(Fault.CUSTOM_GUARD_DENIES)
                            ? chain.deny(OUTSIDE_BUSINESS_HOURS, "Refunds are made in business hours.")
                            : chain.proceed(chain.call());
                })
                .build();
        refund = guard.guardWithContext(refundTool(), (exchange, request, context) -> {
            handlerRuns.incrementAndGet();
            CredentialLease lease = context.credential("payments-api");
            return CallToolResult.builder().addTextContent("refunded with credential " + lease.credentialId()).build();
        });
        sessions.bind("s-revoked", ALICE);
        sessions.revokeSession("s-revoked");
        sessions.bind("s-live", ALICE);
        slotTakenElsewhere = ((Throttle.ThrottleResult.Acquired) throttle.tryAcquire(
                Callers.call("refund_order", Optional.of(ALICE)))).permit();
    }

    @AfterEach
    void closeRegistry() {
        sessions.close();
    }

    @Test
    void eachStepDeniesInTurnAndTheReasonThatWinsNamesTheStepThatRunsFirst() {
        List<String> reasons = new ArrayList<>();
        List<Integer> policyAskedBefore = new ArrayList<>();
        for (Fault fault : Fault.values()) {
            policyAskedBefore.add(policyAsked.get());
            String reason = reasonOf(callRefund());
            reasons.add(reason);
            assertThat(reason).as("with %s and every later fault present", faults).isEqualTo(fault.reason);
            putRight(fault);
        }

        CallToolResult allowed = callRefund();

        assertThat(allowed.isError()).as("every step satisfied: %s", allowed).isNotEqualTo(Boolean.TRUE);
        assertThat(reasons).containsExactly("unauthenticated", "invalid_token", "session_invalid", "invalid_arguments",
                "policy_denied", "unsupported_obligation", "rate_limited", "policy_error", "outside_business_hours",
                "credential_unavailable");
        assertThat(policyAskedBefore).as("identity, session and arguments run before policy is asked, obligations after")
                .startsWith(0, 0, 0, 0, 0).element(5).isEqualTo(1);
        assertThat(customGuardRuns).as("the custom guard runs only after every built-in step allowed").hasValue(3);
        assertThat(handlerRuns).as("the handler runs only when every guard allowed").hasValue(2);
        assertThat(audit.records()).as("audit, outermost, records every denial and the allowed call")
                .extracting(AuditRecord::reason)
                .containsExactly("unauthenticated", "invalid_token", "session_invalid", "invalid_arguments", "policy_denied",
                        "unsupported_obligation", "rate_limited", "policy_error", "outside_business_hours",
                        "credential_unavailable", null);
        assertThat(audit.records().get(10).details()).containsKey("credential_id");
    }

    @Test
    void guardsAddedLaterRunFurtherInside() {
        McpGuard guard = McpGuard.builder().serverName("orders").auditSink(audit)
                .clock(MutableClock.startingAt(NOW.toString()))
                .policyEngine(new InsecureAllowAllPolicyEngine())
                .addGuard("first", chain -> chain.deny(ReasonCode.of("first_guard"), "first"))
                .addGuard("second", chain -> chain.deny(ReasonCode.of("second_guard"), "second"))
                .build();
        var tool = guard.guard(McpStatelessServerFeatures.SyncToolSpecification.builder().tool(refundTool())
                .callHandler((context, request) -> CallToolResult.builder().addTextContent("ok").build()).build());

        CallToolResult result = tool.callHandler().apply(contextOf(ALICE), new CallToolRequest("refund_order",
                Map.of("amount", 5)));

        assertThat(reasonOf(result)).isEqualTo("first_guard");
    }

    private void putRight(Fault fault) {
        faults.remove(fault);
        switch (fault) {
            case THROTTLE_EXHAUSTED -> slotTakenElsewhere.close();
            case CREDENTIAL_UNAVAILABLE -> credentials.put(
                    CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "payments-api", "orders"),
                    new StaticSecret(Secret.ofUtf8("payments-key-7Qx")));
            default -> {
                // the other faults are read from the fault set by the call, the policy and the custom guard
            }
        }
    }

    private CallToolResult callRefund() {
        McpTransportContext context = faults.contains(Fault.CALLER_MISSING) ? McpTransportContext.EMPTY
                : contextOf(faults.contains(Fault.CALLER_TOKEN_EXPIRED) ? ALICE_WITH_EXPIRED_TOKEN : ALICE);
        String sessionId = faults.contains(Fault.SESSION_REVOKED) ? "s-revoked" : "s-live";
        int amount = faults.contains(Fault.ARGUMENTS_INVALID) ? -5 : 5;
        McpSyncServerExchange exchange = new McpSyncServerExchange(new McpAsyncServerExchange(sessionId, null,
                McpSchema.ClientCapabilities.builder().build(), new McpSchema.Implementation("test", "1"), context));
        return refund.callHandler().apply(exchange, new CallToolRequest("refund_order", Map.of("amount", amount)));
    }

    private static CallerIdentity alice(Instant tokenExpiresAt) {
        return CallerIdentity.builder(Callers.ISSUER, "alice").tenant("acme").clientId("agent-app")
                .expiresAt(tokenExpiresAt).build();
    }

    private static McpTransportContext contextOf(CallerIdentity caller) {
        return McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, caller));
    }

    private static McpSchema.Tool refundTool() {
        return McpSchema.Tool.builder().name("refund_order").description("Refunds an order.")
                .inputSchema(Map.of("type", "object",
                        "properties", Map.of("amount", Map.of("type", "integer", "minimum", 0)),
                        "required", List.of("amount")))
                .build();
    }

    private static String reasonOf(CallToolResult result) {
        if (!Boolean.TRUE.equals(result.isError()) || !(result.structuredContent() instanceof Map<?, ?> structured)) {
            return null;
        }
        return (String) structured.get("reason");
    }
}
