package dev.mcpguard.core.policy.opa;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * What a polled bundle source ({@link FileBundleSource}, {@link ClasspathBundleSource}) does with the stream it
 * opens: reads at most {@code maxBytes} (one byte more tells that the bundle is over the limit), refuses a larger
 * bundle, and answers "unchanged" when the content has the SHA-256 digest of the content it last returned. Not
 * thread-safe: the owning source calls it under its own lock.
 */
final class BundleChangeDetector {

    /** Opens the bundle's bytes afresh on every poll. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }

    private final long maxBytes;
    private byte[] lastDigest;

    /** @throws IllegalArgumentException when {@code maxBytes} is not positive */
    BundleChangeDetector(long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Reads what {@code opener} opens and returns it unless it is what the last call returned.
     *
     * @param bundle names the bundle in the error, for example {@code "bundle file /etc/policy.tar.gz"}
     * @throws IOException when opening or reading fails (the caller names the bundle)
     * @throws BundleException when the content is over the limit
     */
    Optional<byte[]> readIfChanged(Opener opener, String bundle) throws IOException, BundleException {
        byte[] content;
        try (InputStream in = opener.open()) {
            content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        }
        if (content.length > maxBytes) {
            throw new BundleException(bundle + " is over the limit of " + maxBytes + " bytes");
        }
        byte[] digest = BundleFileDigest.newDigest("SHA-256").digest(content);
        if (lastDigest != null && MessageDigest.isEqual(lastDigest, digest)) {
            return Optional.empty();
        }
        lastDigest = digest;
        return Optional.of(content);
    }
}
