package dev.mcpguard.core.guardrails;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tool lockfile security reviews ({@code mcp-guard-tools.lock.json}): per server, per tool name, the
 * definition's {@link ToolDefinitionHash hash} and, for the reviewer, the description and a digest of each
 * top-level field of the definition ({@code inputSchema}, {@code outputSchema}, {@code annotations}, ...), so that
 * {@link #compare} can say which field changed. Written sorted, two-space indented, one member per line and with a
 * final newline, so a change to one tool is a small diff.
 *
 * <pre>{@code
 * {
 *   "format": "mcp-guard-tools.lock",
 *   "version": 1,
 *   "servers": {
 *     "orders": {
 *       "tools": {
 *         "get_order": {
 *           "hash": "sha256:…",
 *           "description": "Returns one order of the caller's tenant by its id.",
 *           "fields": {
 *             "annotations": "sha256:…",
 *             "description": "sha256:…",
 *             "inputSchema": "sha256:…",
 *             "name": "sha256:…"
 *           }
 *         }
 *       }
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>Only {@code hash} is enforced; {@code description} and {@code fields} are for review and for
 * {@link #compare}. Immutable and thread-safe; the {@code with...} methods return new files.
 */
public final class ToolPinFile {

    /** The value of {@code format}. */
    public static final String FORMAT = "mcp-guard-tools.lock";
    /** The format version this class reads and writes. */
    public static final int VERSION = 1;
    /** The conventional file name. */
    public static final String FILE_NAME = "mcp-guard-tools.lock.json";
    /** Largest pin file read. */
    static final int MAX_BYTES = 16 << 20;

    private static final JsonMapper STRICT_JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    static {
        STRICT_JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build());
    }

    /**
     * One pinned tool.
     *
     * @param hash        the whole definition's hash, {@code sha256:<hex>}
     * @param description the description as reviewed, {@code ""} when the tool has none
     * @param fields      each top-level field of the definition to the hash of its value, sorted by field name
     */
    public record ToolPin(String hash, String description, Map<String, String> fields) {
        public ToolPin {
            if (!ToolDefinitionHash.isWellFormed(hash)) {
                throw new IllegalArgumentException("a pin's hash must be sha256:<64 lower-case hex digits>");
            }
            Objects.requireNonNull(description, "description");
            TreeMap<String, String> sorted = new TreeMap<>();
            Objects.requireNonNull(fields, "fields").forEach((name, digest) -> {
                if (!ToolDefinitionHash.isWellFormed(digest)) {
                    throw new IllegalArgumentException("the digest of field '" + name + "' is not sha256:<hex>");
                }
                sorted.put(name, digest);
            });
            fields = Collections.unmodifiableSortedMap(sorted);
        }

        /** The pin of {@code definition}, a tool as {@code tools/list} shows it. */
        public static ToolPin of(Map<String, ?> definition) {
            Objects.requireNonNull(definition, "definition");
            Map<String, String> fields = new TreeMap<>();
            definition.forEach((name, value) -> fields.put(name, ToolDefinitionHash.of(value)));
            Object description = definition.get("description");
            return new ToolPin(ToolDefinitionHash.of(definition),
                    description instanceof String text ? text : "", fields);
        }
    }

    /**
     * A difference between the pins and a server's definitions.
     *
     * @param server the server
     * @param tool   the tool name
     * @param kind   what happened to the tool
     * @param fields for {@link Kind#CHANGED}, the top-level fields whose value differs (added, removed or
     *               changed), sorted; empty otherwise
     */
    public record Change(String server, String tool, Kind kind, List<String> fields) {
        public Change {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(kind, "kind");
            fields = List.copyOf(fields);
        }

        /** What happened to a tool. */
        public enum Kind {
            /** Defined by the server, not pinned. */
            ADDED,
            /** Pinned, no longer defined by the server. */
            REMOVED,
            /** Pinned with another hash. */
            CHANGED
        }
    }

    /**
     * Two pinned tools whose names conflict (equal across servers, equal but for case or separators, confusable:
     * see {@code docs/guardrails.md}), or one name refused on its own ({@code restricted}: mixed scripts, invisible
     * characters; then {@code otherServer} and {@code otherTool} are empty). The tool that comes first in the file's
     * order (servers, then tools, sorted) keeps its name; {@code server}/{@code tool} is the one a guard refuses.
     *
     * @param server      the server of the refused tool
     * @param tool        the refused tool's name
     * @param kind        {@code duplicate}, {@code case_or_separators}, {@code confusable} or {@code restricted}
     * @param otherServer the server of the tool that keeps the name
     * @param otherTool   the name kept
     */
    public record NameConflict(String server, String tool, String kind, String otherServer, String otherTool) {
        public NameConflict {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(otherServer, "otherServer");
            Objects.requireNonNull(otherTool, "otherTool");
        }
    }

    private static final ToolPinFile EMPTY = new ToolPinFile(new TreeMap<>());

    private final SortedMap<String, SortedMap<String, ToolPin>> servers;

    private ToolPinFile(SortedMap<String, SortedMap<String, ToolPin>> servers) {
        TreeMap<String, SortedMap<String, ToolPin>> copy = new TreeMap<>();
        servers.forEach((server, tools) -> copy.put(server, Collections.unmodifiableSortedMap(new TreeMap<>(tools))));
        this.servers = Collections.unmodifiableSortedMap(copy);
    }

    /** A file that pins nothing. */
    public static ToolPinFile empty() {
        return EMPTY;
    }

    /**
     * Reads a pin file.
     *
     * @throws IOException when it cannot be read, is larger than 16 MiB, or is not a pin file of this format
     *                     version (the message names the problem, never the file's content)
     */
    public static ToolPinFile read(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        if (Files.size(path) > MAX_BYTES) {
            throw new IOException("pin file " + path + " is larger than " + MAX_BYTES + " bytes");
        }
        try {
            return parse(Files.readString(path, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException("pin file " + path + " is not valid: " + e.getMessage());
        }
    }

    /** Parses a pin file's text; rejects anything that is not one with {@link IllegalArgumentException}. */
    public static ToolPinFile parse(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = STRICT_JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON (or a duplicate key) at line "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException p && p.getLocation() != null
                    ? p.getLocation().getLineNr() : -1));
        }
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").textValue())) {
            throw new IllegalArgumentException("\"format\" must be \"" + FORMAT + "\"");
        }
        if (!root.path("version").isInt() || root.path("version").intValue() != VERSION) {
            throw new IllegalArgumentException("\"version\" must be " + VERSION);
        }
        JsonNode serversNode = root.path("servers");
        if (!serversNode.isObject()) {
            throw new IllegalArgumentException("\"servers\" must be an object");
        }
        SortedMap<String, SortedMap<String, ToolPin>> servers = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> s = serversNode.fields(); s.hasNext(); ) {
            Map.Entry<String, JsonNode> server = s.next();
            JsonNode toolsNode = server.getValue().path("tools");
            if (!toolsNode.isObject()) {
                throw new IllegalArgumentException("server '" + shown(server.getKey()) + "' needs a \"tools\" object");
            }
            SortedMap<String, ToolPin> tools = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> t = toolsNode.fields(); t.hasNext(); ) {
                Map.Entry<String, JsonNode> tool = t.next();
                tools.put(tool.getKey(), pinOf(server.getKey(), tool.getKey(), tool.getValue()));
            }
            servers.put(server.getKey(), tools);
        }
        return new ToolPinFile(servers);
    }

    private static ToolPin pinOf(String server, String tool, JsonNode node) {
        String where = "tool '" + shown(tool) + "' of server '" + shown(server) + "'";
        JsonNode hash = node.path("hash");
        if (!hash.isTextual() || !ToolDefinitionHash.isWellFormed(hash.textValue())) {
            throw new IllegalArgumentException(where + " needs a \"hash\" of the form sha256:<64 lower-case hex>");
        }
        JsonNode description = node.path("description");
        if (!description.isMissingNode() && !description.isTextual()) {
            throw new IllegalArgumentException(where + ": \"description\" must be a string");
        }
        Map<String, String> fields = new TreeMap<>();
        JsonNode fieldsNode = node.path("fields");
        if (!fieldsNode.isMissingNode()) {
            if (!fieldsNode.isObject()) {
                throw new IllegalArgumentException(where + ": \"fields\" must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> f = fieldsNode.fields(); f.hasNext(); ) {
                Map.Entry<String, JsonNode> field = f.next();
                if (!field.getValue().isTextual() || !ToolDefinitionHash.isWellFormed(field.getValue().textValue())) {
                    throw new IllegalArgumentException(where + ": field digest '" + shown(field.getKey())
                            + "' must be sha256:<hex>");
                }
                fields.put(field.getKey(), field.getValue().textValue());
            }
        }
        return new ToolPin(hash.textValue(), description.isTextual() ? description.textValue() : "", fields);
    }

    /** A name from the file as an error message may show it: printable ASCII, at most 64 characters. */
    private static String shown(String name) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < name.length() && out.length() < 64; i++) {
            char c = name.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return name.length() > 64 ? out + "..." : out.toString();
    }

    /** The servers that have pins, sorted. */
    public Set<String> servers() {
        return servers.keySet();
    }

    /** The pins of {@code server} by tool name, sorted; empty when the server has none. */
    public SortedMap<String, ToolPin> tools(String server) {
        return servers.getOrDefault(Objects.requireNonNull(server, "server"), Collections.emptySortedMap());
    }

    /** The pin of {@code tool} of {@code server}, if any. */
    public Optional<ToolPin> pin(String server, String tool) {
        return Optional.ofNullable(tools(server).get(Objects.requireNonNull(tool, "tool")));
    }

    /**
     * This file with the pins of {@code server} replaced by those of {@code definitions} (tools as
     * {@code tools/list} shows them, each with a string {@code name}); other servers are kept.
     *
     * @throws IllegalArgumentException when a definition has no name, or two have the same one
     */
    public ToolPinFile withServer(String server, Collection<? extends Map<String, ?>> definitions) {
        Objects.requireNonNull(server, "server");
        SortedMap<String, SortedMap<String, ToolPin>> next = new TreeMap<>(servers);
        next.put(server, pinsOf(definitions));
        return new ToolPinFile(next);
    }

    /** This file without {@code server}'s pins. */
    public ToolPinFile withoutServer(String server) {
        SortedMap<String, SortedMap<String, ToolPin>> next = new TreeMap<>(servers);
        next.remove(Objects.requireNonNull(server, "server"));
        return new ToolPinFile(next);
    }

    /**
     * How {@code definitions}, the tools {@code server} defines now, differ from its pins: tools added, removed,
     * and changed (with the fields that differ), sorted by tool name. Empty when every tool matches its pin.
     */
    public List<Change> compare(String server, Collection<? extends Map<String, ?>> definitions) {
        SortedMap<String, ToolPin> pinned = tools(server);
        SortedMap<String, ToolPin> current = pinsOf(definitions);
        Set<String> names = new TreeSet<>(pinned.keySet());
        names.addAll(current.keySet());
        List<Change> changes = new ArrayList<>();
        for (String name : names) {
            ToolPin before = pinned.get(name);
            ToolPin now = current.get(name);
            if (before == null) {
                changes.add(new Change(server, name, Change.Kind.ADDED, List.of()));
            } else if (now == null) {
                changes.add(new Change(server, name, Change.Kind.REMOVED, List.of()));
            } else if (!before.hash().equals(now.hash())) {
                Set<String> fields = new TreeSet<>(before.fields().keySet());
                fields.addAll(now.fields().keySet());
                fields.removeIf(f -> Objects.equals(before.fields().get(f), now.fields().get(f)));
                changes.add(new Change(server, name, Change.Kind.CHANGED, List.copyOf(fields)));
            }
        }
        return changes;
    }

    private static SortedMap<String, ToolPin> pinsOf(Collection<? extends Map<String, ?>> definitions) {
        SortedMap<String, ToolPin> pins = new TreeMap<>();
        for (Map<String, ?> definition : Objects.requireNonNull(definitions, "definitions")) {
            if (!(definition.get("name") instanceof String name) || name.isEmpty()) {
                throw new IllegalArgumentException("a tool definition has no name");
            }
            if (pins.put(name, ToolPin.of(definition)) != null) {
                throw new IllegalArgumentException("two tool definitions are named '" + shown(name) + "'");
            }
        }
        return pins;
    }

    /** The name conflicts among the tools this file pins, in the file's order; empty when there is none. */
    public List<NameConflict> nameConflicts() {
        List<NameConflict> conflicts = new ArrayList<>();
        claimNames(conflicts);
        return conflicts;
    }

    /**
     * Registers every pinned name, in the file's order, into a new unbounded registry (the names that keep their
     * place); each name refused is added to {@code conflicts}.
     */
    ToolNameRegistry claimNames(List<NameConflict> conflicts) {
        ToolNameRegistry names = ToolNameRegistry.withCapacity(Integer.MAX_VALUE);
        servers.forEach((server, tools) -> tools.forEach((tool, pin) -> {
            if (ToolNames.isRestricted(tool)) {
                conflicts.add(new NameConflict(server, tool, ToolNames.Kind.RESTRICTED.value(), "", ""));
                return;
            }
            names.claim(server, tool, pin.hash()).ifPresent(conflict -> conflicts.add(new NameConflict(server, tool,
                    conflict.kind().value(), conflict.with().server(), conflict.with().name())));
        }));
        return names;
    }

    /** The file's text: sorted, two-space indented, one member per line, a final newline. */
    public String toJson() {
        StringBuilder out = new StringBuilder(256 + 512 * servers.size());
        out.append("{\n  \"format\": ");
        CanonicalJson.string(FORMAT, out);
        out.append(",\n  \"version\": ").append(VERSION).append(",\n  \"servers\": {");
        String serverSeparator = "\n";
        for (Map.Entry<String, SortedMap<String, ToolPin>> server : servers.entrySet()) {
            out.append(serverSeparator).append("    ");
            serverSeparator = ",\n";
            CanonicalJson.string(server.getKey(), out);
            out.append(": {\n      \"tools\": {");
            String toolSeparator = "\n";
            for (Map.Entry<String, ToolPin> tool : server.getValue().entrySet()) {
                ToolPin pin = tool.getValue();
                out.append(toolSeparator).append("        ");
                toolSeparator = ",\n";
                CanonicalJson.string(tool.getKey(), out);
                out.append(": {\n          \"hash\": ");
                CanonicalJson.string(pin.hash(), out);
                out.append(",\n          \"description\": ");
                CanonicalJson.string(pin.description(), out);
                out.append(",\n          \"fields\": {");
                String fieldSeparator = "\n";
                for (Map.Entry<String, String> field : pin.fields().entrySet()) {
                    out.append(fieldSeparator).append("            ");
                    fieldSeparator = ",\n";
                    CanonicalJson.string(field.getKey(), out);
                    out.append(": ");
                    CanonicalJson.string(field.getValue(), out);
                }
                out.append(pin.fields().isEmpty() ? "}" : "\n          }").append("\n        }");
            }
            out.append(server.getValue().isEmpty() ? "}" : "\n      }").append("\n    }");
        }
        out.append(servers.isEmpty() ? "}" : "\n  }").append("\n}\n");
        return out.toString();
    }

    /** Writes {@link #toJson()} to {@code path}, replacing it atomically where the file system can. */
    public void write(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), ".mcp-guard-tools", ".tmp");
        try {
            Files.writeString(temporary, toJson(), StandardCharsets.UTF_8);
            try {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ToolPinFile file && file.servers.equals(servers);
    }

    @Override
    public int hashCode() {
        return servers.hashCode();
    }

    /** Counts only; descriptions are not repeated. */
    @Override
    public String toString() {
        return "ToolPinFile[servers=" + servers.size() + ", tools="
                + servers.values().stream().mapToInt(Map::size).sum() + "]";
    }
}
