package dev.mcpguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.Slf4jAuditSink;
import dev.mcpguard.core.session.RedisRevocationList;
import dev.mcpguard.core.session.Revocation;
import dev.mcpguard.core.session.RevocationList;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.RedisServer;
import dev.mcpguard.core.throttle.RedisRateLimitStore;
import org.junit.jupiter.api.Test;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerJsonMapperAutoConfiguration;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStreamableServerTransportProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Each condition of {@link McpGuardAutoConfiguration}, with {@code ApplicationContextRunner}. */
class McpGuardAutoConfigurationTest {

    /** SHA-256 of "test-key", so the filter has a way to authenticate without an IdP. */
    static final String KEY_HASH = "62af8704764faf8ea82fc61ce9c4c3908b6cb97d463a634e9e587d7c885db0ef";

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(McpServerJsonMapperAutoConfiguration.class,
                    McpGuardAutoConfiguration.class))
            .withPropertyValues("spring.ai.mcp.server.protocol=STREAMABLE",
                    "mcp.guard.identity.api-keys[0].id=ops", "mcp.guard.identity.api-keys[0].sha256=" + KEY_HASH,
                    "mcp.guard.identity.api-keys[0].subject=ops-bot");

    @Test
    void buildsTheGuardFromPropertiesAroundTheApplicationsPolicyEngine() {
        runner.withUserConfiguration(UserPolicy.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(McpGuard.class)
                    .hasSingleBean(WebMvcStreamableServerTransportProvider.class)
                    .hasBean("mcpGuardHttpFilter").doesNotHaveBean(McpGuardPolicy.class);
            assertThat(context.getBean(McpGuard.class).chainOrder())
                    .containsExactly("audit", "identity", "session", "definitions", "arguments", "policy", "obligations",
                            "throttle");
            assertThat(context.getBean(AuditSink.class)).isInstanceOf(Slf4jAuditSink.class);
            assertThat(context.getBean("mcpGuardHttpFilter", FilterRegistrationBean.class).getUrlPatterns())
                    .contains("/mcp", "/.well-known/oauth-protected-resource");
        });
    }

    @Test
    void aGuardrailsBeanPutsTheGuardrailsStepBeforePolicy() {
        runner.withUserConfiguration(UserPolicy.class, UserGuardrails.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(McpGuard.class).chainOrder())
                    .containsSubsequence("arguments", "guardrails", "policy");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserGuardrails {
        @Bean
        dev.mcpguard.core.guardrails.Guardrails guardrails() {
            return dev.mcpguard.core.guardrails.Guardrails.builder()
                    .results(dev.mcpguard.core.guardrails.Guardrails.Check.PERSONAL_DATA).build();
        }
    }

    @Test
    void backsOffForTheApplicationsOwnBeans() {
        runner.withUserConfiguration(UserPolicy.class, UserAudit.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(AuditSink.class)).isSameAs(context.getBean(UserAudit.class).sink);
        });
    }

    @Test
    void isOffEntirelyWhenDisabled() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues("mcp.guard.enabled=false").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(McpGuard.class).doesNotHaveBean("mcpGuardHttpFilter")
                    .doesNotHaveBean(GuardingToolsPostProcessor.class);
        });
    }

    @Test
    void isOffWithoutSpringAisWebMvcTransport() {
        runner.withUserConfiguration(UserPolicy.class)
                .withClassLoader(new FilteredClassLoader(WebMvcStreamableServerTransportProvider.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(McpGuard.class));
    }

    @Test
    void runsWithoutTheOptionalLibraries() {
        runner.withUserConfiguration(UserPolicy.class)
                .withClassLoader(new FilteredClassLoader("org.springframework.security", "io.lettuce",
                        "io.github.bucket4j.redis", "com.google.crypto.tink"))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(McpGuard.class));
    }

    @Test
    void aRedisUrlSharesRevocationsAndRateLimitsThroughARealRedis() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            String url = "mcp.guard.redis.url=" + redis.uri();
            runner.withUserConfiguration(UserPolicy.class).withPropertyValues(url).run(first ->
                    runner.withUserConfiguration(UserPolicy.class).withPropertyValues(url).run(second -> {
                        assertThat(first).hasNotFailed().hasSingleBean(RedisRevocationList.class)
                                .hasSingleBean(RedisRateLimitStore.class);
                        assertThat(first.getBean(RedisRateLimitStore.class).ping()).isTrue();

                        // A revocation made on one replica is seen by the other one's session registry.
                        first.getBean(RedisRevocationList.class).add(new Revocation(Revocation.Kind.SUBJECT,
                                "mallory", java.time.Instant.now().plusSeconds(600)));
                        Eventually.within(java.time.Duration.ofSeconds(10), "the revocation reaches replica two",
                                () -> second.getBean(RevocationList.class)
                                        .contains(Revocation.Kind.SUBJECT, "mallory"));
                    }));
        }
    }

    @Test
    void aRedisUrlWithoutLettuceLeavesTheStateLocal() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues("mcp.guard.redis.url=redis://127.0.0.1:1")
                .withClassLoader(new FilteredClassLoader("io.lettuce", "io.github.bucket4j.redis"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedisRevocationList.class)
                        .hasSingleBean(McpGuard.class));
    }

    @Test
    void aRedisUrlOfAnotherSchemeFailsStartUpNamingTheProperty() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues("mcp.guard.redis.url=http://cache:6379")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("mcp.guard.redis.url"));
    }

    @Test
    void aBadValueFailsStartUpNamingTheProperty() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues("mcp.guard.throttle.calls-per-minute=-1")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("mcp.guard.throttle.calls-per-minute"));
    }

    @Test
    void aMissingPolicyBundleFailsStartUpNamingTheProperty() {
        runner.run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                .hasMessageContaining("mcp.guard.policy.bundle"));
    }

    @Test
    void theReferenceBundleServesWithoutAcceptingAnyDivergentBuiltinAndAnUnknownNameFailsStartUp() {
        java.nio.file.Path example = java.nio.file.Path.of("..", "mcp-guard-examples", "src", "main", "resources",
                "policy").toAbsolutePath();
        String bundle = "mcp.guard.policy.bundle=file:" + example.resolve("orders-bundle.tar.gz");
        String key = "mcp.guard.policy.public-key=file:" + example.resolve("demo-signing-public.pem");
        // Every divergent compiled-in builtin the reference policy calls is supplied by the host (docs/policy.md).
        runner.withPropertyValues(bundle, key).run(context -> assertThat(context).hasNotFailed());
        runner.withPropertyValues(bundle, key, "mcp.guard.policy.accept-divergent-builtins=ceil,sprintf")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("mcp.guard.policy.accept-divergent-builtins").hasMessageContaining("sprintf"));
    }

    @Test
    void anEvaluationDeadlineOutsideItsRangeFailsStartUpNamingThePropertyAndAValidOneServes() {
        java.nio.file.Path example = java.nio.file.Path.of("..", "mcp-guard-examples", "src", "main", "resources",
                "policy").toAbsolutePath();
        String bundle = "mcp.guard.policy.bundle=file:" + example.resolve("orders-bundle.tar.gz");
        String key = "mcp.guard.policy.public-key=file:" + example.resolve("demo-signing-public.pem");
        String accepted = "mcp.guard.policy.accept-divergent-builtins=ceil,concat,div,floor,indexof,minus,mul,"
                + "numbers.range,plus,regex.match,rem,round,substring,sum";
        for (String bad : new String[] {"0s", "500us", "11m"}) {
            runner.withPropertyValues(bundle, key, accepted, "mcp.guard.policy.evaluation-deadline=" + bad)
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("mcp.guard.policy.evaluation-deadline")
                            .hasMessageContaining("between 1 ms and 10 minutes"));
        }
        runner.withPropertyValues(bundle, key, accepted, "mcp.guard.policy.evaluation-deadline=250ms")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(McpGuardPolicy.class);
                    assertThat(context.getBean(McpGuardProperties.class).policy().evaluationDeadline())
                            .isEqualTo(java.time.Duration.ofMillis(250));
                    assertThat(context.getBean(McpGuardPolicy.class).embedded()).isPresent();
                });
        runner.withPropertyValues(bundle, key, accepted).run(context -> assertThat(context
                .getBean(McpGuardProperties.class).policy().evaluationDeadline()).isEqualTo(java.time.Duration.ofSeconds(1)));
    }

    @Test
    void aWarmUpOutsideItsRangeFailsStartUpNamingThePropertyAndZeroServesWithoutWarmUp() {
        java.nio.file.Path example = java.nio.file.Path.of("..", "mcp-guard-examples", "src", "main", "resources",
                "policy").toAbsolutePath();
        String bundle = "mcp.guard.policy.bundle=file:" + example.resolve("orders-bundle.tar.gz");
        String key = "mcp.guard.policy.public-key=file:" + example.resolve("demo-signing-public.pem");
        String accepted = "mcp.guard.policy.accept-divergent-builtins=ceil,concat,div,floor,indexof,minus,mul,"
                + "numbers.range,plus,regex.match,rem,round,substring,sum";
        for (String bad : new String[] {"-1s", "2m"}) {
            runner.withPropertyValues(bundle, key, accepted, "mcp.guard.policy.warm-up=" + bad)
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("mcp.guard.policy.warm-up")
                            .hasMessageContaining("between 0 and 1 minute"));
        }
        runner.withPropertyValues(bundle, key, accepted, "mcp.guard.policy.warm-up=0s")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(McpGuardPolicy.class);
                    assertThat(context.getBean(McpGuardProperties.class).policy().warmUp())
                            .isEqualTo(java.time.Duration.ZERO);
                });
        runner.withPropertyValues(bundle, key, accepted).run(context -> assertThat(context
                .getBean(McpGuardProperties.class).policy().warmUp()).isEqualTo(java.time.Duration.ofSeconds(2)));
    }

    @Test
    void theVerifiedTokenCacheSizesComeFromPropertiesAndAValueOutOfRangeFailsStartUpNamingIt() {
        runner.withUserConfiguration(UserPolicy.class).run(context -> {
            McpGuardProperties.Jwt jwt = context.getBean(McpGuardProperties.class).identity().jwt();
            assertThat(jwt.verifiedTokenCacheSize())
                    .isEqualTo(dev.mcpguard.core.identity.JwtIdentityResolver.DEFAULT_VERIFIED_TOKEN_CACHE_SIZE);
            assertThat(jwt.verifiedTokensPerPrincipal())
                    .isEqualTo(dev.mcpguard.core.identity.JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL);
        });
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues(
                        "mcp.guard.identity.issuer=https://idp.example.com/realms/orders",
                        "mcp.guard.identity.jwks-uri=https://idp.example.com/realms/orders/certs",
                        "mcp.guard.identity.jwt.verified-token-cache-size=0",
                        "mcp.guard.identity.jwt.verified-tokens-per-principal=16")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    McpGuardProperties.Jwt jwt = context.getBean(McpGuardProperties.class).identity().jwt();
                    assertThat(jwt.verifiedTokenCacheSize()).isZero();
                    assertThat(jwt.verifiedTokensPerPrincipal()).isEqualTo(16);
                });
        for (String bad : new String[] {"verified-token-cache-size=-1", "verified-token-cache-size=1000001",
                "verified-tokens-per-principal=0", "verified-tokens-per-principal=65"}) {
            runner.withUserConfiguration(UserPolicy.class).withPropertyValues("mcp.guard.identity.jwt." + bad)
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("mcp.guard.identity.jwt." + bad.substring(0, bad.indexOf('='))));
        }
    }

    static final String SECRET = "client-secret-that-must-not-show";

    static final String[] TWO_ISSUERS = {
            "mcp.guard.resource=https://orders.example.com/mcp",
            "mcp.guard.identity.issuer=https://kc.example.com/realms/acme",
            "mcp.guard.identity.jwks-uri=https://kc.example.com/realms/acme/protocol/openid-connect/certs",
            "mcp.guard.identity.issuers.partner.issuer=https://login.partner.example",
            "mcp.guard.identity.issuers.partner.jwks-uri=https://login.partner.example/keys",
            "mcp.guard.identity.issuers.partner.audiences=api://orders",
            "mcp.guard.identity.issuers.partner.claims.roles=/resource_access/orders.api/roles,groups",
            "mcp.guard.identity.issuers.partner.introspection.client-id=orders-mcp",
            "mcp.guard.identity.issuers.partner.introspection.client-secret=" + SECRET,
            "mcp.guard.identity.issuers.partner.introspection.endpoint=https://login.partner.example/introspect",
            "mcp.guard.identity.issuers.partner.introspection.also-for-jwts=true",
            "mcp.guard.identity.issuers.partner.introspection.cache-ttl=10s",
            "mcp.guard.cors.allowed-origins=https://inspector.example"};

    @Test
    void severalIssuersWithIntrospectionBindWithoutTheSecretInTheirText() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues(TWO_ISSUERS).run(context -> {
            assertThat(context).hasNotFailed().hasBean("mcpGuardHttpFilter");
            McpGuardProperties properties = context.getBean(McpGuardProperties.class);
            assertThat(properties.identity().allIssuers()).containsOnlyKeys("mcp.guard.identity",
                    "mcp.guard.identity.issuers.partner");
            McpGuardProperties.Issuer partner = properties.identity().issuers().get("partner");
            assertThat(partner.claims().roles()).containsExactly("/resource_access/orders.api/roles", "groups");
            assertThat(partner.introspection().enabled()).isTrue();
            assertThat(partner.introspection().cacheTtl()).isEqualTo(java.time.Duration.ofSeconds(10));
            assertThat(properties.identity().introspection().enabled()).isFalse();
            assertThat(properties.cors().allowedOrigins()).containsExactly("https://inspector.example");
            assertThat(properties.toString()).contains("orders-mcp").doesNotContain(SECRET);
            assertThat(context.getBean("mcpGuardHttpFilter", FilterRegistrationBean.class).getFilter().toString())
                    .doesNotContain(SECRET);
        });
    }

    @Test
    void aBadIssuerOrIntrospectionSettingFailsStartUpNamingThePropertyAndNeverTheSecret() {
        java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("mcp.guard.identity.issuers.partner.claims.roles=realm_access..roles",
                "mcp.guard.identity.issuers.partner.claims.roles");
        bad.put("mcp.guard.identity.issuers.partner.claims.tenant=/bad~2pointer", "mcp.guard.identity.issuers.partner.claims.tenant");
        bad.put("mcp.guard.identity.issuers.partner.introspection.cache-ttl=6m",
                "mcp.guard.identity.issuers.partner.introspection.cache-ttl");
        bad.put("mcp.guard.identity.issuers.partner.introspection.client-secret=",
                "mcp.guard.identity.issuers.partner.introspection.client-secret");
        bad.put("mcp.guard.identity.issuers.partner.introspection.endpoint=/introspect",
                "mcp.guard.identity.issuers.partner.introspection.endpoint");
        bad.put("mcp.guard.identity.issuers.partner.issuer=https://kc.example.com/realms/acme",
                "mcp.guard.identity.issuers.partner.issuer");
        bad.put("mcp.guard.identity.issuers.partner.issuer=urn:partner", "mcp.guard.identity.issuers.partner.issuer");
        bad.put("mcp.guard.cors.allowed-origins=*", "mcp.guard.cors.allowed-origins");
        bad.put("mcp.guard.cors.allowed-origins=https://inspector.example/app", "mcp.guard.cors.allowed-origins");
        bad.forEach((setting, property) -> runner.withUserConfiguration(UserPolicy.class)
                .withPropertyValues(TWO_ISSUERS).withPropertyValues(setting)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining(property).message().doesNotContain(SECRET)));
        // Introspection settings without a client id are refused too, rather than silently ignored.
        runner.withUserConfiguration(UserPolicy.class)
                .withPropertyValues("mcp.guard.identity.issuer=https://kc.example.com/realms/acme",
                        "mcp.guard.identity.jwks-uri=https://kc.example.com/certs",
                        "mcp.guard.identity.introspection.also-for-jwts=true")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("mcp.guard.identity.introspection.client-id"));
    }

    @Test
    void anIssuerWhoseMetadataNamesAnotherIssuerFailsStartUpNamingThePropertyThroughCoresDiscovery() {
        no.nav.security.mock.oauth2.MockOAuth2Server idp = StarterEdgeOverHttpTest.startWarmedIdp();
        try {
            // The document at <issuer>/.well-known/openid-configuration names the issuer without the slash.
            runner.withUserConfiguration(UserPolicy.class)
                    .withPropertyValues("mcp.guard.identity.issuer=" + idp.issuerUrl("acme") + "/")
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("mcp.guard.identity.issuer")
                            .hasMessageContaining("names another issuer"));
            runner.withUserConfiguration(UserPolicy.class)
                    .withPropertyValues("mcp.guard.identity.issuers.partner.issuer=" + idp.issuerUrl("partner"),
                            "mcp.guard.identity.issuers.partner.introspection.client-id=orders-mcp",
                            "mcp.guard.identity.issuers.partner.introspection.client-secret=" + SECRET,
                            "mcp.guard.identity.issuer=http://127.0.0.1:1/unreachable")
                    .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("mcp.guard.identity.issuer").message().doesNotContain(SECRET));
            runner.withUserConfiguration(UserPolicy.class)
                    .withPropertyValues("mcp.guard.identity.issuer=" + idp.issuerUrl("acme"),
                            "mcp.guard.identity.issuers.partner.issuer=" + idp.issuerUrl("partner"),
                            "mcp.guard.identity.issuers.partner.introspection.client-id=orders-mcp",
                            "mcp.guard.identity.issuers.partner.introspection.client-secret=" + SECRET)
                    .run(context -> assertThat(context).hasNotFailed());
        } finally {
            idp.shutdown();
        }
    }

    @Test
    void noWayToAuthenticateFailsStartUpNamingTheProperty() {
        new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(McpServerJsonMapperAutoConfiguration.class,
                        McpGuardAutoConfiguration.class))
                .withUserConfiguration(UserPolicy.class)
                .withPropertyValues("spring.ai.mcp.server.protocol=STREAMABLE", "mcp.guard.resource=https://orders.example.com/mcp")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("mcp.guard.identity.issuer"));
    }

    @Test
    void refusesSpringAisDefaultSseProtocolRatherThanRunUnguarded() {
        runner.withUserConfiguration(UserPolicy.class).withPropertyValues("spring.ai.mcp.server.protocol=SSE")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("spring.ai.mcp.server.protocol"));
    }

    @Test
    void theSdkOnTheClassPathIsOneConsistentSetAtMcpGuardsVersion() {
        McpSdkVersionCheck check = McpSdkVersionCheck.of(getClass().getClassLoader()).verify(getClass().getClassLoader());

        assertThat(McpSdkVersionCheck.expectedVersion()).isEqualTo("2.1.0");
        assertThat(check.found()).containsKeys("mcp", "mcp-core", "mcp-json-jackson3")
                .allSatisfy((artifact, versions) -> assertThat(versions).containsExactly("2.1.0"));
    }

    @Configuration(proxyBeanMethods = false)
    static class UserPolicy {
        @Bean
        PolicyEngine policyEngine() {
            return request -> Decision.allow(request.decisionId());
        }
    }

    @Test
    void anOpenTelemetryBeanPutsTheTelemetryStepsAroundTheChain() {
        runner.withUserConfiguration(UserPolicy.class, UserOpenTelemetry.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(McpGuard.class).chainOrder()).startsWith("telemetry", "audit")
                    .endsWith("telemetry.execute");
        });
    }

    @Test
    void withoutTheOpenTelemetryApiOrBeanTheChainHasNoTelemetry() {
        runner.withUserConfiguration(UserPolicy.class).run(context -> assertThat(
                context.getBean(McpGuard.class).chainOrder()).doesNotContain("telemetry", "telemetry.execute"));
        runner.withUserConfiguration(UserPolicy.class)
                .withClassLoader(new FilteredClassLoader("io.opentelemetry"))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean("mcpGuardOpenTelemetry");
                    assertThat(context.getBean(McpGuard.class).chainOrder()).first().isEqualTo("audit");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserOpenTelemetry {
        @Bean(destroyMethod = "close")
        io.opentelemetry.sdk.OpenTelemetrySdk openTelemetry() {
            return io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(
                    io.opentelemetry.sdk.trace.SdkTracerProvider.builder().addSpanProcessor(
                            io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(
                                    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create())).build())
                    .build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserAudit {
        final AuditSink sink = record -> { };

        @Bean
        AuditSink auditSink() {
            return sink;
        }
    }
}
