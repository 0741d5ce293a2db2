package dev.mcpguard.core.identity;

import dev.mcpguard.api.spi.IdentityResolver;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Combines {@link IdentityResolver}s.
 *
 * <pre>{@code
 * IdentityResolver resolver = IdentityResolvers.firstApplicable(jwtResolver, apiKeyResolver);
 * }</pre>
 */
public final class IdentityResolvers {

    private IdentityResolvers() {
    }

    /**
     * A resolver that asks {@code resolvers} in the given order and returns the first answer that is not
     * {@link IdentityResolver.IdentityResult.NotApplicable}; when every one declines, the answer is
     * {@code NotApplicable}. It fails closed: a resolver that throws or returns null yields
     * {@link IdentityResolver.IdentityResult.Rejected} (logged with the resolver's class, never the credential)
     * and later resolvers are not asked.
     *
     * <p>The returned resolver is thread-safe when the given ones are. No argument may be null.
     */
    public static IdentityResolver firstApplicable(IdentityResolver... resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        return firstApplicable(Arrays.asList(resolvers));
    }

    /** As {@link #firstApplicable(IdentityResolver...)}, from a list. */
    public static IdentityResolver firstApplicable(List<? extends IdentityResolver> resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        for (int i = 0; i < resolvers.size(); i++) {
            if (resolvers.get(i) == null) {
                throw new NullPointerException("resolvers[" + i + "] is null");
            }
        }
        if (resolvers.isEmpty()) {
            throw new IllegalArgumentException("at least one resolver is required");
        }
        return new FirstApplicableIdentityResolver(List.copyOf(resolvers));
    }
}
