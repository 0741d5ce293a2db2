package dev.mcpguard.core.telemetry;

/**
 * Makes names fit for span names and attribute values: at most {@link #MAX_NAME_LENGTH} characters of
 * {@code [A-Za-z0-9_.:/-]}, every other character replaced by {@code _}, longer names cut and marked with a
 * trailing {@code ~}. Tool names are the server's own, but prompt names and the like come from the client.
 * Stateless.
 */
final class TelemetryNames {

    /** The longest name kept, in characters. */
    static final int MAX_NAME_LENGTH = 64;
    /** The longest free-text value kept (error types), in characters. */
    static final int MAX_VALUE_LENGTH = 128;
    /** What metrics say for a tool the server does not have (the semantic conventions' catch-all). */
    static final String OTHER = "_OTHER";

    private TelemetryNames() {
    }

    /** {@code name}, sanitized and bounded; {@code _} for an empty or null name. */
    static String name(String name) {
        return sanitize(name, MAX_NAME_LENGTH);
    }

    /** {@code value} (a class name, a reason code), sanitized and bounded to {@link #MAX_VALUE_LENGTH}. */
    static String value(String value) {
        return sanitize(value, MAX_VALUE_LENGTH);
    }

    private static String sanitize(String text, int max) {
        if (text == null || text.isEmpty()) {
            return "_";
        }
        boolean cut = text.length() > max;
        int length = cut ? max - 1 : text.length();
        StringBuilder out = null;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean kept = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
            if (!kept && out == null) {
                out = new StringBuilder(length + 1).append(text, 0, i);
            }
            if (out != null) {
                out.append(kept ? c : '_');
            }
        }
        if (out == null && !cut) {
            return text;
        }
        if (out == null) {
            out = new StringBuilder(length + 1).append(text, 0, length);
        }
        return cut ? out.append('~').toString() : out.toString();
    }
}
