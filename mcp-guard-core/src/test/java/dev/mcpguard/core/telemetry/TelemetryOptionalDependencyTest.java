package dev.mcpguard.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry API is optional: a guard built without {@code openTelemetry(...)} works on a class path that
 * does not have it (no OpenTelemetry class is needed, so none is loaded), and its chain has no telemetry step.
 * The guard is built in a class loader holding this module's class path minus every {@code io.opentelemetry} jar.
 */
class TelemetryOptionalDependencyTest {

    @Test
    void aGuardWithoutOpenTelemetryBuildsAndGuardsWithoutTheApiOnTheClassPath() throws Throwable {
        List<URL> urls = new ArrayList<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.contains("io" + File.separator + "opentelemetry") && !entry.contains("opentelemetry-")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        assertThat(urls).hasSizeGreaterThan(10);
        try (URLClassLoader withoutOtel = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> withoutOtel.loadClass("io.opentelemetry.api.OpenTelemetry"))
                    .isInstanceOf(ClassNotFoundException.class);
            Class<?> guardClass = withoutOtel.loadClass("dev.mcpguard.core.McpGuard");
            Class<?> sinkClass = withoutOtel.loadClass("dev.mcpguard.api.spi.AuditSink");
            Object sink = Proxy.newProxyInstance(withoutOtel, new Class<?>[] {sinkClass}, (proxy, method, args) ->
                    switch (method.getName()) {
                        case "hashCode" -> 1;
                        case "equals" -> proxy == args[0];
                        case "toString" -> "sink";
                        default -> null;
                    });
            // Method handles, as compiled code links: Class.getMethod would resolve the parameter types of every
            // public method, openTelemetry(OpenTelemetry) included (reflection over the builder needs the API).
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builderClass = withoutOtel.loadClass("dev.mcpguard.core.McpGuard$Builder");
            Object builder = lookup.findStatic(guardClass, "builder", MethodType.methodType(builderClass)).invoke();
            lookup.findVirtual(builderClass, "serverName", MethodType.methodType(builderClass, String.class))
                    .invoke(builder, "orders");
            lookup.findVirtual(builderClass, "auditSink", MethodType.methodType(builderClass, sinkClass))
                    .invoke(builder, sink);
            Object guard = lookup.findVirtual(builderClass, "build", MethodType.methodType(guardClass)).invoke(builder);
            List<?> chainOrder = (List<?>) lookup.findVirtual(guardClass, "chainOrder",
                    MethodType.methodType(List.class)).invoke(guard);
            List<String> order = chainOrder.stream().map(String::valueOf).toList();
            assertThat(order).startsWith("audit", "identity").doesNotContain("telemetry", "telemetry.execute");
            lookup.findVirtual(guardClass, "close", MethodType.methodType(void.class)).invoke(guard);
        }
    }
}
