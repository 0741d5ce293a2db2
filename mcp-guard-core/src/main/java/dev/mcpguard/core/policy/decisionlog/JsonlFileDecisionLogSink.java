package dev.mcpguard.core.policy.decisionlog;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * Appends decision-log events to a file, one per line. Synchronized, so it may be shared; flushed per event,
 * never forced (see {@link DecisionLogSink#jsonlFile}).
 */
final class JsonlFileDecisionLogSink implements DecisionLogSink {

    private final Path file;
    private final OutputStream out;

    JsonlFileDecisionLogSink(Path file) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        if (!Files.exists(file) && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    @Override
    public synchronized void write(String event) throws IOException {
        byte[] line = (event + "\n").getBytes(StandardCharsets.US_ASCII);
        out.write(line);
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    @Override
    public String toString() {
        return "JsonlFileDecisionLogSink[" + file + "]";
    }
}
