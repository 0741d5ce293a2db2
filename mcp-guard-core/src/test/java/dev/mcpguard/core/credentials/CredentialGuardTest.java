package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.CredentialProvider;
import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.audit.AuditDetails;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.testing.Callers;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CredentialGuardTest {

    private final CredentialProvider provider = request -> new CredentialLease("cred-" + request.credentialName(), "42",
            Secret.ofUtf8("value-of-" + request.credentialName()), Optional.empty());

    private ToolOutcome run(CredentialGuard guard, ToolCall call, AtomicReference<GuardContext> seen) {
        return new GuardChain(List.of(new GuardChain.Step("credentials", guard)), Clock.systemUTC())
                .execute(call, c -> {
                    seen.set(CallCredentials.contextFor(c));
                    return CompletableFuture.completedFuture(new ToolOutcome.Completed(c, "ok", false));
                }).toCompletableFuture().join();
    }

    private static ToolCall allowedWith(Map<String, Object> obligations) {
        return Callers.call("refund", Optional.of(Callers.user("alice", "acme")))
                .withAttribute(GuardKeys.POLICY_DECISION, new Decision.Allow("d-1", obligations));
    }

    @Test
    void aPolicyObligationListGrantsExactlyThoseNamesAndOverridesTheStaticMapping() throws Exception {
        CredentialGuard guard = CredentialGuard.builder(provider).permit("refund", "crm-api").build();
        AtomicReference<GuardContext> seen = new AtomicReference<>();

        run(guard, allowedWith(Map.of("credential", List.of("payments-api", "ledger"))), seen);

        assertThat(((CallCredentials) seen.get()).permittedNames()).containsExactlyInAnyOrder("payments-api", "ledger");
        assertThat(seen.get().credential("ledger").credentialId()).isEqualTo("cred-ledger");
        assertThatThrownBy(() -> seen.get().credential("crm-api"))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_NOT_PERMITTED));
    }

    @Test
    void withoutAnObligationTheStaticMappingApplies() throws Exception {
        CredentialGuard guard = CredentialGuard.builder(provider).permit("refund", "crm-api").build();
        AtomicReference<GuardContext> seen = new AtomicReference<>();

        run(guard, allowedWith(Map.of()), seen);

        assertThat(seen.get().credential("crm-api").secret().toString()).isEqualTo("Secret[redacted]");
    }

    @Test
    void aMalformedObligationDeniesTheCallWithAPolicyError() {
        CredentialGuard guard = CredentialGuard.builder(provider).build();

        ToolOutcome outcome = run(guard, allowedWith(Map.of("credential", List.of("ok", 7))), new AtomicReference<>());

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class,
                d -> assertThat(d.decision().reason()).isEqualTo(ReasonCode.POLICY_ERROR));
    }

    @Test
    void theCredentialsUsedAreNamedInTheAuditDetailsOfTheOutcome() {
        CredentialGuard guard = CredentialGuard.builder(provider).build();
        ToolOutcome outcome = new GuardChain(List.of(new GuardChain.Step("credentials", guard)), Clock.systemUTC())
                .execute(allowedWith(Map.of("credential", List.of("a", "b"))), c -> {
                    GuardContext context = CallCredentials.contextFor(c);
                    try {
                        context.credential("b");
                        context.credential("a");
                        context.credential("b");
                    } catch (CredentialUnavailableException e) {
                        throw new IllegalStateException(e);
                    }
                    return CompletableFuture.completedFuture(new ToolOutcome.Completed(c, "ok", false));
                }).toCompletableFuture().join();

        assertThat(AuditDetails.of(outcome.call()).entries())
                .containsEntry("credential_id", "cred-b,cred-a")
                .containsEntry("credential_key_version", "42,42");
    }

    @Test
    void aCallThatWentThroughNoCredentialsStepIsGrantedNothing() {
        GuardContext context = CallCredentials.contextFor(allowedWith(Map.of()));

        assertThatThrownBy(() -> context.authorizeRequest("crm-api"))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_NOT_PERMITTED))
                .hasMessage("No credentials are configured for this server.");
    }
}
