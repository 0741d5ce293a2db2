package dev.mcpguard.core.credentials;

import dev.mcpguard.api.AttributeKey;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.CredentialProvider;
import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.CredentialProvider.CredentialRequest;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.api.AuditDetails;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link GuardContext} of one call: the credentials the credentials step granted, obtained on demand, and a
 * record of which were used, which the step writes into the audit details when the call ends. From then on it
 * hands out nothing: a handler that kept it (or work it left running) gets {@link ReasonCode#CREDENTIAL_UNAVAILABLE}
 * ("the call has ended"), so no credential is used unaudited or after it was revoked.
 *
 * <p>Thread-safe (a handler may fan out).
 */
public final class CallCredentials implements GuardContext {

    private static final Logger log = LoggerFactory.getLogger(CallCredentials.class);

    static final AttributeKey<CallCredentials> KEY = AttributeKey.of("mcp-guard.call-credentials", CallCredentials.class);

    private final CredentialProvider provider;
    private final ToolCall call;
    private final Set<String> permitted;
    private final String notPermittedMessage;
    private final Set<String> usedIds = new LinkedHashSet<>();
    private final Set<String> usedVersions = new LinkedHashSet<>();
    private boolean ended; // guarded by this

    CallCredentials(CredentialProvider provider, ToolCall call, Set<String> permitted) {
        this(provider, call, permitted, null);
    }

    private CallCredentials(CredentialProvider provider, ToolCall call, Set<String> permitted, String notPermittedMessage) {
        this.provider = provider;
        this.call = call;
        this.permitted = Set.copyOf(permitted);
        this.notPermittedMessage = notPermittedMessage;
    }

    /**
     * The guard context of {@code call} as the innermost step passed it: the credentials step's grants, or, if
     * the chain has no credentials step, a context that grants none.
     */
    public static GuardContext contextFor(ToolCall call) {
        Objects.requireNonNull(call, "call");
        return call.attribute(KEY).orElseGet(() -> new CallCredentials(request -> {
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_NOT_PERMITTED, "unreachable");
        }, call, Set.of(), "No credentials are configured for this server."));
    }

    @Override
    public String callId() {
        return call.callId();
    }

    @Override
    public CallerIdentity caller() {
        return call.caller().orElseThrow(() -> new IllegalStateException("call " + call.callId() + " has no caller"));
    }

    @Override
    public String toolName() {
        return call.toolName();
    }

    /** The credential names this call may use. */
    public Set<String> permittedNames() {
        return permitted;
    }

    @Override
    public CredentialLease credential(String name) throws CredentialUnavailableException {
        Objects.requireNonNull(name, "name");
        synchronized (this) {
            if (ended) {
                throw callEnded(name);
            }
        }
        if (!permitted.contains(name)) {
            log.warn("Tool '{}' on call {} asked for credential '{}', which it was not granted",
                    call.toolName(), call.callId(), CredentialKey.abbreviate(name));
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_NOT_PERMITTED, notPermittedMessage != null
                    ? notPermittedMessage : "This tool may not use the credential it asked for.");
        }
        CredentialLease lease;
        try {
            lease = provider.obtain(new CredentialRequest(caller(), call.server(), call.toolName(), name,
                    call.attribute(GuardKeys.INBOUND_TOKEN)));
        } catch (CredentialUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // A third-party provider's message could hold anything: log the type only.
            log.error("Credential provider failed for credential '{}' on call {} ({})", name, call.callId(),
                    e.getClass().getName());
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' is unavailable.");
        }
        if (lease == null) {
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' is unavailable.");
        }
        synchronized (this) {
            if (ended) {
                // The call ended while the provider worked: the audit record is written, so no lease leaves.
                throw callEnded(name);
            }
            usedIds.add(lease.credentialId());
            usedVersions.add(lease.credentialId() + ":" + lease.keyVersion());
        }
        return lease;
    }

    private CredentialUnavailableException callEnded(String name) {
        log.warn("Tool '{}' asked for credential '{}' after call {} had ended; refused", call.toolName(),
                CredentialKey.abbreviate(name), call.callId());
        return new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                "The call has ended; its credentials are no longer available.");
    }

    /** Ends the call: from now on {@link #credential} refuses. Idempotent. */
    synchronized void end() {
        ended = true;
    }

    /**
     * Ends the call and returns {@code outcome} with the credentials used named in its call's audit details;
     * unchanged if none.
     */
    ToolOutcome recordIn(ToolOutcome outcome) {
        String ids;
        String versions;
        synchronized (this) {
            ended = true;
            if (usedIds.isEmpty()) {
                return outcome;
            }
            ids = join(usedIds);
            versions = join(usedVersions.stream().map(v -> v.substring(v.lastIndexOf(':') + 1)).toList());
        }
        ToolCall recorded = outcome.call().withAttribute(AuditDetails.KEY,
                AuditDetails.of(outcome.call()).with(AuditDetails.CREDENTIAL_ID, ids)
                        .with(AuditDetails.CREDENTIAL_KEY_VERSION, versions));
        if (outcome instanceof ToolOutcome.Completed c) {
            return new ToolOutcome.Completed(recorded, c.result(), c.toolError());
        }
        if (outcome instanceof ToolOutcome.Denied d) {
            return new ToolOutcome.Denied(recorded, d.decision());
        }
        return new ToolOutcome.Failed(recorded, ((ToolOutcome.Failed) outcome).cause());
    }

    private static String join(Iterable<String> values) {
        StringJoiner joiner = new StringJoiner(",");
        values.forEach(joiner::add);
        String s = joiner.toString();
        return s.length() <= AuditDetails.MAX_VALUE_LENGTH ? s : s.substring(0, AuditDetails.MAX_VALUE_LENGTH);
    }

    @Override
    public String toString() {
        return "CallCredentials[call=" + call.callId() + ", permitted=" + permitted + "]";
    }
}
