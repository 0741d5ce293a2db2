package dev.mcpguard.core.policy.opa;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;

/** A bundle read from a file; changes are detected by content digest. Thread-safe. */
final class FileBundleSource implements BundleSource {

    private final Path path;
    private final long maxBytes;
    private byte[] lastDigest;

    FileBundleSource(Path path, long maxBytes) {
        this.path = Objects.requireNonNull(path, "path").toAbsolutePath();
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized Optional<byte[]> fetchIfChanged() throws BundleException {
        byte[] content;
        try (InputStream in = Files.newInputStream(path)) {
            content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (NoSuchFileException e) {
            throw new BundleException("bundle file " + path + " does not exist");
        } catch (IOException e) {
            throw new BundleException("bundle file " + path + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
        if (content.length > maxBytes) {
            throw new BundleException("bundle file " + path + " is over the limit of " + maxBytes + " bytes");
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
        return path.toString();
    }
}
