package dev.mcpguard.core.identity;

import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.IdentityResolver;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** See {@link IdentityResolvers#firstApplicable(IdentityResolver...)}. Thread-safe when its resolvers are. */
final class FirstApplicableIdentityResolver implements IdentityResolver {

    private static final Logger log = LoggerFactory.getLogger(FirstApplicableIdentityResolver.class);

    private final List<IdentityResolver> resolvers;

    FirstApplicableIdentityResolver(List<IdentityResolver> resolvers) {
        this.resolvers = resolvers;
    }

    @Override
    public IdentityResult resolve(PresentedCredential credential) {
        Objects.requireNonNull(credential, "credential");
        for (IdentityResolver resolver : resolvers) {
            IdentityResult result;
            try {
                result = resolver.resolve(credential);
            } catch (RuntimeException e) {
                // The exception's message is not logged: a faulty resolver might have put the credential in it.
                log.warn("Identity resolver {} threw {}; rejecting the credential",
                        resolver.getClass().getName(), e.getClass().getName());
                return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "credential could not be verified");
            }
            if (result == null) {
                log.warn("Identity resolver {} returned null; rejecting the credential", resolver.getClass().getName());
                return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "credential could not be verified");
            }
            if (!(result instanceof IdentityResult.NotApplicable)) {
                return result;
            }
        }
        return new IdentityResult.NotApplicable();
    }

    @Override
    public String toString() {
        return "FirstApplicableIdentityResolver" + resolvers;
    }
}
