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
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded credential backend: one JSON file of encrypted records.
 *
 * <p>Every write replaces the whole file atomically (write a temporary file, fsync, rename, fsync the
 * directory), so a crash leaves the old or the new file, never a half-written one; leftover temporary files are
 * ignored and removed. Writers in one process are serialized by a lock and compare-and-set on revisions.
 * A file that cannot be parsed is an error on every operation (fail closed), never an empty store. The file is
 * re-read when its modification time or size changes, so an operator's CLI change is picked up.
 *
 * <p>Not safe for several processes writing at once: use {@link JdbcCredentialRepository} for replicas (the
 * operator CLI writes rarely and compare-and-set catches most overlaps). Thread-safe.
 */
public final class FileCredentialRepository implements CredentialRepository {

    private static final Logger log = LoggerFactory.getLogger(FileCredentialRepository.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORMAT = "mcp-guard-credentials/v1";

    private final Path file;
    private final AtomicFileWrite.BeforeRename beforeRename;
    private final ReentrantLock lock = new ReentrantLock();
    private Map<CredentialKey, CredentialRecord> cache;
    private FileTime cachedModified;
    private long cachedSize = -1;

    /** A repository in {@code file}; the file is created on the first write. */
    public FileCredentialRepository(Path file) {
        this(file, temp -> { });
    }

    FileCredentialRepository(Path file, AtomicFileWrite.BeforeRename beforeRename) {
        this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
        this.beforeRename = beforeRename;
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
        lock.lock();
        try {
            Map<CredentialKey, CredentialRecord> records = new LinkedHashMap<>(load());
            CredentialRecord existing = records.get(record.key());
            long stored = existing == null ? 0 : existing.revision();
            if (stored != record.revision() - 1) {
                return false;
            }
            records.put(record.key(), record);
            persist(records);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean delete(CredentialKey key) {
        Objects.requireNonNull(key, "key");
        lock.lock();
        try {
            Map<CredentialKey, CredentialRecord> records = new LinkedHashMap<>(load());
            if (records.remove(key) == null) {
                return false;
            }
            persist(records);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private Map<CredentialKey, CredentialRecord> load() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (cache != null && modified.equals(cachedModified) && size == cachedSize) {
                return cache;
            }
            Map<CredentialKey, CredentialRecord> parsed = parse(Files.readAllBytes(file));
            cache = parsed;
            cachedModified = modified;
            cachedSize = size;
            return parsed;
        } catch (NoSuchFileException e) {
            cache = Map.of();
            cachedModified = null;
            cachedSize = -1;
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
            cache = Map.copyOf(records);
            cachedModified = Files.getLastModifiedTime(file);
            cachedSize = Files.size(file);
        } catch (IOException e) {
            cache = null; // re-read: the file on disk is the truth
            throw new CredentialStoreException("credential store " + file + " could not be written; it is unchanged", e);
        }
    }

    private void removeLeftoverTempFiles() throws IOException {
        String prefix = "." + file.getFileName() + ".";
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(file.getParent(),
                p -> p.getFileName().toString().startsWith(prefix)
                        && p.getFileName().toString().endsWith(AtomicFileWrite.TEMP_SUFFIX))) {
            for (Path leftover : leftovers) {
                log.warn("Removing {}, left over by an interrupted write to the credential store", leftover);
                Files.deleteIfExists(leftover);
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
