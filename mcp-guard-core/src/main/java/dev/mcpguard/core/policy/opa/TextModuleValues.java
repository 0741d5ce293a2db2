package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.Memory;
import com.styra.opa.wasm.OpaWasm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;

/**
 * Operands and results of {@link TextBuiltins} as OPA's Go code sees them: a string is bytes, not necessarily
 * UTF-8 (OPA's {@code replace("é", "", "x")} inserts between the two bytes of {@code é}; {@code base64.decode}
 * gives any bytes), and the module holds such bytes as they are. So operands are read from the module's
 * {@code opa_value_dump} text byte for byte, each byte that is not part of valid UTF-8 kept as the lone
 * surrogate {@code U+DC80 + (byte - 0x80)} of a Java string (valid UTF-8 never decodes to a surrogate, so
 * nothing else maps there), and results are written back as the same bytes.
 *
 * <p>The ABI has no way to hand the module a string that is not UTF-8 ({@code opa_value_parse} validates it) nor
 * to build an array out of existing values. For those two the module's own value layout is used, as its C
 * runtime defines it ({@code wasm/src/value.h}: {@code opa_string_t} is a type byte, {@code len} at offset 4 and
 * the bytes' address at 8; {@code opa_array_t} a type byte, the elements' address at 4 and {@code len} at 8, each
 * element an index and a value address): a placeholder value of the right shape is parsed, checked to be laid out
 * so, and then filled in. A module laid out otherwise halts the evaluation rather than being written into
 * blindly. Stateless and thread-safe; an instance is used by one thread at a time.
 */
final class TextModuleValues {

    /** A result (a string's bytes, a template string) longer than this halts the evaluation. */
    static final int MAX_RESULT_BYTES = 16 * 1024 * 1024;

    static final int OPA_STRING = 4;
    static final int OPA_ARRAY = 5;

    private static final int STRAY_BASE = 0xDC00;
    private static final int FIRST_CHUNK_BYTES = 64;
    private static final int MAX_CHUNK_BYTES = 4096;

    private TextModuleValues() {
    }

    // ------------------------------------------------------------------ reading

    /** The value at {@code address}, strings as Go strings (see the class comment). */
    static RegoValue read(OpaWasm wasm, int address) {
        int dump = wasm.exports().opaValueDump(address);
        try {
            return RegoValue.parse(goString(cString(wasm.memory(), dump)));
        } finally {
            wasm.exports().opaFree(dump);
        }
    }

    /** The type byte of the value at {@code address} ({@link #OPA_ARRAY}, ...). */
    static int type(OpaWasm wasm, int address) {
        return wasm.memory().read(address) & 0xFF;
    }

    /**
     * The NUL-terminated bytes at {@code address}, read in chunks that start small and double: a builtin's
     * operand is mostly a short string or number, and a fixed 4 KiB chunk copied it (and allocated) 100 times over.
     */
    static byte[] cString(Memory memory, int address) {
        long size = (long) memory.pages() * Memory.PAGE_SIZE;
        ByteArrayOutputStream out = null;
        int chunkSize = FIRST_CHUNK_BYTES;
        for (long at = Integer.toUnsignedLong(address); at < size; ) {
            int n = (int) Math.min(chunkSize, size - at);
            byte[] chunk = memory.readBytes((int) at, n);
            for (int i = 0; i < n; i++) {
                if (chunk[i] == 0) {
                    if (out == null) {
                        return Arrays.copyOf(chunk, i);
                    }
                    out.write(chunk, 0, i);
                    return out.toByteArray();
                }
            }
            if (out == null) {
                out = new ByteArrayOutputStream(2 * n);
            }
            out.write(chunk, 0, n);
            at += n;
            chunkSize = Math.min(2 * chunkSize, MAX_CHUNK_BYTES);
        }
        throw new IllegalStateException("a dumped value runs past the end of the module's memory");
    }

    // ------------------------------------------------------------------ Go strings

