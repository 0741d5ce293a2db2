package dev.mcpguard.core.internal;

/**
 * Text that a client chose (a token subject, a tool name, a notification method, a client name, a message body)
 * made safe for the two places it goes: a log line and a message back to a client. Internal to mcp-guard: not a
 * supported API.
 *
 * <p>The one place in mcp-guard where such text is cleaned. Every mode treats the same characters as unsafe
 * ({@link #isInvisibleOrBreaking}: control, format such as bidi overrides and zero-width characters, line and
 * paragraph separators, lone surrogates, unassigned code points) and differs only in what it puts instead:
 * <ul>
 *   <li>{@link #forLog} escapes rather than deletes, so an operator sees that something was there: a line break
 *       cannot forge a second log line, a bidi override cannot hide or reorder what a reader sees, and a megabyte
 *       of text costs at most {@code maxChars} characters of log;</li>
 *   <li>{@link #forClient} turns them into spaces and cuts the text, as policy and credential messages are cut;</li>
 *   <li>{@link #withoutInvisible} deletes them (audit values such as a policy revision or an argument name, where a
 *       placeholder would change the value);</li>
 *   <li>{@link #forQuotedHeader} keeps printable ASCII only, without {@code "} and {@code \}, for a quoted-string
 *       in an HTTP header ({@code WWW-Authenticate: Bearer error_description="..."}, RFC 6750 section 3).</li>
 * </ul>
 * Cutting never splits a surrogate pair.
 *
 * <p>Thread-safe: static functions without state. Null is accepted and rendered {@code "null"} or empty.
 */
public final class ClientText {

    /** The bound used when a caller has no reason to choose another. */
    public static final int DEFAULT_LOG_CHARS = 200;

    private ClientText() {
    }

    /**
     * {@code text} for a log line: control, format (bidi, zero-width), line and paragraph separator characters
     * and lone surrogates become {@code \\uXXXX}, a backslash becomes {@code \\\\}, and text longer than
     * {@code maxChars} (counted before escaping) is cut and marked with how much was left off.
     */
    public static String forLog(String text, int maxChars) {
        if (text == null) {
            return "null";
        }
        int limit = Math.max(0, maxChars);
        int end = Math.min(text.length(), limit);
        // Never cut a surrogate pair in two: the high half alone would be escaped as if it were a lone surrogate.
        if (end > 0 && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))
                && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        StringBuilder out = new StringBuilder(end + 16);
        int i = 0;
        while (i < end) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(i + 1));
                if (isInvisibleOrBreaking(cp)) {
                    escape(out, c);
                    escape(out, text.charAt(i + 1));
                } else {
                    out.appendCodePoint(cp);
                }
                i += 2;
                continue;
            }
            if (needsEscape(c)) {
                escape(out, c);
            } else {
                out.append(c);
            }
            i++;
        }
        String body = out.toString();
        if (end < text.length()) {
            return body + "...(+" + (text.length() - end) + " chars)";
        }
        return body;
    }

    /** {@link #forLog} with {@link #DEFAULT_LOG_CHARS}. */
    public static String forLog(String text) {
        return forLog(text, DEFAULT_LOG_CHARS);
    }

    /**
     * {@code text} for a message a client reads: unsafe characters ({@link #isInvisibleOrBreaking}) become spaces,
     * the result is stripped and cut at {@code maxChars}. Null becomes the empty string.
     */
    public static String forClient(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length());
        forEachCodePoint(text, cp -> {
            if (isInvisibleOrBreaking(cp)) {
                out.append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        });
        return cut(out.toString().strip(), maxChars);
    }

    /**
     * {@code text} with unsafe characters ({@link #isInvisibleOrBreaking}) deleted and cut at {@code maxChars}; not
     * stripped. Null becomes the empty string.
     */
    public static String withoutInvisible(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), Math.max(0, maxChars)));
        forEachCodePoint(text, cp -> {
            if (!isInvisibleOrBreaking(cp)) {
                out.appendCodePoint(cp);
            }
        });
        return cut(out.toString(), maxChars);
    }

    /**
     * {@code text} for a quoted-string in an HTTP header: only printable ASCII ({@code 0x20} to {@code 0x7e})
     * except {@code "} and {@code \} is kept, everything else is deleted; cut at {@code maxChars}. Null becomes
     * the empty string.
     */
    public static String forQuotedHeader(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        int limit = Math.max(0, maxChars);
        StringBuilder out = new StringBuilder(Math.min(text.length(), limit));
        for (int i = 0; i < text.length() && out.length() < limit; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Whether {@code codePoint} is unsafe in text shown to a person: a control, format (bidi override, zero-width),
     * line or paragraph separator character, a lone surrogate, or an unassigned code point.
     */
    public static boolean isInvisibleOrBreaking(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL
                || type == Character.FORMAT
                || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.SURROGATE
                || type == Character.UNASSIGNED;
    }

    private static void forEachCodePoint(String text, java.util.function.IntConsumer action) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            action.accept(cp);
            i += Character.charCount(cp);
        }
    }

    private static String cut(String text, int maxChars) {
        int limit = Math.max(0, maxChars);
        if (text.length() <= limit) {
            return text;
        }
        int end = limit;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1)) && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        return text.substring(0, end);
    }

    private static boolean needsEscape(char c) {
        return c == '\\' || isInvisibleOrBreaking(c);
    }

    private static void escape(StringBuilder out, char c) {
        if (c == '\\') {
            out.append("\\\\");
            return;
        }
        out.append("\\u").append(String.format("%04x", (int) c));
    }
}
