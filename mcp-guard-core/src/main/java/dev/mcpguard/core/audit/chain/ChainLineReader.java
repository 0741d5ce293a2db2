package dev.mcpguard.core.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Reads an audit file line by line from a stream with a bounded line length: a line's first
 * {@code maxLineBytes} bytes are kept, the rest only hashed and counted, so a hostile file with a huge line cannot
 * exhaust memory. Every line's SHA-256 is over all its bytes (without the \n).
 *
 * <p>Not thread-safe.
 */
final class ChainLineReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputStream in;
    private final int maxLineBytes;
    private final MessageDigest digest = AuditChainFormat.sha256();
    private final byte[] block = new byte[64 * 1024];
    private int blockPos;
    private int blockEnd;

    ChainLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** One line as read. {@code bytes} holds at most the reader's limit; {@code size} is the full length. */
    static final class Line {
        final byte[] bytes;
        final long size;
        final boolean terminated;
        final String hash;
        private JsonNode json;
        private boolean parsed;

        Line(byte[] bytes, long size, boolean terminated, String hash) {
            this.bytes = bytes;
            this.size = size;
            this.terminated = terminated;
            this.hash = hash;
        }

        boolean overlong() {
            return size > bytes.length;
        }

        /** The line as a JSON object, or null if it is not one (or is too long to have been kept). */
        JsonNode json() {
            if (!parsed) {
                parsed = true;
                if (!overlong()) {
                    try {
                        JsonNode node = JSON.readTree(bytes);
                        json = node != null && node.isObject() ? node : null;
                    } catch (IOException e) {
                        json = null;
                    }
                }
            }
            return json;
        }
    }

    /** The next line, or null at the end of the stream. */
    Line next() throws IOException {
        digest.reset();
        byte[] kept = new byte[256];
        int keptLength = 0;
        long size = 0;
        while (true) {
            if (blockPos == blockEnd) {
                blockEnd = in.read(block);
                blockPos = 0;
                if (blockEnd <= 0) {
                    blockEnd = 0;
                    if (size == 0) {
                        return null;
                    }
                    return new Line(Arrays.copyOf(kept, keptLength), size, false, AuditChainFormat.hashOf(digest));
                }
            }
            int start = blockPos;
            int nl = -1;
            for (int i = blockPos; i < blockEnd; i++) {
                if (block[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? blockEnd : nl;
            int n = end - start;
            digest.update(block, start, n);
            int keep = (int) Math.min(n, Math.max(0, maxLineBytes - keptLength));
            if (keep > 0) {
                if (keptLength + keep > kept.length) {
                    kept = Arrays.copyOf(kept, Math.min(maxLineBytes, Math.max(kept.length * 2, keptLength + keep)));
                }
                System.arraycopy(block, start, kept, keptLength, keep);
                keptLength += keep;
            }
            size += n;
            if (nl >= 0) {
                blockPos = nl + 1;
                return new Line(Arrays.copyOf(kept, keptLength), size, true, AuditChainFormat.hashOf(digest));
            }
            blockPos = blockEnd;
        }
    }
}
