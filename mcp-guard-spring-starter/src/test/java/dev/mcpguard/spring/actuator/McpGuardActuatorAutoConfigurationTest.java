package dev.mcpguard.spring.actuator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.session.RedisRevocationList;
import dev.mcpguard.core.testing.RecordingAuditSink;
import dev.mcpguard.core.testing.RedisServer;
import dev.mcpguard.core.throttle.RedisRateLimitStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class McpGuardActuatorAutoConfigurationTest {

    static final Path EXAMPLE_BUNDLE = Path.of("..", "mcp-guard-examples", "src", "main", "resources", "policy");

    /** Without Boot's lenient enum conversion (a running application has it), access is written in upper case. */
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(McpGuardActuatorAutoConfiguration.class,
                    MetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    @Test
    void guardBeanGetsHealthAndMetersButNoAdminEndpointByDefault() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class).run(context -> {
            assertThat(context).hasSingleBean(McpGuardHealthIndicator.class).hasSingleBean(McpGuardPolicyMeters.class)
                    .doesNotHaveBean(McpGuardEndpoint.class);
            assertThat(context.getBean(AuditSink.class)).isInstanceOf(MeteredAuditSink.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(McpGuardPolicyMeters.BREAKER_STATE).tags("state", "closed").gauge().value())
                    .isEqualTo(1.0);
            assertThat(registry.get(McpGuardPolicyMeters.BREAKER_STATE).tags("state", "open").gauge().value())
                    .isEqualTo(0.0);
            assertThat(registry.get(McpGuardPolicyMeters.DECISIONS).tags("outcome", "allow").functionCounter())
                    .isNotNull();
        });
    }

    @Test
    void adminEndpointNeedsBothAccessAndExposure() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("management.endpoints.web.exposure.include=mcpguard")
                .run(context -> assertThat(context).doesNotHaveBean(McpGuardEndpoint.class));
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("management.endpoint.mcpguard.access=UNRESTRICTED")
                .run(context -> assertThat(context).doesNotHaveBean(McpGuardEndpoint.class));
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("management.endpoints.web.exposure.include=mcpguard",
                        "management.endpoint.mcpguard.access=UNRESTRICTED")
                .run(context -> assertThat(context).hasSingleBean(McpGuardEndpoint.class));
    }

    @Test
    void backsOffForTheUsersOwnBeans() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class, UsersOwnBeans.class)
                .withPropertyValues("management.endpoints.web.exposure.include=mcpguard",
                        "management.endpoint.mcpguard.access=UNRESTRICTED")
                .run(context -> {
                    assertThat(context.getBean("mcpGuardHealthIndicator")).isSameAs(UsersOwnBeans.HEALTH);
                    assertThat(context).getBeans(McpGuardPolicyMeters.class).hasSize(1)
                            .containsKey("usersPolicyMeters");
                    assertThat(context).getBeans(McpGuardEndpoint.class).hasSize(1).containsKey("usersEndpoint");
                });
    }

    @Test
    void disabledFlagTurnsItAllOff() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("mcp.guard.enabled=false", "management.endpoints.web.exposure.include=mcpguard",
                        "management.endpoint.mcpguard.access=UNRESTRICTED")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(McpGuardHealthIndicator.class)
                            .doesNotHaveBean(McpGuardPolicyMeters.class).doesNotHaveBean(McpGuardEndpoint.class)
                            .doesNotHaveBean(MeteredAuditSinkPostProcessor.class);
                    assertThat(context.getBean(AuditSink.class)).isInstanceOf(RecordingAuditSink.class);
                });
    }

    @Test
    void healthIndicatorCanBeSwitchedOffAlone() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("management.health.mcpguard.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(McpGuardHealthIndicator.class)
                        .hasSingleBean(McpGuardPolicyMeters.class));
    }

    @Test
    void nothingWithoutAGuard() {
        runner.withBean(AuditSink.class, RecordingAuditSink::new)
                .withPropertyValues("management.endpoints.web.exposure.include=mcpguard",
                        "management.endpoint.mcpguard.access=UNRESTRICTED")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(McpGuardHealthIndicator.class)
                        .doesNotHaveBean(McpGuardPolicyMeters.class).doesNotHaveBean(McpGuardEndpoint.class));
    }

    @Test
    void metersCanBeSwitchedOffWithBootsMetricsEnableProperty() {
        AuditRecord call = MeteredAuditSinkTest.record("alice", "get_order", AuditRecord.Verdict.ALLOW, null,
                AuditRecord.Outcome.SUCCESS, 10);
        runner.withUserConfiguration(GuardWithResilientPolicy.class).run(context -> {
            context.getBean(AuditSink.class).write(call);
            assertThat(context.getBean(MeterRegistry.class).find(MeteredAuditSink.CALLS).meters()).hasSize(1);
        });
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withPropertyValues("management.metrics.enable.mcp.guard=false")
                .run(context -> {
                    context.getBean(AuditSink.class).write(call);
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.find(MeteredAuditSink.CALLS).meters()).isEmpty();
                    assertThat(registry.find(McpGuardPolicyMeters.BREAKER_STATE).meters()).isEmpty();
                    assertThat(((RecordingAuditSink) ((MeteredAuditSink) context.getBean(AuditSink.class)).delegate())
                            .records()).hasSize(1);
                });
    }

    @Test
    void withoutMicrometerThereAreNoMetersAndTheSinkStaysAsItIs() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(McpGuardPolicyMeters.class)
                            .doesNotHaveBean(MeteredAuditSinkPostProcessor.class)
                            .hasSingleBean(McpGuardHealthIndicator.class);
                    assertThat(context.getBean(AuditSink.class)).isInstanceOf(RecordingAuditSink.class);
                });
    }

    @Test
    void withoutSpringBootHealthThereIsNoIndicator() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(McpGuardHealthIndicator.class)
                        .hasSingleBean(McpGuardPolicyMeters.class));
    }

    @Test
    void withoutLettuceNoRedisIsProbed() {
        runner.withUserConfiguration(GuardWithResilientPolicy.class)
                .withClassLoader(new FilteredClassLoader("io.lettuce"))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(RedisProbe.class);
                    assertThat(health(context.getBean(McpGuardHealthIndicator.class)).getDetails())
                            .doesNotContainKey("redis");
                });
    }

    @Test
    void healthIsDownWithoutAPolicy() {
        runner.withBean(AuditSink.class, RecordingAuditSink::new)
                .withBean(McpGuard.class, () -> McpGuard.builder().serverName("orders")
                        .auditSink(new RecordingAuditSink()).build())
                .run(context -> {
                    Health health = health(context.getBean(McpGuardHealthIndicator.class));
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(detail(health, "policy")).containsEntry("reason", "no_policy_configured")
                            .containsEntry("loaded", false);
                });
    }

    @Test
    void healthNamesTheLoadedBundleRevisionAndTheWritableAuditFile(@TempDir Path dir) throws Exception {
        OpaWasmPolicyEngine opa = OpaWasmPolicyEngine.builder()
                .bundleSource(BundleSource.file(EXAMPLE_BUNDLE.resolve("orders-bundle.tar.gz")))
                .verification(BundleVerification.publicKey(
                        Files.readString(EXAMPLE_BUNDLE.resolve("demo-signing-public.pem"))))
                .build();
        JsonlFileAuditSink file = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl")).build();
        try (opa; file) {
            McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(ResilientPolicyEngine.ofDefaults(opa))
                    .auditSink(file).build();
            McpGuardHealthIndicator indicator = new McpGuardHealthIndicator(guard, java.util.List.of());

            Health notLoaded = health(indicator);
            assertThat(notLoaded.getStatus()).isEqualTo(Status.DOWN);
            assertThat(detail(notLoaded, "policy")).containsEntry("loaded", false);

            assertThat(opa.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            Health loaded = health(indicator);
            assertThat(loaded.getStatus()).isEqualTo(Status.UP);
            assertThat(detail(loaded, "policy")).containsEntry("engine", "OpaWasmPolicyEngine")
                    .containsEntry("loaded", true).containsEntry("revision", opa.currentRevision().orElseThrow())
                    .containsEntry("breaker", "CLOSED");
            assertThat(detail(loaded, "audit")).containsEntry("sink", "JsonlFileAuditSink")
                    .containsEntry("writable", true);
        }
    }

    @Test
    void healthPingsEachRedisTheGuardUsesAndIsDownWhenOneIsUnreachable() throws Exception {
        try (RedisServer redis = RedisServer.start();
             RedisRevocationList revocations = RedisRevocationList.builder(redis.uri()).build();
             RedisRateLimitStore limits = RedisRateLimitStore.builder(redis.uri()).build()) {
            runner.withUserConfiguration(GuardWithResilientPolicy.class)
                    .withBean(RedisRevocationList.class, () -> revocations, d -> d.setDestroyMethodName(""))
                    .withBean(RedisRateLimitStore.class, () -> limits, d -> d.setDestroyMethodName(""))
                    .run(context -> {
                        McpGuardHealthIndicator indicator = context.getBean(McpGuardHealthIndicator.class);
                        Health up = health(indicator);
                        assertThat(up.getStatus()).isEqualTo(Status.UP);
                        assertThat(detail(up, "redis")).containsEntry("revocations", "UP")
                                .containsEntry("rate-limits", "UP");

                        redis.kill();
                        Health down = health(indicator);
                        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(detail(down, "redis")).containsEntry("revocations", "DOWN")
                                .containsEntry("rate-limits", "DOWN");
                    });
        }
    }

    private static Health health(McpGuardHealthIndicator indicator) {
        return indicator.health();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> detail(Health health, String key) {
        return (Map<String, Object>) health.getDetails().get(key);
    }

    static PolicyEngine readOnlyTools() {
        return request -> Decision.allow(request.decisionId());
    }

    @Configuration(proxyBeanMethods = false)
    static class GuardWithResilientPolicy {
        @Bean
        AuditSink auditSink() {
            return new RecordingAuditSink();
        }

        @Bean
        McpGuard mcpGuard(AuditSink auditSink) {
            return McpGuard.builder().serverName("orders")
                    .policyEngine(ResilientPolicyEngine.ofDefaults(readOnlyTools())).auditSink(auditSink).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UsersOwnBeans {
        static final HealthIndicator HEALTH = () -> Health.up().build();

        @Bean
        HealthIndicator mcpGuardHealthIndicator() {
            return HEALTH;
        }

        @Bean
        McpGuardPolicyMeters usersPolicyMeters(McpGuard guard) {
            return new McpGuardPolicyMeters(guard);
        }

        @Bean
        McpGuardEndpoint usersEndpoint(McpGuard guard) {
            return new McpGuardEndpoint(dev.mcpguard.core.session.InMemorySessionRegistry.ofDefaults());
        }
    }
}
