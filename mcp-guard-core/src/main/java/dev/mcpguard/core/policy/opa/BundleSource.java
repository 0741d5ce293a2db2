package dev.mcpguard.core.policy.opa;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an engine gets its policy bundle from: a file ({@link #file(Path)}), a resource shipped inside the
 * application's jar ({@link #classpath(String)}) or an HTTPS bundle server ({@link HttpsBundleSource}). A source only fetches bytes; reading and verifying them is the engine's job, so a
 * source never decides whether a bundle is trusted.
 *
 * <p>Implementations must be thread-safe; an engine calls {@link #fetchIfChanged()} from one thread at a time.
 */
public interface BundleSource {

    /**
     * Fetches the bundle if it changed since the last successful fetch.
     *
     * @return the new {@code .tar.gz} bytes, or empty when the bundle is unchanged
     * @throws BundleException when the bundle cannot be fetched (missing file, server error, timeout, too large)
     */
    Optional<byte[]> fetchIfChanged() throws BundleException;

    /**
     * Tells the source that the bytes its last {@link #fetchIfChanged()} returned were verified and loaded. A
     * source that remembers what it fetched to answer "unchanged" later (an HTTP {@code ETag}) commits it only
     * now, so a rejected download (truncated, badly signed) is fetched again instead of being reported unchanged.
     * The default does nothing.
     */
    default void accepted() {
    }

    /** Where the bundle comes from, for logs: a path or a URL without query string or credentials. */
    String describe();

    /**
     * A bundle file on the local file system, re-read on every poll and reported as changed when its content
     * differs from the last fetch. Files larger than {@link BundleLimits#DEFAULTS}' compressed limit are refused.
     */
    static BundleSource file(Path path) {
        return new FileBundleSource(path, BundleLimits.DEFAULTS.maxCompressedBytes());
    }

    /** Like {@link #file(Path)} with an explicit size limit in bytes. */
    static BundleSource file(Path path, long maxBytes) {
        return new FileBundleSource(path, maxBytes);
    }

    /**
     * A bundle shipped on the classpath, for teams that package the bundle inside their jar, for example
     * {@code BundleSource.classpath("policy/orders-bundle.tar.gz")} for {@code src/main/resources/policy/...}.
     * The resource is looked up with the thread context class loader of the caller (falling back to the loader of
     * this library), read on every poll, and reported as changed when its content differs from the last fetch.
     * Resources larger than {@link BundleLimits#DEFAULTS}' compressed limit are refused.
     *
     * <p>A bundle in the jar is only as trustworthy as the jar: still configure
     * {@link BundleVerification#publicKey(String)}, so a bundle swapped on the classpath is refused.
     *
     * @param resourceName the resource path, with or without a leading {@code /}; not blank
     * @throws IllegalArgumentException when the name is blank
     */
    static BundleSource classpath(String resourceName) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return classpath(resourceName, loader != null ? loader : BundleSource.class.getClassLoader());
    }

    /** Like {@link #classpath(String)}, looking the resource up with {@code classLoader}. */
    static BundleSource classpath(String resourceName, ClassLoader classLoader) {
        return new ClasspathBundleSource(resourceName, classLoader, BundleLimits.DEFAULTS.maxCompressedBytes());
    }
}
