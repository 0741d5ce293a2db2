package dev.mcpguard.spring.actuator;

import dev.mcpguard.api.spi.AuditSink;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Decorates every {@link AuditSink} bean with a {@link MeteredAuditSink}, so the guard built from that bean
 * meters each call without the user wiring anything. The registry is looked up when the first sink is decorated,
 * not when this post-processor is created. A sink bean must be injected as {@code AuditSink} (the decorated bean
 * is no longer its concrete class). Thread-safe.
 */
final class MeteredAuditSinkPostProcessor implements BeanPostProcessor {

    private final ObjectProvider<MeterRegistry> registry;

    MeteredAuditSinkPostProcessor(ObjectProvider<MeterRegistry> registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof AuditSink sink && !(bean instanceof MeteredAuditSink)) {
            MeterRegistry meters = registry.getIfAvailable();
            return meters == null ? bean : MeteredAuditSink.decorate(sink, meters);
        }
        return bean;
    }
}
