package dev.mcpguard.core.credentials;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * Replaces a file so that a reader or a crash sees the old or the new content, never a mix: write a temporary
 * file in the same directory, fsync it, rename it over the target atomically, fsync the directory.
 */
final class AtomicFileWrite {

    /** Temporary files end with this suffix; loaders ignore and later writes remove leftovers. */
    static final String TEMP_SUFFIX = ".tmp";

    /** A test seam: runs after the temporary file is written and synced, before the rename. */
    interface BeforeRename {
        void run(Path temp) throws IOException;
    }

    private AtomicFileWrite() {
    }

    static void write(Path target, byte[] content, BeforeRename beforeRename) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                restrictToOwner(temp);
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            beforeRename.run(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically", e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(dir);
    }

    static void write(Path target, byte[] content) throws IOException {
        write(target, content, temp -> { });
    }

    private static void restrictToOwner(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the directory's permissions protect the file. On a POSIX file system a
            // failure is an IOException and fails the write: the store never lands with wider permissions.
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; the rename itself is still atomic there.
            return;
        }
        // Where the directory can be opened, a failed fsync is a real durability failure: report it.
        try (channel) {
            channel.force(true);
        }
    }
}
