package dev.mcpguard.core.guardrails;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The tool names registered by the guards of one process, so that no two of their tools carry the same or a
 * confusable name: equal, equal but for case or the separators {@code _ - . space}, or of the same Unicode TR39
 * skeleton. The first tool registered keeps its name; a later one whose name conflicts is refused
 * ({@code tool_name_conflict}: not listed, not callable, audited). Every guard has one of its own (its server's
 * tools); pass one registry to several guards to extend the check across their servers:
 *
 * <pre>{@code
 * ToolNameRegistry names = ToolNameRegistry.create();
 * McpGuard orders = McpGuard.builder().serverName("orders").toolNames(names)...build();
 * McpGuard billing = McpGuard.builder().serverName("billing").toolNames(names)...build();
 * }</pre>
 *
 * <p>The same tool registered again by its server (same name, same definition hash, for example one guard serving
 * two transports) is no conflict. A removed tool frees its name once its guard is told
 * ({@code McpGuard.forgetTool}). Bounded: at most {@link #DEFAULT_CAPACITY} names unless created with another
 * capacity; past it, registrations are refused (fail closed).
 *
 * <p>Thread-safe.
 */
public final class ToolNameRegistry {

    /** How many names a registry made by {@link #create()} holds. */
    public static final int DEFAULT_CAPACITY = 10_000;

    /**
     * A registered tool.
     *
     * @param server the server that registered it
     * @param name   its name
     * @param hash   its definition hash
     */
    record Entry(String server, String name, String hash, ToolNames.Keys keys) {
    }

    /**
     * A conflict found: {@code with} is the tool that holds the name (null for {@link ToolNames.Kind#REGISTRY_FULL}).
     */
    record Conflict(ToolNames.Kind kind, Entry with) {
    }

    private final int capacity;
    // Guarded by this. Registered names never conflict with one another, so each key maps to one entry.
    private final Map<String, Entry> byExact = new HashMap<>();
    private final Map<String, Entry> byFolded = new HashMap<>();
    private final Map<String, Entry> bySkeleton = new HashMap<>();
    private final Map<String, Entry> byFoldedSkeleton = new HashMap<>();

    private ToolNameRegistry(int capacity) {
        this.capacity = capacity;
    }

    /** A registry of at most {@link #DEFAULT_CAPACITY} names. */
    public static ToolNameRegistry create() {
        return new ToolNameRegistry(DEFAULT_CAPACITY);
    }

    /** A registry of at most {@code capacity} names (at least 1). */
    public static ToolNameRegistry withCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        return new ToolNameRegistry(capacity);
    }

    /** How many names are registered. */
    public synchronized int size() {
        return byExact.size();
    }

    /**
     * Registers {@code name} for {@code server} unless it conflicts with a registered name; returns the conflict
     * instead ({@link ToolNames.Kind#REGISTRY_FULL}, with no entry, when the registry is full).
     */
    synchronized Optional<Conflict> claim(String server, String name, String hash) {
        Entry entry = new Entry(Objects.requireNonNull(server, "server"), Objects.requireNonNull(name, "name"),
                Objects.requireNonNull(hash, "hash"), ToolNames.keysOf(name));
        Optional<Conflict> conflict = conflictOf(entry);
        if (conflict.isPresent() || isSameTool(entry)) {
            return conflict;
        }
        if (byExact.size() >= capacity) {
            return Optional.of(new Conflict(ToolNames.Kind.REGISTRY_FULL, null));
        }
        byExact.put(entry.keys().exact(), entry);
        byFolded.put(entry.keys().folded(), entry);
        bySkeleton.put(entry.keys().skeleton(), entry);
        byFoldedSkeleton.put(entry.keys().foldedSkeleton(), entry);
        return Optional.empty();
    }

    /** The conflict {@link #claim} would report, without registering anything. */
    synchronized Optional<Conflict> check(String server, String name, String hash) {
        return conflictOf(new Entry(server, name, hash, ToolNames.keysOf(name)));
    }

    /**
     * The registered tool of another server than {@code server} whose name conflicts with {@code name}, if any
     * (a tool of {@code server} itself is not looked at).
     */
    synchronized Optional<Conflict> checkOtherServers(String server, String name) {
        ToolNames.Keys keys = ToolNames.keysOf(name);
        for (Entry held : new Entry[] {byExact.get(keys.exact()), byFolded.get(keys.folded()),
                bySkeleton.get(keys.skeleton()), byFoldedSkeleton.get(keys.foldedSkeleton())}) {
            if (held != null && !held.server().equals(server)) {
                return Optional.of(new Conflict(keys.conflictWith(held.keys()).orElse(ToolNames.Kind.CONFUSABLE),
                        held));
            }
        }
        return Optional.empty();
    }

    /** Frees {@code name} if {@code server} holds it. */
    synchronized void release(String server, String name) {
        Entry entry = byExact.get(name);
        if (entry == null || !entry.server().equals(server)) {
            return;
        }
        byExact.remove(entry.keys().exact());
        byFolded.remove(entry.keys().folded(), entry);
        bySkeleton.remove(entry.keys().skeleton(), entry);
        byFoldedSkeleton.remove(entry.keys().foldedSkeleton(), entry);
    }

    private boolean isSameTool(Entry entry) {
        Entry held = byExact.get(entry.name());
        return held != null && held.server().equals(entry.server()) && held.hash().equals(entry.hash());
    }

    private Optional<Conflict> conflictOf(Entry entry) {
        if (isSameTool(entry)) {
            return Optional.empty();
        }
        for (Entry held : List.of(byExact.getOrDefault(entry.keys().exact(), entry),
                byFolded.getOrDefault(entry.keys().folded(), entry),
                bySkeleton.getOrDefault(entry.keys().skeleton(), entry),
                byFoldedSkeleton.getOrDefault(entry.keys().foldedSkeleton(), entry))) {
            if (held != entry) {
                return Optional.of(new Conflict(entry.keys().conflictWith(held.keys())
                        .orElse(ToolNames.Kind.CONFUSABLE), held));
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized String toString() {
        return "ToolNameRegistry[names=" + byExact.size() + ", capacity=" + capacity + "]";
    }
}
