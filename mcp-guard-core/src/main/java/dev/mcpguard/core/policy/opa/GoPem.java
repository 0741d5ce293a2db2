package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Go's {@code encoding/pem.Decode}, byte for byte: the first well-formed block anywhere in the input (text before
 * it is skipped, a malformed candidate is passed over), its type, its body (standard base64 with spaces and tabs
 * removed; headers skipped), and what follows the END line. Thread-safe (stateless).
 */
final class GoPem {

    /** A decoded block and the bytes after it. */
    record Block(String type, byte[] bytes, byte[] rest) {
    }

    private static final byte[] PEM_START = "\n-----BEGIN ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PEM_END = "\n-----END ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PEM_END_OF_LINE = "-----".getBytes(StandardCharsets.US_ASCII);

    private GoPem() {
    }

    /** The first block, or null when there is none (Go: {@code nil, data}). */
    static Block decode(byte[] data) {
        byte[] rest = data;
        int endTrailerIndex = 0;
        while (true) {
            if (endTrailerIndex < 0 || endTrailerIndex > rest.length) {
                return null;
            }
            rest = Arrays.copyOfRange(rest, endTrailerIndex, rest.length);
            int endIndex = indexOf(rest, PEM_END, 0, rest.length);
            if (endIndex < 0) {
                return null;
            }
            endTrailerIndex = endIndex + PEM_END.length;
            int beginIndex = lastIndexOf(rest, endIndex, PEM_START, 1);
            if (beginIndex < 0 || (beginIndex > 0 && rest[beginIndex - 1] != '\n')) {
                continue;
            }
            int skip = beginIndex + PEM_START.length - 1;
            rest = Arrays.copyOfRange(rest, skip, rest.length);
            endIndex -= skip;
            endTrailerIndex -= skip;

            Line typeLine = line(rest);
            rest = typeLine.rest;
            endIndex -= typeLine.consumed;
            endTrailerIndex -= typeLine.consumed;
            if (!endsWith(typeLine.line, PEM_END_OF_LINE)) {
                continue;
            }
            byte[] type = Arrays.copyOf(typeLine.line, typeLine.line.length - PEM_END_OF_LINE.length);

            boolean headers = false;
            while (true) {
                if (rest.length == 0) {
                    return null;
                }
                Line header = line(rest);
                if (indexOf(header.line, new byte[] {':'}, 0, header.line.length) < 0) {
                    break;
                }
                headers = true;
                rest = header.rest;
                endIndex -= header.consumed;
                endTrailerIndex -= header.consumed;
            }
            if (headers && endIndex < 0) {
                continue;
            }
            if (endTrailerIndex < 0 || endTrailerIndex > rest.length) {
                // Go slices rest[endTrailerIndex:] here; out of range cannot happen for well-formed offsets.
                continue;
            }
            byte[] endTrailer = Arrays.copyOfRange(rest, endTrailerIndex, rest.length);
            int endTrailerLen = type.length + PEM_END_OF_LINE.length;
            if (endTrailer.length < endTrailerLen) {
                continue;
            }
            byte[] restOfEndLine = Arrays.copyOfRange(endTrailer, endTrailerLen, endTrailer.length);
            byte[] trailer = Arrays.copyOf(endTrailer, endTrailerLen);
            if (!startsWith(trailer, type) || !endsWith(trailer, PEM_END_OF_LINE)) {
                continue;
            }
            if (line(restOfEndLine).line.length != 0) {
                continue;
            }
            byte[] body = new byte[0];
            if (endIndex > 0) {
                try {
                    body = GoBase64.stdDecode(removeSpacesAndTabs(Arrays.copyOf(rest, endIndex)));
                } catch (HostBuiltin.Undefined e) {
                    continue;
                }
            }
            byte[] after = line(Arrays.copyOfRange(rest, endIndex + PEM_END.length - 1, rest.length)).rest;
            return new Block(new String(type, StandardCharsets.UTF_8), body, after);
        }
    }

    private record Line(byte[] line, byte[] rest, int consumed) {
    }

    /** Go's {@code getLine}: up to LF (a CR before it dropped), trailing spaces and tabs trimmed. */
    private static Line line(byte[] data) {
        int i = indexOf(data, new byte[] {'\n'}, 0, data.length);
        int j;
        if (i < 0) {
            i = data.length;
            j = i;
        } else {
            j = i + 1;
            if (i > 0 && data[i - 1] == '\r') {
                i--;
            }
        }
        int end = i;
        while (end > 0 && (data[end - 1] == ' ' || data[end - 1] == '\t')) {
            end--;
        }
        return new Line(Arrays.copyOf(data, end), Arrays.copyOfRange(data, j, data.length), j);
    }

    private static byte[] removeSpacesAndTabs(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        for (byte b : data) {
            if (b != ' ' && b != '\t') {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from, int to) {
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** {@code bytes.LastIndex(haystack[:end], needle[from:])}. */
    private static int lastIndexOf(byte[] haystack, int end, byte[] needle, int from) {
        int n = needle.length - from;
        outer:
        for (int i = end - n; i >= 0; i--) {
            for (int k = 0; k < n; k++) {
                if (haystack[i + k] != needle[from + k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean startsWith(byte[] s, byte[] prefix) {
        return s.length >= prefix.length && Arrays.equals(s, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static boolean endsWith(byte[] s, byte[] suffix) {
        return s.length >= suffix.length
                && Arrays.equals(s, s.length - suffix.length, s.length, suffix, 0, suffix.length);
    }
}
