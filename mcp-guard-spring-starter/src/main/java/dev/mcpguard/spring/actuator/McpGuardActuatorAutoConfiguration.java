package dev.mcpguard.spring.actuator;

import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.session.RedisRevocationList;
import dev.mcpguard.core.session.SessionAdmin;
import dev.mcpguard.core.throttle.RedisRateLimitStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Operations for an {@link McpGuard} bean, each part only when its library is on the class path:
 * <ul>
 *   <li>a health indicator {@code mcpGuard} ({@link McpGuardHealthIndicator}; {@code spring-boot-health},
 *       off with {@code management.health.mcpguard.enabled=false});</li>
 *   <li>Micrometer meters ({@link MeteredAuditSink} around every {@code AuditSink} bean,
 *       {@link McpGuardPolicyMeters}; {@code micrometer-core});</li>
 *   <li>the {@code mcpguard} admin endpoint ({@link McpGuardEndpoint}; {@code spring-boot-actuator-autoconfigure}),
 *       off unless its access is granted and it is exposed.</li>
 * </ul>
 * Every bean backs off for a user bean of its type; {@code mcp.guard.enabled=false} turns it all off. Runs after
 * the starter's main auto-configuration, which defines the guard.
 */
@AutoConfiguration(afterName = {"dev.mcpguard.spring.McpGuardAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnProperty(prefix = "mcp.guard", name = "enabled", havingValue = "true", matchIfMissing = true)
public class McpGuardActuatorAutoConfiguration {

    /** The health indicator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnBean(McpGuard.class)
    @ConditionalOnEnabledHealthIndicator("mcpguard")
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "mcpGuardHealthIndicator")
        McpGuardHealthIndicator mcpGuardHealthIndicator(McpGuard guard, ObjectProvider<RedisProbe> redis) {
            return new McpGuardHealthIndicator(guard, redis.orderedStream().toList());
        }
    }

    /** Redis for revocations, when a {@link RedisRevocationList} bean exists. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.lettuce.core.RedisClient")
    static class RevocationRedisConfiguration {

        @Bean
        @ConditionalOnBean(RedisRevocationList.class)
        @ConditionalOnMissingBean(name = "mcpGuardRevocationsRedisProbe")
        RedisProbe mcpGuardRevocationsRedisProbe(ObjectProvider<RedisRevocationList> lists) {
            List<RedisRevocationList> all = lists.orderedStream().toList();
            return new RedisProbe("revocations", () -> all.stream().allMatch(RedisRevocationList::ping));
        }
    }

    /** Redis for rate limits, when a {@link RedisRateLimitStore} bean exists. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.lettuce.core.RedisClient", "io.github.bucket4j.redis.lettuce.Bucket4jLettuce"})
    static class RateLimitRedisConfiguration {

        @Bean
        @ConditionalOnBean(RedisRateLimitStore.class)
        @ConditionalOnMissingBean(name = "mcpGuardRateLimitsRedisProbe")
        RedisProbe mcpGuardRateLimitsRedisProbe(ObjectProvider<RedisRateLimitStore> stores) {
            List<RedisRateLimitStore> all = new ArrayList<>(stores.orderedStream().toList());
            return new RedisProbe("rate-limits", () -> all.stream().allMatch(RedisRateLimitStore::ping));
        }
    }

    /** Micrometer meters. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class MetricsConfiguration {

        /** Static: it must exist before the audit sink beans it decorates. */
        @Bean
        static MeteredAuditSinkPostProcessor mcpGuardMeteredAuditSinkPostProcessor(
                ObjectProvider<MeterRegistry> registry) {
            return new MeteredAuditSinkPostProcessor(registry);
        }

        @Bean
        @ConditionalOnBean(McpGuard.class)
        @ConditionalOnMissingBean
        McpGuardPolicyMeters mcpGuardPolicyMeters(McpGuard guard) {
            return new McpGuardPolicyMeters(guard);
        }
    }

    /**
     * Masks introspection client secrets ({@code mcp.guard.identity[.issuers[n]].introspection.client-secret},
     * from any property source, environment variables included) in the {@code env} and {@code configprops}
     * endpoints even when an operator sets {@code show-values=always}. Any key whose name, without separators,
     * ends in {@code clientsecret} is masked, whoever it belongs to.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(SanitizingFunction.class)
    static class SanitizingConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "mcpGuardClientSecretSanitizer")
        SanitizingFunction mcpGuardClientSecretSanitizer() {
            return SanitizingFunction.sanitizeValue().ifMatches(data -> isClientSecret(data.getLowerCaseKey()));
        }

        static boolean isClientSecret(String lowerCaseKey) {
            return lowerCaseKey != null && lowerCaseKey.replaceAll("[^a-z0-9]", "").endsWith("clientsecret");
        }
    }

    /** The admin endpoint. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
    @ConditionalOnBean(McpGuard.class)
    @ConditionalOnAvailableEndpoint(McpGuardEndpoint.class)
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        McpGuardEndpoint mcpGuardEndpoint(McpGuard guard) {
            if (!(guard.sessionRegistry() instanceof SessionAdmin admin)) {
                throw new IllegalStateException("management.endpoint.mcpguard is exposed but the guard's session "
                        + "registry (" + guard.sessionRegistry().getClass().getName() + ") is not a SessionAdmin: "
                        + "use InMemorySessionRegistry or turn the endpoint off");
            }
            return new McpGuardEndpoint(admin);
        }
    }
}
