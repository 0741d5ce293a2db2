package dev.mcpguard.core.policy.opa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** A bundle read from a file; changes are detected by content digest. Thread-safe. */
final class FileBundleSource implements BundleSource {

    private final Path path;
    private final BundleChangeDetector changes;

    FileBundleSource(Path path, long maxBytes) {
        this.path = Objects.requireNonNull(path, "path").toAbsolutePath();
        this.changes = new BundleChangeDetector(maxBytes);
    }

    @Override
    public synchronized Optional<byte[]> fetchIfChanged() throws BundleException {
        try {
            return changes.readIfChanged(() -> Files.newInputStream(path), "bundle file " + path);
        } catch (NoSuchFileException e) {
            throw new BundleException("bundle file " + path + " does not exist");
        } catch (IOException e) {
            throw new BundleException("bundle file " + path + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }
}
