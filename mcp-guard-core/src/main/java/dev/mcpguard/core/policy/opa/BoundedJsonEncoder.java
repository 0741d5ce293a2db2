package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Serialises a policy input with a byte limit, stopping as soon as the output would pass it, so an oversized
 * input (huge tool arguments) is neither copied in full nor handed to a policy engine. Stateless and
 * thread-safe.
 */
final class BoundedJsonEncoder {

    /** The serialised value would be larger than the limit; nothing was produced. */
    static final class TooLargeException extends IOException {
        TooLargeException(int limit) {
            super("serialised value larger than " + limit + " bytes", null);
        }
    }

    private static final int INITIAL_BYTES = 1024;

    private BoundedJsonEncoder() {
    }

    /**
     * The JSON bytes of {@code value} written by {@code writer}.
     *
     * @throws TooLargeException when they would exceed {@code limit} bytes
     * @throws IOException       when the value cannot be serialised
     */
    static byte[] encode(ObjectWriter writer, Object value, int limit) throws IOException {
        LimitedOutput out = new LimitedOutput(limit);
        try {
            writer.writeValue(out, value);
        } catch (IOException | RuntimeException e) {
            // Jackson may wrap the stream's failure; find ours to tell "too large" from "not serialisable".
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof TooLargeException tooLarge) {
                    throw tooLarge;
                }
            }
            throw e;
        }
        return out.toByteArray();
    }

    private static final class LimitedOutput extends OutputStream {
        private final int limit;
        private final ByteArrayOutputStream bytes;

        LimitedOutput(int limit) {
            this.limit = limit;
            // Most inputs are well under 1 KiB: one buffer, not five doublings from 32 bytes.
            this.bytes = new ByteArrayOutputStream(Math.min(limit, INITIAL_BYTES));
        }

        @Override
        public void write(int b) throws IOException {
            ensureRoom(1);
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ensureRoom(len);
            bytes.write(b, off, len);
        }

        private void ensureRoom(int len) throws TooLargeException {
            if ((long) bytes.size() + len > limit) {
                throw new TooLargeException(limit);
            }
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
