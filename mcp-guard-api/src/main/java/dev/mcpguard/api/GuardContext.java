package dev.mcpguard.api;

import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import java.net.http.HttpRequest;
import java.util.function.UnaryOperator;

/**
 * What a guarded tool handler may know and use about the call it serves: who called, the call id, and the
 * downstream credentials policy granted to this caller and tool.
 *
 * <p>Most handlers never touch a raw credential value: {@link #authorizeRequest(String)} returns a decorator
 * that sets the {@code Authorization} header on a {@code java.net.http} request.
 *
 * <pre>{@code
 * HttpRequest request = context.authorizeRequest("payments-api")
 *         .apply(HttpRequest.newBuilder(URI.create("https://payments.internal/v1/refunds")))
 *         .POST(body)
 *         .build();
 * }</pre>
 *
 * <p>Asking for a credential the call was not granted fails with
 * {@link ReasonCode#CREDENTIAL_NOT_PERMITTED}; a handler that lets the exception propagate ends the call as a
 * denial with that reason (the guard does this for handlers registered through it). Every credential used is
 * named (id and key version, never the value) in the call's audit record.
 *
 * <p>Valid for the duration of one call; thread-safe (a handler may fan out). Arguments must not be null.
 */
public interface GuardContext {

    /** The call's id, as in the audit record. */
    String callId();

    /** The verified caller. */
    CallerIdentity caller();

    /** The name of the tool being called. */
    String toolName();

    /**
     * The downstream credential {@code name}, decrypted and, for OAuth grants, fresh. Its {@link CredentialLease#secret()}
     * prints as {@code Secret[redacted]}.
     *
     * @throws CredentialUnavailableException with {@link ReasonCode#CREDENTIAL_NOT_PERMITTED} when this call was
     *         not granted {@code name}, or another reason when the credential cannot be produced
     */
    CredentialLease credential(String name) throws CredentialUnavailableException;

    /**
     * A request decorator that sets {@code Authorization: Bearer <credential>} from the credential {@code name};
     * the raw value is read only inside the decorator.
     *
     * @throws CredentialUnavailableException as {@link #credential(String)}
     */
    default UnaryOperator<HttpRequest.Builder> authorizeRequest(String name) throws CredentialUnavailableException {
        CredentialLease lease = credential(name);
        return builder -> builder.setHeader("Authorization", "Bearer " + lease.secret().revealUtf8());
    }
}
