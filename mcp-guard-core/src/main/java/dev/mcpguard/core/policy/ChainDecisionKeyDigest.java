package dev.mcpguard.core.policy;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * A canonical, injective encoding of JSON-like values written straight into a SHA-256 {@link MessageDigest}
 * through a small buffer: no intermediate JSON text, no UTF-16 copy of it. The decision cache keys on it.
 *
 * <p>The encoding is typed and length-prefixed, so two different inputs never encode to the same bytes (a
 * collision needs a SHA-256 collision): every value starts with a tag; strings carry their length in UTF-16 units
 * and then their units, a chunk at a time, each chunk tagged as ASCII (one byte a unit) or not (two bytes a unit),
 * so lone surrogates stay distinct (no replacement, no UTF-8 encoding); numbers are tagged apart from strings
 * (so {@code NaN} never meets {@code "NaN"}) and written as their {@code toString()}, which is what the policy input
 * shows of them; map entries (string keys only) are sorted by key, so entry order does not matter; lists keep
 * their order. A value of another type, a map key that is no string, or nesting deeper than
 * {@value #MAX_DEPTH}, makes the value {@link Unencodable}: such a request is decided but not cached.
 *
 * <p>Not thread-safe: one instance per key computation.
 */
final class ChainDecisionKeyDigest {

    /** Deeper than any real argument; bounds recursion on hostile or cyclic input. */
    static final int MAX_DEPTH = 512;
    // Small: the buffers are allocated per key, and most keys are a few hundred bytes.
    static final int CHUNK = 256;
    private static final MessageDigest PROTOTYPE = newSha256();

    private static final byte NULL = 'Z';
    private static final byte TRUE = 'T';
    private static final byte FALSE = 'F';
    private static final byte STRING = 'S';
    private static final byte NUMBER = 'N';
    private static final byte MAP = 'M';
    private static final byte LIST = 'L';
    private static final byte ASCII_CHUNK = 'a';
    private static final byte UTF16_CHUNK = 'u';

    /** Thrown when a value has no canonical encoding; the request is then not cached. */
    static final class Unencodable extends Exception {
        Unencodable(String why) {
            super(why, null, false, false);
        }
    }

    private final MessageDigest sha256;
    private final byte[] buffer = new byte[2 * CHUNK + 16];
    private final char[] chars = new char[CHUNK];
    private int used;

    ChainDecisionKeyDigest() {
        MessageDigest fresh;
        try {
            fresh = (MessageDigest) PROTOTYPE.clone(); // cheaper than a provider lookup per key
        } catch (CloneNotSupportedException e) {
            fresh = newSha256();
        }
        sha256 = fresh;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** The 32-byte digest of everything written so far. */
    byte[] digest() {
        flush();
        return sha256.digest();
    }

    void writeNull() {
        room(1);
        buffer[used++] = NULL;
    }

    void writeBoolean(boolean value) {
        room(1);
        buffer[used++] = value ? TRUE : FALSE;
    }

    void writeLong(long value) {
        room(9);
        buffer[used++] = NUMBER;
        putLong(value);
    }

    /** {@code value} or a null marker. */
    void writeString(String value) {
        if (value == null) {
            writeNull();
            return;
        }
        int length = value.length();
        room(5);
        buffer[used++] = STRING;
        putInt(length);
        for (int start = 0; start < length; start += CHUNK) {
            int end = Math.min(length, start + CHUNK);
            int n = end - start;
            value.getChars(start, end, chars, 0);
            boolean ascii = true;
            for (int i = 0; i < n; i++) {
                if (chars[i] >= 0x80) {
                    ascii = false;
                    break;
                }
            }
            room(1 + (ascii ? n : 2 * n));
            if (ascii) {
                buffer[used++] = ASCII_CHUNK;
                for (int i = 0; i < n; i++) {
                    buffer[used++] = (byte) chars[i];
                }
            } else {
                buffer[used++] = UTF16_CHUNK;
                for (int i = 0; i < n; i++) {
                    char c = chars[i];
                    buffer[used++] = (byte) (c >>> 8);
                    buffer[used++] = (byte) c;
                }
            }
        }
    }

    /** A JSON-like value: null, String, Boolean, Number, Map, Collection or Object[] of those. */
    void writeValue(Object value) throws Unencodable {
        writeValue(value, 0);
    }

    private void writeValue(Object value, int depth) throws Unencodable {
        if (depth > MAX_DEPTH) {
            throw new Unencodable("nesting deeper than " + MAX_DEPTH);
        }
        if (value == null) {
            writeNull();
        } else if (value instanceof String s) {
            writeString(s);
        } else if (value instanceof Boolean b) {
            writeBoolean(b);
        } else if (value instanceof Number n) {
            String text = n.toString();
            room(1);
            buffer[used++] = NUMBER;
            writeString(text);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(map, depth);
        } else if (value instanceof Collection<?> list) {
            Object[] items = list.toArray();
            writeList(items, depth);
        } else if (value instanceof Object[] array) {
            writeList(array, depth);
        } else {
            throw new Unencodable("a " + value.getClass().getName() + " is no JSON value");
        }
    }

    private void writeList(Object[] items, int depth) throws Unencodable {
        room(5);
        buffer[used++] = LIST;
        putInt(items.length);
        for (Object item : items) {
            writeValue(item, depth + 1);
        }
    }

    private void writeMap(Map<?, ?> map, int depth) throws Unencodable {
        // Snapshot first: the size written must match the entries written even if the map changes meanwhile.
        Object[] entries = map.entrySet().toArray();
        String[] names = new String[entries.length];
        Integer[] order = new Integer[entries.length];
        for (int i = 0; i < entries.length; i++) {
            if (!(((Map.Entry<?, ?>) entries[i]).getKey() instanceof String name)) {
                // Jackson writes some key types other than by toString (enums by name): do not guess.
                throw new Unencodable("a map key that is no string");
            }
            names[i] = name;
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> names[x].compareTo(names[y]));
        room(5);
        buffer[used++] = MAP;
        putInt(entries.length);
        for (Integer i : order) {
            writeString(names[i]);
            writeValue(((Map.Entry<?, ?>) entries[i]).getValue(), depth + 1);
        }
    }

    private void putInt(int value) {
        buffer[used++] = (byte) (value >>> 24);
        buffer[used++] = (byte) (value >>> 16);
        buffer[used++] = (byte) (value >>> 8);
        buffer[used++] = (byte) value;
    }

    private void putLong(long value) {
        putInt((int) (value >>> 32));
        putInt((int) value);
    }

    private void room(int bytes) {
        if (used + bytes > buffer.length) {
            flush();
        }
    }

    private void flush() {
        if (used > 0) {
            sha256.update(buffer, 0, used);
            used = 0;
        }
    }
}
