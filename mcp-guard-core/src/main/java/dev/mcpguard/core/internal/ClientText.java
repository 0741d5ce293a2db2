package dev.mcpguard.core.internal;

/**
 * Text that a client chose (a token subject, a tool name, a notification method, a client name, a message body)
 * made safe for the two places it goes: a log line and a message back to a client. Internal to mcp-guard: not a
 * supported API.
 *
 * <p>For logs, {@link #forLog} escapes rather than deletes, so an operator sees that something was there: a line
 * break cannot forge a second log line, a bidi override or zero-width character cannot hide or reorder what a
 * reader sees, and a megabyte of text costs at most {@code maxChars} characters of log. For clients,
 * {@link #forClient} turns the same characters into spaces and cuts the text, as policy and credential messages
 * are cut.
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
                if (Character.getType(cp) == Character.FORMAT) {
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
     * {@code text} for a message a client reads: control, format, line and paragraph separator characters become
     * spaces, the result is stripped and cut at {@code maxChars}. Null becomes the empty string.
     */
    public static String forClient(String text, int maxChars) {
        if (text == null) {
            return "";
        }
        String cleaned = text.replaceAll("[\\p{Cntrl}\\p{Cf}\\u2028\\u2029]", " ").strip();
        if (cleaned.length() <= maxChars) {
            return cleaned;
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(cleaned.charAt(end - 1))) {
            end--;
        }
        return cleaned.substring(0, end);
    }

    private static boolean needsEscape(char c) {
        if (c == '\\' || Character.isSurrogate(c)) {
            return true;
        }
        if (c == '\u2028' || c == '\u2029') {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT;
    }

    private static void escape(StringBuilder out, char c) {
        if (c == '\\') {
            out.append("\\\\");
            return;
        }
        out.append("\\u").append(String.format("%04x", (int) c));
    }
}
