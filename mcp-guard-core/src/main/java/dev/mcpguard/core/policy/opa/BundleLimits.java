package dev.mcpguard.core.policy.opa;

/**
 * Hard limits applied while reading a bundle, so a hostile or broken bundle server cannot exhaust memory
 * (gzip bombs, huge archives, millions of entries). A bundle over any limit is rejected as a whole.
 *
 * <p>Immutable and thread-safe.
 *
 * @param maxCompressedBytes   largest accepted {@code .tar.gz}, in bytes
 * @param maxUncompressedBytes largest accepted sum of the sizes of all files in the archive, in bytes
 * @param maxFiles             largest accepted number of files in the archive
 */
public record BundleLimits(long maxCompressedBytes, long maxUncompressedBytes, int maxFiles) {

    /** 32 MiB compressed, 128 MiB uncompressed, 1000 files: far above a typical policy bundle. */
    public static final BundleLimits DEFAULTS = new BundleLimits(32L << 20, 128L << 20, 1000);

    public BundleLimits {
        if (maxCompressedBytes <= 0) {
            throw new IllegalArgumentException("maxCompressedBytes must be positive, got " + maxCompressedBytes);
        }
        if (maxUncompressedBytes <= 0) {
            throw new IllegalArgumentException("maxUncompressedBytes must be positive, got " + maxUncompressedBytes);
        }
        if (maxFiles <= 0) {
            throw new IllegalArgumentException("maxFiles must be positive, got " + maxFiles);
        }
    }
}
