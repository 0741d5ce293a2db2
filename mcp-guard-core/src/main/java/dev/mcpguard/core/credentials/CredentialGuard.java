package dev.mcpguard.core.credentials;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.CredentialProvider;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credentials step of the chain: decides which downstream credentials the tool handler of this call may
 * use, and names the ones it used in the audit record.
 *
 * <p><b>Which names.</b> If the policy's allow decision carries the obligation {@value #OBLIGATION} (a name or
 * a list of names, for example {@code {"credential": "payments-api"}}), exactly those; otherwise the static
 * mapping configured here for the tool; otherwise none. A malformed obligation denies the call with
 * {@link ReasonCode#POLICY_ERROR}. The handler reaches the grants through its {@code GuardContext}; asking for
 * any other name fails with {@link ReasonCode#CREDENTIAL_NOT_PERMITTED}.
 *
 * <p><b>Audit.</b> Credentials are obtained lazily, when the handler asks, so a call that needs none costs
 * nothing. The per-call {@link CallCredentials} records each lease; when the rest of the chain has ended, this
 * step adds {@code credential_id} and {@code credential_key_version} to the outcome's audit details (ids and
 * versions, never values), which the audit step, outermost, writes, and closes the per-call holder: a handler
 * that kept its {@code GuardContext} cannot obtain credentials after the call ended.
 *
 * <p>Thread-safe and immutable.
 *
 * <pre>{@code
 * CredentialGuard credentials = CredentialGuard.builder(provider)
 *         .permit("create_refund", "payments-api")
 *         .build();
 * }</pre>
 */
public final class CredentialGuard implements ToolGuard {

    /** The obligation key a policy uses to grant credentials. */
    public static final String OBLIGATION = "credential";

    private static final Logger log = LoggerFactory.getLogger(CredentialGuard.class);

    private final CredentialProvider provider;
    private final Map<String, Set<String>> staticGrants;

    private CredentialGuard(Builder b) {
        this.provider = b.provider;
        Map<String, Set<String>> grants = new HashMap<>();
        b.grants.forEach((tool, names) -> grants.put(tool, Set.copyOf(names)));
        this.staticGrants = Map.copyOf(grants);
    }

    /** Starts a builder over {@code provider}. */
    public static Builder builder(CredentialProvider provider) {
        return new Builder(provider);
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        if (call.caller().isEmpty()) {
            return chain.deny(ReasonCode.UNAUTHENTICATED, "The caller is not authenticated.");
        }
        Set<String> permitted;
        Optional<Decision.Allow> allow = call.attribute(GuardKeys.POLICY_DECISION);
        Object obligation = allow.map(a -> a.obligations().get(OBLIGATION)).orElse(null);
        if (obligation != null) {
            Optional<Set<String>> names = names(obligation);
            if (names.isEmpty()) {
                log.error("Policy decision {} carries a malformed '{}' obligation on call {}; denying",
                        allow.get().decisionId(), OBLIGATION, call.callId());
                return chain.deny(ReasonCode.POLICY_ERROR, "The policy's credential grant is malformed.");
            }
            permitted = names.get();
        } else {
            permitted = staticGrants.getOrDefault(call.toolName(), Set.of());
        }
        CallCredentials credentials = new CallCredentials(provider, call, permitted);
        return chain.proceed(call.withAttribute(CallCredentials.KEY, credentials))
                .whenComplete((outcome, error) -> credentials.end()) // also when the rest of the chain failed
                .thenApply(credentials::recordIn);
    }

    private static Optional<Set<String>> names(Object obligation) {
        if (obligation instanceof String s && !s.isBlank()) {
            return Optional.of(Set.of(s));
        }
        if (obligation instanceof List<?> list && !list.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            for (Object o : list) {
                if (!(o instanceof String s) || s.isBlank()) {
                    return Optional.empty();
                }
                names.add(s);
            }
            return Optional.of(names);
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "CredentialGuard[" + provider + ", static grants for " + staticGrants.keySet() + "]";
    }

    /** Builds a {@link CredentialGuard}. Not thread-safe. */
    public static final class Builder {
        private final CredentialProvider provider;
        private final Map<String, Set<String>> grants = new HashMap<>();

        private Builder(CredentialProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
        }

        /**
         * Lets {@code tool} use the credentials {@code names} when the policy decision names none (the static
         * mapping, until policies carry obligations).
         */
        public Builder permit(String tool, String... names) {
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(names, "names");
            if (names.length == 0) {
                throw new IllegalArgumentException("permit(" + tool + ") needs at least one credential name");
            }
            for (String name : names) {
                Objects.requireNonNull(name, "name");
                new CredentialKey(CredentialKey.ANY_TENANT, CredentialKey.Owner.service("check"), name, "check");
                grants.computeIfAbsent(tool, t -> new LinkedHashSet<>()).add(name);
            }
            return this;
        }

        public CredentialGuard build() {
            return new CredentialGuard(this);
        }
    }
}
