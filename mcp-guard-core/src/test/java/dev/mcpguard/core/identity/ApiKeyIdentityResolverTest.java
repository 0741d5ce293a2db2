package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeyIdentityResolverTest {

    static final String BILLING_KEY = "mgk_live_7Yq2c9VbX1pLr8TzW4nS0aJd";
    static final String REPORTS_KEY = "mgk_live_Q3vN6kR0tE8yU2iO5pA9sD1f";

    final ApiKeyIdentityResolver resolver = ApiKeyIdentityResolver.builder()
            .addKey(ApiKeyIdentityResolver.KeyEntry.of("billing-batch",
                            ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(BILLING_KEY)), "svc-billing")
                    .withTenant("acme").withScopes(Set.of("orders:read")).withRoles(Set.of("service")))
            .addKey(ApiKeyIdentityResolver.KeyEntry.of("reports",
                    base64Sha256(REPORTS_KEY), "svc-reports"))
            .build();

    static IdentityResult present(ApiKeyIdentityResolver resolver, String key) {
        return resolver.resolve(new PresentedCredential.ApiKey(Secret.ofUtf8(key)));
    }

    @Test
    void authenticatesTheRightKeyAsTheConfiguredServiceIdentity() {
        IdentityResult result = present(resolver, BILLING_KEY);

        assertThat(result).isInstanceOf(IdentityResult.Authenticated.class);
        CallerIdentity identity = ((IdentityResult.Authenticated) result).identity();
        assertThat(identity.issuer()).isEqualTo("api-key");
        assertThat(identity.subject()).isEqualTo("svc-billing");
        assertThat(identity.tenant()).contains("acme");
        assertThat(identity.clientId()).contains("billing-batch");
        assertThat(identity.scopes()).containsExactly("orders:read");
        assertThat(identity.roles()).containsExactly("service");
        assertThat(identity.method()).isEqualTo(CallerIdentity.AuthenticationMethod.API_KEY);
    }

    @Test
    void acceptsHashesConfiguredAsBase64() {
        IdentityResult result = present(resolver, REPORTS_KEY);

        assertThat(((IdentityResult.Authenticated) result).identity().subject()).isEqualTo("svc-reports");
    }

    @Test
    void rejectsAWrongKey() {
        assertThat(present(resolver, BILLING_KEY + "x"))
                .isEqualTo(new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "api key invalid"));
    }

    @Test
    void rejectsAnEmptyKey() {
        assertThat(present(resolver, ""))
                .isEqualTo(new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "api key invalid"));
    }

    @Test
    void rejectsTheHashItselfPresentedAsAKey() {
        assertThat(present(resolver, ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(BILLING_KEY))))
                .isInstanceOf(IdentityResult.Rejected.class);
    }

    @Test
    void leavesBearerTokensToAnotherResolver() {
        assertThat(resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(BILLING_KEY))))
                .isInstanceOf(IdentityResult.NotApplicable.class);
    }

    @Test
    void hashOfIsTheLowercaseHexSha256() {
        assertThat(ApiKeyIdentityResolver.hashOf(Secret.ofUtf8("abc")))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void refusesARawKeyConfiguredAsHashWithoutEchoingIt() {
        assertThatThrownBy(() -> ApiKeyIdentityResolver.KeyEntry.of("oops", BILLING_KEY, "svc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'oops'")
                .hasMessageNotContaining(BILLING_KEY);
    }

    @Test
    void refusesTwoKeysWithTheSameHash() {
        String hash = ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(BILLING_KEY));
        ApiKeyIdentityResolver.Builder builder = ApiKeyIdentityResolver.builder()
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("a", hash, "svc-a"))
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("b", hash.toUpperCase(), "svc-b"));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'b'");
    }

    @Test
    void neverShowsTheHashInToString() {
        String hash = ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(BILLING_KEY));

        assertThat(ApiKeyIdentityResolver.KeyEntry.of("a", hash, "svc-a").toString()).doesNotContain(hash);
    }

    static String base64Sha256(String key) {
        byte[] hash = HexFormat.of().parseHex(ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(key)));
        return Base64.getEncoder().encodeToString(hash);
    }
}
