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
import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.testing.Callers;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CredentialGuardTest {

    private final CredentialProvider provider = request -> new CredentialLease("cred-" + request.credentialName(), "42",
            Secret.ofUtf8("value-of-" + request.credentialName()), Optional.empty());

    /** What a handler does with its context, during the call. */
    @FunctionalInterface
    private interface Handler {
        void handle(GuardContext context) throws Exception;
    }

    private ToolOutcome run(CredentialGuard guard, ToolCall call, Handler handler) {
        return new GuardChain(List.of(new GuardChain.Step("credentials", guard)), Clock.systemUTC())
                .execute(call, c -> {
                    try {
                        handler.handle(CallCredentials.contextFor(c));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
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

        ToolOutcome outcome = run(guard, allowedWith(Map.of("credential", List.of("payments-api", "ledger"))), context -> {
            assertThat(((CallCredentials) context).permittedNames()).containsExactlyInAnyOrder("payments-api", "ledger");
            assertThat(context.credential("ledger").credentialId()).isEqualTo("cred-ledger");
            assertThatThrownBy(() -> context.credential("crm-api"))
                    .isInstanceOfSatisfying(CredentialUnavailableException.class,
                            e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_NOT_PERMITTED));
        });

        assertThat(outcome).isInstanceOf(ToolOutcome.Completed.class);
    }

    @Test
    void withoutAnObligationTheStaticMappingApplies() throws Exception {
        CredentialGuard guard = CredentialGuard.builder(provider).permit("refund", "crm-api").build();

        ToolOutcome outcome = run(guard, allowedWith(Map.of()), context ->
                assertThat(context.credential("crm-api").secret().toString()).isEqualTo("Secret[redacted]"));

        assertThat(AuditDetails.of(outcome.call()).entries()).containsEntry("credential_id", "cred-crm-api");
    }

    @Test
    void aMalformedObligationDeniesTheCallWithAPolicyError() {
        CredentialGuard guard = CredentialGuard.builder(provider).build();

        ToolOutcome outcome = run(guard, allowedWith(Map.of("credential", List.of("ok", 7))), context -> { });

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
    void aContextKeptAfterTheCallEndedHandsOutNoMoreCredentials() throws Exception {
        AtomicInteger obtained = new AtomicInteger();
        CredentialProvider counting = request -> {
            obtained.incrementAndGet();
            return provider.obtain(request);
        };
        CredentialGuard guard = CredentialGuard.builder(counting).permit("refund", "crm-api").build();
        AtomicReference<GuardContext> kept = new AtomicReference<>();
        ToolOutcome outcome = new GuardChain(List.of(new GuardChain.Step("credentials", guard)), Clock.systemUTC())
                .execute(allowedWith(Map.of()), c -> {
                    kept.set(CallCredentials.contextFor(c));
                    try {
                        kept.get().credential("crm-api");
                    } catch (CredentialUnavailableException e) {
                        throw new IllegalStateException(e);
                    }
                    return CompletableFuture.completedFuture(new ToolOutcome.Completed(c, "ok", false));
                }).toCompletableFuture().join();

        assertThatThrownBy(() -> kept.get().credential("crm-api"))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                .hasMessageContaining("The call has ended");
        assertThatThrownBy(() -> kept.get().authorizeRequest("crm-api"))
                .isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("The call has ended");
        assertThat(obtained).as("the provider is not asked after the end").hasValue(1);
        assertThat(AuditDetails.of(outcome.call()).entries()).containsEntry("credential_id", "cred-crm-api");
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
