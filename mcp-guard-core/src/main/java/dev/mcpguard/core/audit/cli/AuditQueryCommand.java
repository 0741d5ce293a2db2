package dev.mcpguard.core.audit.cli;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.internal.ClientText;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code audit query}: the reviewer's view of JSONL audit files, filtered and printed as a table or as JSON lines.
 *
 * <pre>
 * query FILE|DIR... [--from ISO] [--to ISO] [--subject S] [--tenant T] [--tool N] [--method M]
 *       [--decision allow|deny] [--outcome success|tool_error|denied|failed] [--reason R]
 *       [--decision-id D] [--event-id E] [--limit N] [--format table|json]
 * </pre>
 *
 * <p>Files are read in the order given; a directory stands for its {@code *.jsonl} files sorted by name (an audit
 * file and its rotated siblings). Filters are exact matches on the record's field and combine with AND;
 * {@code --from} is inclusive, {@code --to} exclusive, both ISO-8601 instants or offset date-times. The leading
 * word {@code query} is optional (so the {@code audit} dispatcher can pass its arguments on unchanged; a file named
 * {@code query} is then written {@code ./query}).
 *
 * <p>The files are untrusted input: they are streamed, never read whole; a line longer than
 * {@value #MAX_LINE_BYTES} bytes is skipped without being held in memory. Lines with a {@code record_type} key
 * (hash-chain checkpoints) are skipped silently: they are not records. Every other line that is not an audit
 * record, is too long, or is a torn last line (no final newline) is counted and reported on stderr with its file
 * and line number, never its content; such lines do not change the exit code (integrity is {@code audit verify}'s
 * job). Table cells are cut to a fixed width (a cut value ends in {@code ~}) and every character outside printable
 * ASCII, and the backslash, is shown escaped ({@code \}{@code uXXXX}, {@code \\}), so a tampered file cannot move
 * the cursor, recolour the terminal or fake a row. The JSON format prints each matching stored line as it is when
 * it is printable ASCII, otherwise the line re-serialised with the same escapes.
 *
 * <p>Exit codes: 0 done (with matches or none: {@code 0 records}), 1 I/O error, 2 usage error. Not thread-safe;
 * one invocation per call of {@link #run}.
 */
public final class AuditQueryCommand {

    /** The longest line read as a record; real records are a few kilobytes. */
    static final int MAX_LINE_BYTES = 1 << 20;
    /** Lines reported one by one on stderr before only the totals are. */
    static final int MAX_REPORTED_LINES = 20;

    private static final String USAGE = "usage: query FILE|DIR... [--from ISO] [--to ISO] [--subject S]"
            + " [--tenant T] [--tool N] [--method M] [--decision allow|deny]"
            + " [--outcome success|tool_error|denied|failed] [--reason R] [--decision-id D] [--event-id E]"
            + " [--limit N] [--format table|json]";
    private static final Set<String> OPTIONS = Set.of("--from", "--to", "--subject", "--tenant", "--tool",
            "--method", "--decision", "--outcome", "--reason", "--decision-id", "--event-id", "--limit", "--format");
    private static final Set<String> OUTCOMES = Set.of("success", "tool_error", "denied", "failed");
    private static final ObjectMapper READER = new ObjectMapper();
    /** Writes every character above ASCII as an escape; DEL, the one printable-range gap, is escaped after. */
    private static final ObjectMapper ASCII_WRITER = new ObjectMapper(
            new JsonFactoryBuilder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());
    private static final List<Column> COLUMNS = List.of(
            new Column("time", 27, r -> DateTimeFormatter.ISO_INSTANT.format(r.time())),
            new Column("decision", 8, r -> r.decision().wireName()),
            new Column("outcome", 10, r -> r.outcome().name().toLowerCase(Locale.ROOT)),
            new Column("reason", 24, AuditRecord::reason),
            new Column("method", 16, AuditRecord::method),
            new Column("tool/target", 28, r -> r.tool() != null ? r.tool() : r.target()),
            new Column("subject", 20, r -> r.caller() == null ? null : r.caller().subject()),
            new Column("tenant", 12, r -> r.caller() == null ? null : r.caller().tenant()),
            new Column("decision_id", 36, AuditRecord::decisionId),
            new Column("event_id", 36, AuditRecord::eventId));

    private final PrintStream out;
    private final PrintStream err;
    private final SkippedLines skipped;
    /** The file being read, for the I/O error message. */
    private Path currentFile;

    private AuditQueryCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        this.skipped = new SkippedLines(err);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one query; returns the exit code (0 done, 1 I/O error, 2 usage error).
     *
     * @param args {@code [query] FILE|DIR... [options]}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Objects.requireNonNull(args, "args");
        return new AuditQueryCommand(Objects.requireNonNull(out, "out"), Objects.requireNonNull(err, "err"))
                .execute(args);
    }

    private int execute(String[] args) {
        Query query;
        try {
            query = Query.parse(args);
        } catch (UsageException e) {
            err.println("usage error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        List<Path> files = new ArrayList<>();
        for (Path path : query.paths) {
            try {
                files.addAll(filesOf(path));
            } catch (IOException e) {
                err.println("error: cannot read " + shown(path) + " (" + e.getClass().getSimpleName() + ")");
                return 1;
            }
        }
        long matches = 0;
        boolean table = query.format.equals("table");
        try {
            for (Path file : files) {
                matches = scan(file, query, table, matches);
                if (matches >= query.limit) {
                    break;
                }
            }
        } catch (IOException e) {
            err.println("error: reading " + shown(currentFile) + " failed (" + e.getClass().getSimpleName() + ")");
            return 1;
        }
        String summary = matches + (matches == 1 ? " record" : " records")
                + (matches >= query.limit ? " (limit reached)" : "");
        if (table) {
            out.println(summary);
        } else {
            err.println(summary);
        }
        skipped.printTotals();
        out.flush();
        return 0;
    }

    private static List<Path> filesOf(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            if (!Files.isReadable(path)) {
                throw new NoSuchFileException(path.toString());
            }
            return List.of(path);
        }
        try (Stream<Path> entries = Files.list(path)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
                    .sorted().toList();
        }
    }

    /** Prints the matches of {@code file}; returns the number of matches so far. */
    private long scan(Path file, Query query, boolean table, long matchesBefore) throws IOException {
        currentFile = file;
        long matches = matchesBefore;
        try (InputStream in = Files.newInputStream(file)) {
            BoundedLineReader lines = new BoundedLineReader(in, MAX_LINE_BYTES);
            for (BoundedLineReader.Kind kind; (kind = lines.next()) != BoundedLineReader.Kind.END; ) {
                if (kind == BoundedLineReader.Kind.TOO_LONG) {
                    skipped.oversized++;
                    skipped.report(file, lines.lineNumber(), "longer than " + MAX_LINE_BYTES + " bytes, skipped");
                    continue;
                }
                String line = lines.text();
                if (kind == BoundedLineReader.Kind.TORN) {
                    skipped.torn++;
                    skipped.report(file, lines.lineNumber(), "torn last line (" + lines.length()
                            + " bytes without a final newline), skipped");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                AuditRecord record;
                try {
                    node = READER.readTree(line);
                    if (node != null && node.isObject() && node.has("record_type")) {
                        continue; // a chain checkpoint, not a record
                    }
                    record = AuditRecordJson.parse(line);
                } catch (IOException | IllegalArgumentException e) {
                    skipped.unparsable++;
                    skipped.report(file, lines.lineNumber(), "not an audit record ("
                            + ClientText.forLog(e.getMessage() == null ? e.getClass().getSimpleName()
                            : e.getMessage(), 120) + ")");
                    continue;
                }
                if (!query.matches(record)) {
                    continue;
                }
                if (table) {
                    if (matches == 0) {
                        printHeader();
                    }
                    printRow(record);
                } else {
                    // DEL can only stand inside a JSON string, so replacing it keeps the JSON value.
                    out.println(printableAscii(line) ? line
                            : ASCII_WRITER.writeValueAsString(node).replace("\u007f", "\\u007f"));
                }
                if (++matches >= query.limit) {
                    break;
                }
            }
        }
        return matches;
    }

    private void printHeader() {
        StringBuilder header = new StringBuilder();
        for (Column column : COLUMNS) {
            pad(header, column.name, column.width, column == COLUMNS.get(COLUMNS.size() - 1));
        }
        out.println(header);
    }

    private void printRow(AuditRecord record) {
        StringBuilder row = new StringBuilder();
        for (Column column : COLUMNS) {
            pad(row, cell(column.value.apply(record), column.width), column.width,
                    column == COLUMNS.get(COLUMNS.size() - 1));
        }
        out.println(row);
    }

    private static void pad(StringBuilder row, String text, int width, boolean last) {
        row.append(text);
        if (!last) {
            row.append(" ".repeat(Math.max(0, width - text.length()))).append("  ");
        }
    }

    /** {@code value} escaped to printable ASCII and cut to {@code width} characters ({@code ~} marks a cut). */
    static String cell(String value, int width) {
        String text = value == null ? "-" : escaped(value);
        return text.length() <= width ? text : text.substring(0, width - 1) + "~";
    }

    /** Every character outside printable ASCII as {@code \}{@code uXXXX}, a backslash as {@code \\}. */
    static String escaped(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    private static boolean printableAscii(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static String shown(Path path) {
        return escaped(path.toString());
    }

    /** Lines that were not read as records: counted, the first few reported by file and line, never shown. */
    private static final class SkippedLines {
        private final PrintStream err;
        long unparsable;
        long oversized;
        long torn;
        private long reported;

        SkippedLines(PrintStream err) {
            this.err = err;
        }

        void report(Path file, long lineNumber, String what) {
            if (reported++ < MAX_REPORTED_LINES) {
                err.println("warning: " + shown(file) + ":" + lineNumber + ": " + what);
            } else if (reported == MAX_REPORTED_LINES + 1) {
                err.println("warning: further skipped lines are only counted");
            }
        }

        void printTotals() {
            if (unparsable + oversized + torn > 0) {
                err.println("warning: skipped " + unparsable + " lines that are not audit records, " + oversized
                        + " lines longer than " + MAX_LINE_BYTES + " bytes, " + torn
                        + " torn last lines (no final newline)");
            }
        }
    }

    private record Column(String name, int width, Function<AuditRecord, String> value) {
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The parsed command line: files and filters; a null filter matches everything. */
    private static final class Query {
        final List<Path> paths = new ArrayList<>();
        Instant from;
        Instant to;
        final Map<String, String> exact = new HashMap<>();
        long limit = Long.MAX_VALUE;
        String format = "table";

        static Query parse(String[] args) throws UsageException {
            Query query = new Query();
            int start = args.length > 0 && args[0].equals("query") ? 1 : 0;
            Map<String, String> options = new HashMap<>();
            for (int i = start; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    query.paths.add(Path.of(arg));
                    continue;
                }
                if (!OPTIONS.contains(arg)) {
                    throw new UsageException("unknown option " + ClientText.forLog(arg, 60));
                }
                if (i + 1 >= args.length) {
                    throw new UsageException(arg + " needs a value");
                }
                if (options.put(arg, args[++i]) != null) {
                    throw new UsageException(arg + " given twice");
                }
            }
            if (query.paths.isEmpty()) {
                throw new UsageException("at least one FILE or DIR is required");
            }
            query.from = instant(options, "--from");
            query.to = instant(options, "--to");
            if (query.from != null && query.to != null && !query.from.isBefore(query.to)) {
                throw new UsageException("--from must be before --to");
            }
            String decision = options.get("--decision");
            if (decision != null && !decision.equals("allow") && !decision.equals("deny")) {
                throw new UsageException("--decision must be allow or deny, got " + ClientText.forLog(decision, 40));
            }
            String outcome = options.get("--outcome");
            if (outcome != null && !OUTCOMES.contains(outcome)) {
                throw new UsageException("--outcome must be one of success, tool_error, denied, failed, got "
                        + ClientText.forLog(outcome, 40));
            }
            String limit = options.get("--limit");
            if (limit != null) {
                try {
                    query.limit = Long.parseLong(limit);
                } catch (NumberFormatException e) {
                    query.limit = 0;
                }
                if (query.limit < 1) {
                    throw new UsageException("--limit must be a whole number >= 1, got "
                            + ClientText.forLog(limit, 40));
                }
            }
            String format = options.getOrDefault("--format", "table");
            if (!format.equals("table") && !format.equals("json")) {
                throw new UsageException("--format must be table or json, got " + ClientText.forLog(format, 40));
            }
            query.format = format;
            for (String name : List.of("--subject", "--tenant", "--tool", "--method", "--decision", "--outcome",
                    "--reason", "--decision-id", "--event-id")) {
                if (options.containsKey(name)) {
                    query.exact.put(name, options.get(name));
                }
            }
            return query;
        }

        private static Instant instant(Map<String, String> options, String name) throws UsageException {
            String value = options.get(name);
            if (value == null) {
                return null;
            }
            try {
                return Instant.parse(value);
            } catch (DateTimeException e) {
                try {
                    return OffsetDateTime.parse(value).toInstant();
                } catch (DateTimeException e2) {
                    throw new UsageException(name + " must be an ISO-8601 time such as 2026-03-01T10:00:00Z, got "
                            + ClientText.forLog(value, 60));
                }
            }
        }

        boolean matches(AuditRecord r) {
            if (from != null && r.time().isBefore(from)) {
                return false;
            }
            if (to != null && !r.time().isBefore(to)) {
                return false;
            }
            AuditRecord.Caller caller = r.caller();
            return is("--subject", caller == null ? null : caller.subject())
                    && is("--tenant", caller == null ? null : caller.tenant())
                    && is("--tool", r.tool())
                    && is("--method", r.method())
                    && is("--decision", r.decision().wireName())
                    && is("--outcome", r.outcome().name().toLowerCase(Locale.ROOT))
                    && is("--reason", r.reason())
                    && is("--decision-id", r.decisionId())
                    && is("--event-id", r.eventId());
        }

        private boolean is(String option, String value) {
            String wanted = exact.get(option);
            return wanted == null || wanted.equals(value);
        }
    }

    /**
     * Reads lines of at most a bounded length from a stream in 64 KiB chunks; a longer line is skipped to its
     * newline without being kept. Not thread-safe.
     */
    static final class BoundedLineReader {
        /** What {@link #next()} found. */
        enum Kind { LINE, TOO_LONG, TORN, END }

        private final InputStream in;
        private final int maxBytes;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;
        private byte[] line = new byte[4096];
        private int length;
        private long lineNumber;
        private boolean eof;

        BoundedLineReader(InputStream in, int maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        /** Reads the next line; its text is {@link #text()} for {@code LINE} and {@code TORN}. */
        Kind next() throws IOException {
            length = 0;
            boolean tooLong = false;
            while (true) {
                if (position == limit) {
                    if (eof || !fill()) {
                        if (length == 0 && !tooLong) {
                            return Kind.END;
                        }
                        lineNumber++;
                        return tooLong ? Kind.TOO_LONG : Kind.TORN;
                    }
                }
                int newline = -1;
                for (int i = position; i < limit; i++) {
                    if (buffer[i] == '\n') {
                        newline = i;
                        break;
                    }
                }
                int end = newline < 0 ? limit : newline;
                int chunk = end - position;
                if (!tooLong && length + (long) chunk > maxBytes) {
                    tooLong = true; // drop what was kept; the rest of the line is only looked through
                    length = 0;
                }
                if (!tooLong) {
                    append(position, chunk);
                }
                position = end;
                if (newline >= 0) {
                    position++;
                    lineNumber++;
                    return tooLong ? Kind.TOO_LONG : Kind.LINE;
                }
            }
        }

        String text() {
            return new String(line, 0, length, StandardCharsets.UTF_8);
        }

        int length() {
            return length;
        }

        long lineNumber() {
            return lineNumber;
        }

        private boolean fill() throws IOException {
            int n = in.read(buffer);
            if (n <= 0) {
                eof = true;
                position = limit = 0;
                return false;
            }
            position = 0;
            limit = n;
            return true;
        }

        private void append(int from, int count) {
            if (length + count > line.length) {
                line = Arrays.copyOf(line, Math.min(maxBytes, Math.max(line.length * 2, length + count)));
            }
            System.arraycopy(buffer, from, line, length, count);
            length += count;
        }
    }
}
