package dev.mcpguard.core.policy.opa;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLConnection;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;

/**
 * A bundle read from a class loader resource; changes are detected by content digest, like
 * {@link FileBundleSource}. Thread-safe.
 */
final class ClasspathBundleSource implements BundleSource {

    private final String resourceName;
    private final ClassLoader classLoader;
    private final long maxBytes;
    private byte[] lastDigest;

    ClasspathBundleSource(String resourceName, ClassLoader classLoader, long maxBytes) {
        Objects.requireNonNull(resourceName, "resourceName");
        String name = resourceName.startsWith("/") ? resourceName.substring(1) : resourceName;
        if (name.isBlank()) {
            throw new IllegalArgumentException("resourceName must name a resource, got '" + resourceName + "'");
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.resourceName = name;
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized Optional<byte[]> fetchIfChanged() throws BundleException {
        var url = classLoader.getResource(resourceName);
        if (url == null) {
            throw new BundleException("bundle resource " + describe() + " is not on the classpath");
        }
        byte[] content;
        try {
            URLConnection connection = url.openConnection();
            // A jar: URL is otherwise served from the JVM's jar cache, which would hide a replaced jar.
            connection.setUseCaches(false);
            try (InputStream in = connection.getInputStream()) {
                content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            }
        } catch (IOException e) {
            throw new BundleException("bundle resource " + describe() + " cannot be read: "
                    + e.getClass().getSimpleName(), e);
        }
        if (content.length > maxBytes) {
            throw new BundleException("bundle resource " + describe() + " is over the limit of " + maxBytes + " bytes");
        }
        byte[] digest = BundleFileDigest.newDigest("SHA-256").digest(content);
        if (lastDigest != null && MessageDigest.isEqual(lastDigest, digest)) {
            return Optional.empty();
        }
        lastDigest = digest;
        return Optional.of(content);
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
