package dev.mcpguard.core.session;

import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.internal.ClientText;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session step of the chain: a call made in an MCP session proceeds only if the session is live and bound
 * to the calling principal. Calls on stateless transports (no session id) pass.
 *
 * <p>The HTTP filter already refuses a foreign session with a 403 before the SDK sees the request; this step
 * enforces the same rule inside the chain, so it also holds for transports without that filter and for sessions
 * ended or revoked while a stream is open. A caller whose subject, tenant or token id is revoked
 * ({@link SessionRegistry#isRevoked}) is denied with {@link ReasonCode#REVOKED}, with or without a session.
 * Thread-safe.
 */
public final class SessionBindingGuard implements ToolGuard {

    private static final Logger log = LoggerFactory.getLogger(SessionBindingGuard.class);

    private final SessionRegistry registry;

    public SessionBindingGuard(SessionRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        if (call.caller().isPresent() && registry.isRevoked(call.caller().get())) {
            log.info("Call {} by subject {} denied: subject, tenant or token revoked", call.callId(),
                    ClientText.forLog(call.caller().get().subject()));
            return chain.deny(ReasonCode.REVOKED, "The caller's access has been revoked.");
        }
        if (call.sessionId().isEmpty()) {
            return chain.proceed(call);
        }
        if (call.caller().isEmpty()) {
            return chain.deny(ReasonCode.UNAUTHENTICATED, "The caller is not authenticated.");
        }
        SessionCheck check = registry.check(call.sessionId().get(), call.caller().get());
        if (check instanceof SessionCheck.Valid) {
            return chain.proceed(call);
        }
        if (check instanceof SessionCheck.PrincipalMismatch mismatch) {
            log.warn("Call {} by subject {} used a session bound to subject {}; denied", call.callId(),
                    ClientText.forLog(call.caller().get().subject()), ClientText.forLog(mismatch.boundSubject()));
            return chain.deny(ReasonCode.SESSION_PRINCIPAL_MISMATCH, "This session belongs to another principal.");
        }
        return chain.deny(ReasonCode.SESSION_INVALID, "The session is unknown, expired or revoked.");
    }
}