    /** {@code bytes} as a Java string: UTF-8 decoded as Go decodes it, every other byte a stray surrogate. */
    static String goString(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length);
        for (int i = 0; i < bytes.length; ) {
            int b = bytes[i] & 0xFF;
            if (b < 0x80) {
                out.append((char) b);
                i++;
                continue;
            }
            int[] rune = GoFormat.decodeRune(bytes, i);
            if (rune[1] == 1) {
                out.append((char) (STRAY_BASE | b));
            } else {
                out.appendCodePoint(rune[0]);
            }
            i += rune[1];
        }
        return out.toString();
    }

    /** The bytes of a string read by {@link #read}: stray surrogates back to their bytes. */
    static byte[] bytes(String s) {
        if (isAscii(s)) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= STRAY_BASE + 0x80 && cp <= STRAY_BASE + 0xFF) {
                out.write(cp & 0xFF);
            } else {
                appendRune(out, cp);
            }
        }
        return out.toByteArray();
    }

    /** Go's {@code utf8.AppendRune}: a surrogate or an out-of-range value becomes U+FFFD. */
    static void appendRune(ByteArrayOutputStream out, int r) {
        if (r >= 0 && r < 0x80) {
            out.write(r);
        } else if (r >= 0 && r < 0x800) {
            out.write(0xC0 | r >> 6);
            out.write(0x80 | r & 0x3F);
        } else if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
            appendRune(out, 0xFFFD);
        } else if (r < 0x10000) {
            out.write(0xE0 | r >> 12);
            out.write(0x80 | r >> 6 & 0x3F);
            out.write(0x80 | r & 0x3F);
        } else {
            out.write(0xF0 | r >> 18);
            out.write(0x80 | r >> 12 & 0x3F);
            out.write(0x80 | r >> 6 & 0x3F);
            out.write(0x80 | r & 0x3F);
        }
    }

    /** Go's {@code []rune(s)}: each byte that is not part of valid UTF-8 is U+FFFD. */
    static int[] runes(byte[] s) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; ) {
            int b = s[i] & 0xFF;
            if (b < 0x80) {
                out[n++] = b;
                i++;
            } else {
                int[] rune = GoFormat.decodeRune(s, i);
                out[n++] = rune[0];
                i += rune[1];
            }
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /** Go's {@code string(runes)}. */
    static byte[] utf8(int[] runes, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from + 8);
        for (int i = from; i < to; i++) {
            appendRune(out, runes[i]);
        }
        return out.toByteArray();
    }

    static boolean isAscii(byte[] s) {
        for (byte b : s) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code s} (read by {@link #read}) holds a byte that is not part of valid UTF-8. */
    static boolean hasStrayBytes(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= STRAY_BASE + 0x80 && c <= STRAY_BASE + 0xFF
                    && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isUtf8(byte[] s) {
        for (int i = 0; i < s.length; ) {
            if (s[i] >= 0) {
                i++;
                continue;
            }
            int[] rune = GoFormat.decodeRune(s, i);
            if (rune[1] == 1) {
                return false;
            }
            i += rune[1];
        }
        return true;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code bytes} as a string value into the module's memory; returns its address. Bytes that are not
     * UTF-8 are written into a parsed placeholder string of the same length.
     */
    static int writeString(OpaWasm wasm, byte[] bytes) {
        if (bytes.length > MAX_RESULT_BYTES) {
            throw new HostBuiltin.Halt("a string result of more than " + MAX_RESULT_BYTES + " bytes");
        }
        if (isUtf8(bytes)) {
            return parse(wasm, quoted(bytes));
        }
        int value = WasmValues.writeValue(wasm, new RegoValue.Str("a".repeat(bytes.length)));
        Memory memory = wasm.memory();
        int data = memory.readInt(value + 8);
        if (type(wasm, value) != OPA_STRING || memory.readInt(value + 4) != bytes.length
                || !inMemory(memory, data, bytes.length)) {
            throw new HostBuiltin.Halt("the policy module does not lay out strings as OPA's runtime does");
        }
        byte[] placeholder = memory.readBytes(data, bytes.length);
        for (byte b : placeholder) {
            if (b != 'a') {
                throw new HostBuiltin.Halt("the policy module does not lay out strings as OPA's runtime does");
            }
        }
        memory.write(data, bytes);
        return value;
    }

    /**
     * {@code s} (UTF-8) as a JSON string, escaping only what JSON requires; characters beyond ASCII go as they
     * are, not escaped: the module's parser joins an escaped surrogate pair with {@code |} where it means
     * {@code +} ({@code opa_unicode_decode_surrogate}), so U+20000 and every code point above U+1FFFF written
     * escaped would come out 0x10000 lower.
     */
    private static byte[] quoted(byte[] s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length + 2);
        out.write('"');
        for (byte b : s) {
            if (b == '"' || b == '\\') {
                out.write('\\');
                out.write(b);
            } else if (b >= 0 && b < 0x20) {
                out.writeBytes(String.format(java.util.Locale.ROOT, "\\u%04x", b).getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(b);
            }
        }
        out.write('"');
        return out.toByteArray();
    }

    /** Parses {@code json} with {@code opa_value_parse} into the module's memory; returns its address. */
    private static int parse(OpaWasm wasm, byte[] json) {
        int address = wasm.exports().opaMalloc(json.length + 1);
        wasm.memory().write(address, json);
        wasm.memory().writeByte(address + json.length, (byte) 0);
        int value = wasm.exports().opaValueParse(address, json.length);
        wasm.exports().opaFree(address);
        if (value == 0) {
            throw new IllegalStateException("the policy module could not parse a builtin's result");
        }
        return value;
    }

    /** Writes the ASCII or UTF-8 {@code text} as a string value; returns its address. */
    static int writeString(OpaWasm wasm, String text) {
        return writeString(wasm, bytes(text));
    }

    /**
     * A new array value of the elements {@code from} (inclusive) to {@code to} (exclusive) of the array at
     * {@code array}, the same element values (as OPA's runtime slices: the elements are shared, not copied).
     */
    static int slice(OpaWasm wasm, int array, int from, int to) {
        Memory memory = wasm.memory();
        int elements = memory.readInt(array + 4);
        int length = memory.readInt(array + 8);
        if (type(wasm, array) != OPA_ARRAY || from < 0 || from > to || to > length
                || !inMemory(memory, elements, 8L * length)) {
            throw new HostBuiltin.Halt("the policy module does not lay out arrays as OPA's runtime does");
        }
        int n = to - from;
        int result = WasmValues.writeValue(wasm, new RegoValue.Arr(Collections.nCopies(n, new RegoValue.Num("0"))));
        int resultElements = memory.readInt(result + 4);
        if (type(wasm, result) != OPA_ARRAY || memory.readInt(result + 8) != n
                || !inMemory(memory, resultElements, 8L * n)) {
            throw new HostBuiltin.Halt("the policy module does not lay out arrays as OPA's runtime does");
        }
        for (int k = 0; k < n; k++) {
            memory.writeI32(resultElements + 8 * k + 4, memory.readInt(elements + 8 * (from + k) + 4));
        }
        return result;
    }

    /** The length of the array at {@code array}. */
    static int arrayLength(OpaWasm wasm, int array) {
        return wasm.memory().readInt(array + 8);
    }

    private static boolean inMemory(Memory memory, int address, long length) {
        long size = (long) memory.pages() * Memory.PAGE_SIZE;
        return (n(address) > 0 || length == 0) && n(address) + length <= size;
    }

    private static long n(int address) {
        return Integer.toUnsignedLong(address);
    }
}
