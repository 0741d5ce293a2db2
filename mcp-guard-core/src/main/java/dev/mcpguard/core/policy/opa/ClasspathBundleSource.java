package dev.mcpguard.core.policy.opa;

import java.io.IOException;
import java.net.URLConnection;
import java.util.Objects;
import java.util.Optional;

/**
 * A bundle read from a class loader resource; changes are detected by content digest, like
 * {@link FileBundleSource}. Thread-safe.
 */
final class ClasspathBundleSource implements BundleSource {

    private final String resourceName;
    private final ClassLoader classLoader;
    private final BundleChangeDetector changes;

    ClasspathBundleSource(String resourceName, ClassLoader classLoader, long maxBytes) {
        Objects.requireNonNull(resourceName, "resourceName");
        String name = resourceName.startsWith("/") ? resourceName.substring(1) : resourceName;
        if (name.isBlank()) {
            throw new IllegalArgumentException("resourceName must name a resource, got '" + resourceName + "'");
        }
        this.changes = new BundleChangeDetector(maxBytes);
        this.resourceName = name;
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
    }

    @Override
    public synchronized Optional<byte[]> fetchIfChanged() throws BundleException {
        var url = classLoader.getResource(resourceName);
        if (url == null) {
            throw new BundleException("bundle resource " + describe() + " is not on the classpath");
        }
        try {
            return changes.readIfChanged(() -> {
                URLConnection connection = url.openConnection();
                // A jar: URL is otherwise served from the JVM's jar cache, which would hide a replaced jar.
                connection.setUseCaches(false);
                return connection.getInputStream();
            }, "bundle resource " + describe());
        } catch (IOException e) {
            throw new BundleException("bundle resource " + describe() + " cannot be read: "
                    + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public String describe() {
        return "classpath:" + resourceName;
    }

    @Override
    public String toString() {
        return "ClasspathBundleSource[" + describe() + "]";
    }
}
