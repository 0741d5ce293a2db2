package dev.mcpguard.core.guardrails;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which tool definitions a guard admits: those pinned in a {@link ToolPinFile} for its server. At start-up and
 * whenever a tool is wrapped later (a tool added at runtime with {@code server.addTool(guard.guard(spec))}), the
 * tool's canonical definition hash is compared with its pin; an unpinned tool ({@code tool_not_pinned}) or one
 * whose definition changed ({@code tool_definition_changed}) is, in {@link Mode#ENFORCE}, refused: not listed,
 * every call denied and audited with the hash. In {@link Mode#WARN} it is listed and callable, and its calls are
 * audited with the drift.
 *
 * <pre>{@code
 * McpGuard guard = McpGuard.builder().serverName("orders")
 *         .toolPins(ToolPins.read(Path.of("mcp-guard-tools.lock.json")))   // ENFORCE
 *         ...build();
 * }</pre>
 *
 * <p>Immutable and thread-safe. The file is read once; a changed pin file takes effect when the guard is built
 * again.
 */
public final class ToolPins {

    /** What a check does with a definition that fails it. */
    public enum Mode {
        /** Refuse the tool: not listed, not callable; its calls are denied and audited. */
        ENFORCE,
        /** Admit the tool, log the drift and audit its calls with it. */
        WARN
    }

    private final ToolPinFile file;
    private final Mode mode;

    private ToolPins(ToolPinFile file, Mode mode) {
        this.file = Objects.requireNonNull(file, "file");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** Pins enforced: only definitions pinned in {@code file} are admitted. */
    public static ToolPins enforce(ToolPinFile file) {
        return new ToolPins(file, Mode.ENFORCE);
    }

    /** Pins that warn: every definition is admitted; unpinned and changed ones are logged and audited. */
    public static ToolPins warn(ToolPinFile file) {
        return new ToolPins(file, Mode.WARN);
    }

    /** {@link #enforce} the pin file at {@code path}; fails when it cannot be read or is not a pin file. */
    public static ToolPins read(Path path) throws IOException {
        return enforce(ToolPinFile.read(path));
    }

    /** These pins with {@code mode}. */
    public ToolPins withMode(Mode mode) {
        return new ToolPins(file, mode);
    }

    public ToolPinFile file() {
        return file;
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public String toString() {
        return "ToolPins[" + mode + ", " + file + "]";
    }
}
