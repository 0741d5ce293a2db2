package dev.mcpguard.spring;

import dev.mcpguard.core.McpGuard;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.mcp.customizer.McpAsyncServerCustomizer;
import org.springframework.ai.mcp.customizer.McpSyncServerCustomizer;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Guards what Spring AI registers, as it is created, so the application declares no post-processor or customizer
 * of its own:
 * <ul>
 *   <li>every bean that is a list of tool specifications (of any of the SDK's four kinds): Spring AI's
 *       {@code toolSpecs} from {@code @McpTool} methods, {@code syncTools}/{@code asyncTools} from
 *       {@code ToolCallback} beans, and the application's own lists; each tool is wrapped once
 *       ({@link McpGuard#isGuarded} tools are left as they are);</li>
 *   <li>every {@link McpSyncServerCustomizer} and {@link McpAsyncServerCustomizer} bean, Spring AI's own
 *       (which sets {@code immediateExecution(true)} on servlet servers) included: it still runs first, then the
 *       guard adds the {@code tools/list} filter ({@link McpGuard#configure}). Nothing is replaced, so no
 *       second customizer and no {@code @Primary} are needed.</li>
 * </ul>
 * The guard is looked up when the first such bean is created, not when this post-processor is.
 *
 * <p>Thread-safe as the bean factory uses it.
 */
final class GuardingToolsPostProcessor implements BeanPostProcessor {

    private static final Logger log = LoggerFactory.getLogger(GuardingToolsPostProcessor.class);

    private final Supplier<McpGuard> guard;

    GuardingToolsPostProcessor(Supplier<McpGuard> guard) {
        this.guard = guard;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof GuardingCustomizers.Sync || bean instanceof GuardingCustomizers.Async) {
            return bean;
        }
        if (bean instanceof McpSyncServerCustomizer customizer) {
            return new GuardingCustomizers.Sync(customizer, guard);
        }
        if (bean instanceof McpAsyncServerCustomizer customizer) {
            return new GuardingCustomizers.Async(customizer, guard);
        }
        if (bean instanceof List<?> list && isToolSpecifications(list)) {
            McpGuard mcpGuard = guard.get();
            List<Object> guarded = list.stream().map(spec -> McpGuard.isGuarded(spec) ? spec : guard(mcpGuard, spec))
                    .toList();
            log.info("mcp-guard guards the {} tool(s) of bean '{}'", guarded.size(), beanName);
            return guarded;
        }
        return bean;
    }

    static boolean isToolSpecifications(List<?> list) {
        return !list.isEmpty() && list.stream().allMatch(e -> e instanceof McpServerFeatures.SyncToolSpecification
                || e instanceof McpServerFeatures.AsyncToolSpecification
                || e instanceof McpStatelessServerFeatures.SyncToolSpecification
                || e instanceof McpStatelessServerFeatures.AsyncToolSpecification);
    }

    private static Object guard(McpGuard guard, Object spec) {
        if (spec instanceof McpServerFeatures.SyncToolSpecification sync) {
            return guard.guard(sync);
        }
        if (spec instanceof McpServerFeatures.AsyncToolSpecification async) {
            return guard.guard(async);
        }
        if (spec instanceof McpStatelessServerFeatures.SyncToolSpecification sync) {
            return guard.guard(sync);
        }
        return guard.guard((McpStatelessServerFeatures.AsyncToolSpecification) spec);
    }
}
