package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdentityResolversTest {

    final PresentedCredential token = new PresentedCredential.BearerToken(Secret.ofUtf8("t"));
    final CallerIdentity alice = CallerIdentity.builder("https://issuer", "alice").build();

    @Test
    void skipsResolversThatDoNotApplyAndReturnsTheFirstAnswer() {
        IdentityResolver resolver = IdentityResolvers.firstApplicable(
                c -> new IdentityResult.NotApplicable(),
                c -> new IdentityResult.Authenticated(alice),
                c -> new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "never asked"));

        assertThat(resolver.resolve(token)).isEqualTo(new IdentityResult.Authenticated(alice));
    }

    @Test
    void stopsAtTheFirstRejection() {
        AtomicInteger later = new AtomicInteger();
        IdentityResolver resolver = IdentityResolvers.firstApplicable(
                c -> new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "token expired"),
                c -> {
                    later.incrementAndGet();
                    return new IdentityResult.Authenticated(alice);
                });

        assertThat(resolver.resolve(token)).isInstanceOf(IdentityResult.Rejected.class);
        assertThat(later).hasValue(0);
    }

    @Test
    void answersNotApplicableWhenNoResolverApplies() {
        IdentityResolver resolver = IdentityResolvers.firstApplicable(c -> new IdentityResult.NotApplicable());

        assertThat(resolver.resolve(token)).isInstanceOf(IdentityResult.NotApplicable.class);
    }

    @Test
    void failsClosedWhenAResolverThrows() {
        IdentityResolver resolver = IdentityResolvers.firstApplicable(
                c -> {
                    throw new IllegalStateException("boom");
                },
                c -> new IdentityResult.Authenticated(alice));

        assertThat(resolver.resolve(token)).isInstanceOf(IdentityResult.Rejected.class);
    }

    @Test
    void failsClosedWhenAResolverReturnsNull() {
        IdentityResolver resolver = IdentityResolvers.firstApplicable(c -> null);

        assertThat(resolver.resolve(token))
                .isEqualTo(new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "credential could not be verified"));
    }
}
