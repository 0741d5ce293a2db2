package dev.mcpguard.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.audit.chain.AuditChainFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * What {@link JsonlFileAuditSink} finds at the end of an existing audit file when it opens it, read with bounded
 * positional reads from the end (never the whole file into memory): the last complete line and, if it is a chain
 * line, the chain's id, seq, hash and record count from the last checkpoint before it; a torn fragment after the
 * last {@code \n} (its length and hash); otherwise, for a file that holds no chain (version 2), how many lines it
 * has. Nothing is written or changed here.
 *
 * <p>Stateless and thread-safe.
 */
final class AuditChainTail {

    /** Longest last line considered a chain line; a longer one makes the file "unchained". */
    static final int MAX_LINE_BYTES = 1 << 20;
    private static final int BLOCK = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditChainTail() {
    }

    /** A fragment after the last \n: its length and {@code sha256:} hash. */
    record Torn(long bytes, String sha256) {
    }

    /**
     * The end of the file. {@code chainId == null} means the file holds no chain to continue: then
     * {@code unchainedLines} counts its lines (a torn fragment counted as one).
     */
    record Tail(String chainId, long lastSeq, String lastHash, long records, long unsignedRecords, long fileFirstSeq,
                String lastCheckpointReason, boolean lastLineIsCheckpoint, Torn torn, long unchainedLines) {

        boolean chained() {
            return chainId != null;
        }
    }

    static Tail read(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return new Tail(null, -1, null, 0, 0, 0, null, false, null, 0);
        }
        boolean torn = readByte(ch, size - 1) != '\n';
        long lastNl = lastNewlineBefore(ch, size);
        Torn fragment = torn ? new Torn(size - lastNl - 1, hashRange(ch, lastNl + 1, size)) : null;
        if (lastNl < 0) {
            return unchained(ch, size, fragment);
        }
        long lineStart = lastNewlineBefore(ch, lastNl) + 1;
        JsonNode last = lastNl - lineStart > MAX_LINE_BYTES ? null : parse(readRange(ch, lineStart, lastNl));
        if (!isChainLine(last)) {
            return unchained(ch, size, fragment);
        }
        long lastSeq = last.get("seq").asLong();
        String lastHash = hashRange(ch, lineStart, lastNl);
        // Walk back line by line to the last checkpoint: every line after it is a record.
        long pos = lineStart;
        long end = lastNl;
        while (true) {
            byte[] head = readRange(ch, pos, Math.min(end, pos + AuditChainFormat.CHECKPOINT_START.length()));
            if (AuditChainFormat.isCheckpoint(head, head.length)) {
                JsonNode cp = end - pos > MAX_LINE_BYTES ? null : parse(readRange(ch, pos, end));
                if (cp == null || !cp.path("chain_id").isTextual() || !cp.path("records").isNumber()
                        || !cp.path("seq").isNumber() || cp.get("seq").asLong() > lastSeq) {
                    return unchained(ch, size, fragment);
                }
                long cpSeq = cp.get("seq").asLong();
                long after = lastSeq - cpSeq;
                return new Tail(cp.get("chain_id").asText(), lastSeq, lastHash, cp.get("records").asLong() + after,
                        after, firstSeq(ch, lastSeq), cp.path("reason").asText(), after == 0, fragment, -1);
            }
            if (pos == 0) {
                return unchained(ch, size, fragment); // chain lines but no checkpoint: nothing to continue
            }
            end = pos - 1;
            pos = lastNewlineBefore(ch, end) + 1;
        }
    }

    private static Tail unchained(FileChannel ch, long size, Torn fragment) throws IOException {
        return new Tail(null, -1, null, 0, 0, 0, null, false, fragment,
                countNewlines(ch, size) + (fragment != null ? 1 : 0));
    }

    /** The seq of the file's first line, if it is a chain line; else 0 (a version-2 file that a start continued). */
    private static long firstSeq(FileChannel ch, long lastSeq) throws IOException {
        long nl = nextNewline(ch, 0, Math.min(ch.size(), MAX_LINE_BYTES + 1L));
        if (nl < 0) {
            return 0;
        }
        JsonNode first = parse(readRange(ch, 0, nl));
        return isChainLine(first) ? Math.min(first.get("seq").asLong(), lastSeq) : 0;
    }

    private static boolean isChainLine(JsonNode node) {
        return node != null && node.isObject() && node.path("schema_version").asInt() == AuditChainFormat.SCHEMA_VERSION
                && node.path("seq").isIntegralNumber() && node.has("prev_hash");
    }

    private static JsonNode parse(byte[] line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    private static int readByte(FileChannel ch, long position) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        if (ch.read(one, position) != 1) {
            throw new IOException("could not read the audit file at byte " + position);
        }
        return one.get(0);
    }

    /** The position of the last \n before {@code limit}, or -1. */
    static long lastNewlineBefore(FileChannel ch, long limit) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        long end = limit;
        while (end > 0) {
            long start = Math.max(0, end - BLOCK);
            block.clear().limit((int) (end - start));
            readFully(ch, block, start);
            for (int i = (int) (end - start) - 1; i >= 0; i--) {
                if (block.get(i) == '\n') {
                    return start + i;
                }
            }
            end = start;
        }
        return -1;
    }

    private static long nextNewline(FileChannel ch, long from, long limit) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (long start = from; start < limit; start += BLOCK) {
            int n = (int) Math.min(BLOCK, limit - start);
            block.clear().limit(n);
            readFully(ch, block, start);
            for (int i = 0; i < n; i++) {
                if (block.get(i) == '\n') {
                    return start + i;
                }
            }
        }
        return -1;
    }

    private static long countNewlines(FileChannel ch, long size) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        long count = 0;
        for (long start = 0; start < size; start += BLOCK) {
            int n = (int) Math.min(BLOCK, size - start);
            block.clear().limit(n);
            readFully(ch, block, start);
            for (int i = 0; i < n; i++) {
                if (block.get(i) == '\n') {
                    count++;
                }
            }
        }
        return count;
    }

    private static String hashRange(FileChannel ch, long from, long to) throws IOException {
        MessageDigest digest = AuditChainFormat.sha256();
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        for (long start = from; start < to; start += BLOCK) {
            int n = (int) Math.min(BLOCK, to - start);
            block.clear().limit(n);
            readFully(ch, block, start);
            block.flip();
            digest.update(block);
        }
        return AuditChainFormat.hashOf(digest);
    }

    private static byte[] readRange(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate((int) (to - from));
        readFully(ch, bytes, from);
        return bytes.array();
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = ch.read(into, at);
            if (n < 0) {
                throw new IOException("the audit file ended at byte " + at + " while it was being read");
            }
            at += n;
        }
    }
}
