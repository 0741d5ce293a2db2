package dev.mcpguard.core.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.internal.ClientText;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The JSON form of an {@link AuditRecord}, schema version {@value AuditRecord#SCHEMA_VERSION}, as documented in
 * {@code docs/audit.md}: one object per record, on one line, snake_case field names in a fixed order.
 *
 * <p>Every field is always written; a fact that does not exist for a call is written as JSON {@code null}, so each
 * line is self-describing and a schema check can rely on the key set. Strings are escaped so a line can never be
 * split or visually forged: besides the JSON-mandatory escapes, every control character (DEL, C1), every format
 * character (Unicode category Cf: bidirectional controls, zero-width characters, soft hyphen, BOM, tag
 * characters), U+2028/U+2029 (line and paragraph separators) and every surrogate (so lone surrogates and
 * supplementary characters) are written as {@code \}{@code uXXXX}; the JSON value is unchanged.
 *
 * <p>{@link JsonlFileAuditSink} writes schema version 3: the same fields followed by the hash chain's {@code seq}
 * and {@code prev_hash}, and checkpoint lines marked by a {@code record_type} key ({@link #isChainLine}). This class
 * parses versions 1, 2 and 3 and {@link #readAll} skips the checkpoints.
 *
 * <pre>{@code
 * String line = AuditRecordJson.toJsonLine(record);           // no trailing newline
 * AuditRecord back = AuditRecordJson.parse(line);             // equal to record
 * List<AuditRecord> all = AuditRecordJson.readAll(jsonlFile); // one record per non-blank line
 * }</pre>
 *
 * <p>Thread-safe: stateless apart from immutable, shareable Jackson factories. Null arguments are rejected.
 */
public final class AuditRecordJson {

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .characterEscapes(new LineSafeEscapes())
            .build();
    private static final ObjectMapper READER = new ObjectMapper();
    /** The schema version of the lines in {@link JsonlFileAuditSink}'s file: version 2 plus the chain fields. */
    static final int CHAIN_SCHEMA_VERSION = 3;
    /** The key that marks a chain line that is not an audit record. */
    static final String RECORD_TYPE = "record_type";
    private static final String CHECKPOINT_LINE_START = "{\"schema_version\":3,\"record_type\":";

    private AuditRecordJson() {
    }

    /**
     * Serializes {@code record} to one line of JSON, without a trailing newline.
     *
     * @throws UncheckedIOException only if Jackson fails, which writing to a string does not do in practice
     */
    public static String toJsonLine(AuditRecord record) {
        return toJson(record, record.schemaVersion(), true);
    }

    /**
     * The record as a schema-version {@value #CHAIN_SCHEMA_VERSION} line of the audit file <em>without</em> its
     * closing brace: {@link JsonlFileAuditSink} appends the chain fields ({@code seq}, {@code prev_hash}) and the
     * brace once it knows the record's place in the chain.
     */
    static String toChainRecordPrefix(AuditRecord record) {
        return toJson(record, CHAIN_SCHEMA_VERSION, false);
    }

    /**
     * Whether {@code line} is a line of the audit chain that is not an audit record (a checkpoint): a JSON object
     * with a {@code record_type} key. Readers that want audit records skip these lines; {@link #readAll} does.
     * Lines that are not JSON objects are not chain lines (and not records either: {@link #parse} rejects them).
     */
    public static boolean isChainLine(String line) {
        Objects.requireNonNull(line, "line");
        try {
            JsonNode node = READER.readTree(line);
            return node != null && node.isObject() && node.has(RECORD_TYPE);
        } catch (IOException e) {
            return false;
        }
    }

    /** A line generator with this class's escaping, for the chain's checkpoint lines. */
    static JsonGenerator generator(StringWriter out) throws IOException {
        return FACTORY.createGenerator(out);
    }

    private static String toJson(AuditRecord record, int schemaVersion, boolean close) {
        Objects.requireNonNull(record, "record");
        StringWriter out = new StringWriter(512);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema_version", schemaVersion);
            json.writeStringField("event_id", record.eventId());
            json.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(record.time()));
            json.writeStringField("decision_id", record.decisionId());
            writeCaller(json, record.caller());
            json.writeStringField("session_id", record.sessionId());
            json.writeStringField("server", record.server());
            json.writeStringField("tool", record.tool());
            json.writeStringField("method", record.method());
            json.writeStringField("target", record.target());
            writeMap(json, "arguments", record.arguments());
            json.writeStringField("decision", record.decision().wireName());
            json.writeStringField("reason", record.reason());
            json.writeStringField("outcome", record.outcome().name().toLowerCase(Locale.ROOT));
            json.writeNumberField("duration_us", record.durationMicros());
            json.writeStringField("error_type", record.errorType());
            writeMap(json, "details", record.details());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("could not serialize audit record " + record.eventId(), e);
        }
        if (close) {
            return out.toString();
        }
        StringBuffer text = out.getBuffer();
        return text.substring(0, text.length() - 1);
    }

    /**
     * Parses one line written by {@link #toJsonLine(AuditRecord)}. Unknown fields are ignored so that readers of
     * this version can read lines with added fields.
     *
     * @throws IllegalArgumentException if the line is not a valid audit record; the message does not repeat the
     *                                  line's content
     */
    public static AuditRecord parse(String line) {
        Objects.requireNonNull(line, "line");
        JsonNode node;
        try {
            node = READER.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("an audit record must be a JSON object");
        }
        if (node.has(RECORD_TYPE)) {
            throw new IllegalArgumentException("a chain line (" + RECORD_TYPE + " "
                    + ClientText.forLog(text(node, RECORD_TYPE), 40) + "), not an audit record");
        }
        try {
            JsonNode callerNode = node.get("caller");
            AuditRecord.Caller caller = callerNode == null || callerNode.isNull() ? null
                    : new AuditRecord.Caller(text(callerNode, "issuer"), text(callerNode, "subject"),
                    text(callerNode, "tenant"), text(callerNode, "client_id"), text(callerNode, "actor"),
                    text(callerNode, "auth_method"));
            String outcome = Objects.requireNonNull(text(node, "outcome"), "outcome");
            String errorType = text(node, "error_type");
            return new AuditRecord(
                    required(node, "schema_version").asInt(),
                    text(node, "event_id"),
                    Instant.parse(Objects.requireNonNull(text(node, "time"), "time")),
                    text(node, "decision_id"),
                    caller,
                    text(node, "session_id"),
                    text(node, "server"),
                    text(node, "tool"),
                    // Version 1 records are all tool calls and have neither field.
                    Optional.ofNullable(text(node, "method")).orElse("tools/call"),
                    text(node, "target"),
                    stringMap(node, "arguments"),
                    AuditRecord.Verdict.ofWireName(Objects.requireNonNull(text(node, "decision"), "decision")),
                    text(node, "reason"),
                    AuditRecord.Outcome.valueOf(outcome.toUpperCase(Locale.ROOT)),
                    required(node, "duration_us").asLong(),
                    errorType,
                    stringMap(node, "details"));
        } catch (NullPointerException | DateTimeParseException e) {
            throw new IllegalArgumentException("missing or invalid field: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid field value (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * Reads every record of a JSONL file (UTF-8, one record per line; blank lines and chain lines such as
     * checkpoints, see {@link #isChainLine}, are skipped).
     *
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException naming the file and line number if a line is not a valid record
     */
    public static List<AuditRecord> readAll(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        List<AuditRecord> records = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank() || line.startsWith(CHECKPOINT_LINE_START) || isChainLine(line)) {
                    continue;
                }
                try {
                    records.add(parse(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "line " + number + " of " + file + " is not a valid audit record: " + e.getMessage(), e);
                }
            }
        }
        return records;
    }

    private static void writeCaller(JsonGenerator json, AuditRecord.Caller caller) throws IOException {
        if (caller == null) {
            json.writeNullField("caller");
            return;
        }
        json.writeObjectFieldStart("caller");
        json.writeStringField("issuer", caller.issuer());
        json.writeStringField("subject", caller.subject());
        json.writeStringField("tenant", caller.tenant());
        json.writeStringField("client_id", caller.clientId());
        json.writeStringField("actor", caller.actorSubject());
        json.writeStringField("auth_method", caller.authMethod());
        json.writeEndObject();
    }

    private static void writeMap(JsonGenerator json, String name, Map<String, String> map) throws IOException {
        // The record keeps its maps sorted by key, so the field order is deterministic.
        json.writeObjectFieldStart(name);
        for (Map.Entry<String, String> e : map.entrySet()) {
            json.writeStringField(e.getKey(), e.getValue());
        }
        json.writeEndObject();
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isNumber()) {
            throw new NullPointerException(field);
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Map<String, String> stringMap(JsonNode node, String field) {
        JsonNode value = node.get(field);
        Map<String, String> map = new LinkedHashMap<>();
        if (value == null || value.isNull()) {
            return map;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            map.put(e.getKey(), e.getValue().isNull() ? "null" : e.getValue().asText());
        }
        return map;
    }

    /**
     * Escapes, on top of the JSON-mandatory set, the characters that split lines, hide text or reorder it in
     * editors, log viewers and JavaScript-based readers, so one record is always one visually honest line.
     */
    private static final class LineSafeEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii;

        LineSafeEscapes() {
            ascii = CharacterEscapes.standardAsciiEscapesForJSON();
            ascii[0x7F] = CharacterEscapes.ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            // Jackson hands over UTF-16 code units, so a supplementary character arrives as two surrogates and
            // a lone surrogate alone: escaping every surrogate keeps lone ones out of the UTF-8 file and hides
            // supplementary format characters (tag characters) too; JSON parsers join escaped pairs back.
            // Control, format (bidi, zero-width, BOM), separators, surrogates, unassigned: ClientText's one list.
            return ClientText.isInvisibleOrBreaking(ch)
                    ? new SerializedString(String.format(Locale.ROOT, "\\u%04x", ch)) : null;
        }
    }
}
