package dev.mcpguard.core.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded credential backend: one JSON file of encrypted records.
 *
 * <p>Every write replaces the whole file atomically (write a temporary file with a name unique to the writer,
 * fsync, rename, fsync the directory), so a crash leaves the old or the new file, never a half-written one.
 * A writer removes only its own temporary file; other temporary files are ignored, and removed only once they
 * are older than a minute (left by a killed writer, not one still writing).
 *
 * <p><b>Several processes.</b> Each write (compare-and-set, delete) holds an exclusive lock on the sibling file
 * {@code <file>.lock} ({@link FileChannel#lock()}, advisory, honoured by every instance of this class, such as
 * the server and the operator CLI) and, inside it, re-reads the file instead of trusting its cache, compares
 * and persists. So no process writes back a stale view over another's change: a credential the CLI deleted
 * stays deleted. Instances in one process on the same file share one in-process lock as well (file locks are
 * held per process). Reads take no lock; they use a cache that is re-read when the file's identity (inode),
 * modification time or size changes, which every atomic replace changes. The lock file is never deleted.
 *
 * <p>A file that cannot be parsed is an error on every operation (fail closed), never an empty store. For
 * replicas on several machines use {@link JdbcCredentialRepository}: advisory locks on network file systems
 * are not dependable. Thread-safe.
 */
public final class FileCredentialRepository implements CredentialRepository {

    private static final Logger log = LoggerFactory.getLogger(FileCredentialRepository.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORMAT = "mcp-guard-credentials/v1";
    /** A temporary file older than this was left by a killed writer, not one still writing. */
    static final Duration STALE_TEMP_FILE_AGE = Duration.ofMinutes(1);
    /** One lock per store file for all instances in this process; a file lock is held per process. */
    private static final ConcurrentHashMap<Path, ReentrantLock> PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final Path file;
    private final Path lockFile;
    private final AtomicFileWrite.BeforeRename beforeRename;
    private final Clock clock;
    private final ReentrantLock lock;
    private Map<CredentialKey, CredentialRecord> cache;
    private FileTime cachedModified;
    private long cachedSize = -1;
    private Object cachedFileKey;

    /** A repository in {@code file}; the file (and its sibling {@code <file>.lock}) is created on the first write. */
    public FileCredentialRepository(Path file) {
        this(file, temp -> { });
    }

    FileCredentialRepository(Path file, AtomicFileWrite.BeforeRename beforeRename) {
        this(file, beforeRename, Clock.systemUTC());
    }

    FileCredentialRepository(Path file, AtomicFileWrite.BeforeRename beforeRename, Clock clock) {
        this.file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        this.beforeRename = Objects.requireNonNull(beforeRename, "beforeRename");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lock = PROCESS_LOCKS.computeIfAbsent(this.file, f -> new ReentrantLock());
    }

    /** The store file. */
    public Path file() {
        return file;
    }

    @Override
    public Optional<CredentialRecord> find(CredentialKey key) {
        Objects.requireNonNull(key, "key");
        lock.lock();
        try {
            return Optional.ofNullable(load().get(key));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<CredentialRecord> findAll() {
        lock.lock();
        try {
            return List.copyOf(load().values());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean compareAndSet(CredentialRecord record) {
        Objects.requireNonNull(record, "record");
        return underFileLock(records -> {
            CredentialRecord existing = records.get(record.key());
            long stored = existing == null ? 0 : existing.revision();
            if (stored != record.revision() - 1) {
                return false;
            }
            records.put(record.key(), record);
            persist(records);
            return true;
        });
    }

    @Override
    public boolean delete(CredentialKey key) {
        Objects.requireNonNull(key, "key");
        return underFileLock(records -> {
            if (records.remove(key) == null) {
                return false;
            }
            persist(records);
            return true;
        });
    }

    /**
     * Runs {@code change} on a mutable copy of the records as they are on disk now, holding the in-process lock
     * and the exclusive lock on {@code <file>.lock}, so no other writer (in this or another process) changes the
     * file between the read and the write.
     */
    private boolean underFileLock(Predicate<Map<CredentialKey, CredentialRecord>> change) {
        lock.lock();
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock held = channel.lock()) {
                cache = null; // inside the lock, the file on disk is the truth
                return change.test(new LinkedHashMap<>(load()));
            }
        } catch (OverlappingFileLockException e) {
            throw new CredentialStoreException("credential store " + file + " is locked by another repository in "
                    + "this process that reaches it through another path", e);
        } catch (IOException e) {
            throw new CredentialStoreException("credential store " + file + " cannot be locked (" + lockFile + ")", e);
        } finally {
            lock.unlock();
        }
    }

    private Map<CredentialKey, CredentialRecord> load() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (cache != null && attributes.lastModifiedTime().equals(cachedModified)
                    && attributes.size() == cachedSize && Objects.equals(attributes.fileKey(), cachedFileKey)) {
                return cache;
            }
            // Attributes first, then contents: a change in between makes the next load read again, never miss it.
            Map<CredentialKey, CredentialRecord> parsed = parse(Files.readAllBytes(file));
            cache = parsed;
            cachedModified = attributes.lastModifiedTime();
            cachedSize = attributes.size();
            cachedFileKey = attributes.fileKey();
            return parsed;
        } catch (NoSuchFileException e) {
            cache = Map.of();
            cachedModified = null;
            cachedSize = -1;
            cachedFileKey = null;
            return cache;
        } catch (IOException e) {
            throw new CredentialStoreException("credential store " + file + " cannot be read", e);
        }
    }

    private Map<CredentialKey, CredentialRecord> parse(byte[] bytes) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !FORMAT.equals(root.path("format").asText())) {
                throw corrupt("it is not a " + FORMAT + " file");
            }
            Map<CredentialKey, CredentialRecord> records = new LinkedHashMap<>();
            for (JsonNode n : root.path("records")) {
                CredentialKey key = new CredentialKey(text(n, "tenant"),
                        new CredentialKey.Owner(CredentialKey.Owner.Kind.ofLabel(text(n, "owner_kind")),
                                text(n, "owner_id")), text(n, "name"), text(n, "purpose"));
                CredentialRecord record = new CredentialRecord(text(n, "id"), key, text(n, "kind"),
                        n.path("key_version").asLong(), Base64.getDecoder().decode(text(n, "ciphertext")),
                        CredentialRecord.Status.valueOf(text(n, "status")), Instant.parse(text(n, "updated_at")),
                        n.path("revision").asLong());
                if (records.put(key, record) != null) {
                    throw corrupt("it holds two records for " + key);
                }
            }
            return Map.copyOf(records);
        } catch (CredentialStoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // The parser's message could quote file contents; only ciphertext is there, but keep it out anyway.
            throw corrupt("it cannot be parsed (" + e.getClass().getSimpleName() + ")");
        }
    }

    private CredentialStoreException corrupt(String why) {
        return new CredentialStoreException("credential store " + file + " is corrupt: " + why
                + "; restore it from a backup");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return value.asText();
    }

    private void persist(Map<CredentialKey, CredentialRecord> records) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ArrayNode array = root.putArray("records");
        for (CredentialRecord r : records.values()) {
            ObjectNode n = array.addObject();
            n.put("id", r.id());
            n.put("tenant", r.key().tenant());
            n.put("owner_kind", r.key().owner().kind().label());
            n.put("owner_id", r.key().owner().id());
            n.put("name", r.key().name());
            n.put("purpose", r.key().purpose());
            n.put("kind", r.kind());
            n.put("key_version", r.keyVersion());
            n.put("ciphertext", Base64.getEncoder().encodeToString(r.ciphertext()));
            n.put("status", r.status().name());
            n.put("updated_at", r.updatedAt().toString());
            n.put("revision", r.revision());
        }
        try {
            removeLeftoverTempFiles();
            AtomicFileWrite.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root), beforeRename);
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            cache = Map.copyOf(records);
            cachedModified = attributes.lastModifiedTime();
            cachedSize = attributes.size();
            cachedFileKey = attributes.fileKey();
        } catch (IOException e) {
            cache = null; // re-read: the file on disk is the truth
            throw new CredentialStoreException("credential store " + file + " could not be written; it is unchanged", e);
        }
    }

    /** Removes temporary files of killed writers; a younger one may belong to a writer still at work. */
    private void removeLeftoverTempFiles() throws IOException {
        String prefix = "." + file.getFileName() + ".";
        Instant staleBefore = clock.instant().minus(STALE_TEMP_FILE_AGE);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(file.getParent(),
                p -> p.getFileName().toString().startsWith(prefix)
                        && p.getFileName().toString().endsWith(AtomicFileWrite.TEMP_SUFFIX))) {
            for (Path leftover : leftovers) {
                try {
                    if (Files.getLastModifiedTime(leftover).toInstant().isBefore(staleBefore)) {
                        log.warn("Removing {}, left over by an interrupted write to the credential store", leftover);
                        Files.deleteIfExists(leftover);
                    }
                } catch (NoSuchFileException gone) {
                    // Its writer renamed or removed it meanwhile.
                }
            }
        } catch (NoSuchFileException e) {
            // The directory does not exist yet; the write creates it.
        }
    }

    @Override
    public String toString() {
        return "FileCredentialRepository[" + file + "]";
    }
}
