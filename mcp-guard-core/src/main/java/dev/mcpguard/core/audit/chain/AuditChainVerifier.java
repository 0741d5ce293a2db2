package dev.mcpguard.core.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.crypto.tink.KeysetHandle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Checks the hash chain of a {@code JsonlFileAuditSink} audit trail (schema version 3, {@code docs/audit.md}) and
 * its checkpoint signatures, across rotated files, and reports the first place where it breaks, or that it is
 * intact, or which parts it cannot vouch for.
 *
 * <ul>
 *   <li>{@link Verdict#TAMPERED}: the first bad line, named by file, line number, seq and {@link Kind} (edited,
 *       deleted, inserted, reordered, truncated, bad signature, unknown key, not a chain line).</li>
 *   <li>{@link Verdict#INCOMPLETE}: the chain is intact but not every record is covered by a verified signed
 *       checkpoint: records after the last checkpoint (a running or crashed writer, or whole lines truncated),
 *       a torn last line, unchained (version 2) lines before the chain's start, earlier rotated files not given,
 *       a last file that ends in {@code rotate} (the next one missing), or no public key to check the signatures
 *       with.</li>
 *   <li>{@link Verdict#OK}: every line chained and covered by a verified signed checkpoint; warnings name
 *       recovered crashes (a torn fragment kept and a {@code recovery} checkpoint after it) and restarts after an
 *       unclean stop. Never silently OK: the report carries the counts.</li>
 * </ul>
 *
 * <p>Files are streamed, never loaded whole; a line is kept up to {@value #MAX_LINE_BYTES} bytes (a longer one is
 * hashed and reported, not held). Findings name places and ids (seq, chain id, key id), never record contents.
 *
 * <pre>{@code
 * AuditChainVerifier verifier = AuditChainVerifier.withPublicKeyset(publicKeyset);
 * for (List<Path> chain : AuditChainVerifier.chainFiles(List.of(Path.of("/var/log/mcp/audit.jsonl")))) {
 *     AuditChainVerifier.Report report = verifier.verify(chain);
 * }
 * }</pre>
 *
 * <p>Thread-safe: immutable; each {@link #verify} call has its own state.
 */
public final class AuditChainVerifier {

    /** The longest line kept in memory; a longer one is not a chain line. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    /** The outcome, with the exit code of {@code mcp-guard audit verify}. */
    public enum Verdict {
        /** Intact and fully signed. Exit code 0. */
        OK(0),
        /** A line was edited, deleted, inserted, reordered or forged, or a file truncated. Exit code 1. */
        TAMPERED(1),
        /** Intact but not fully covered by verified signatures. Exit code 3. */
        INCOMPLETE(3);

        private final int exitCode;

        Verdict(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The exit code of {@code audit verify} for this verdict. */
        public int exitCode() {
            return exitCode;
        }
    }

    /** What a finding is; {@link #verdict()} says which verdict it leads to (null: a warning only). */
    public enum Kind {
        EDITED(Verdict.TAMPERED), DELETED(Verdict.TAMPERED), INSERTED(Verdict.TAMPERED),
        REORDERED(Verdict.TAMPERED), TRUNCATED(Verdict.TAMPERED), BAD_SIGNATURE(Verdict.TAMPERED),
        UNKNOWN_KEY(Verdict.TAMPERED), NOT_A_CHAIN_LINE(Verdict.TAMPERED),
        UNSIGNED_TAIL(Verdict.INCOMPLETE), TORN_LINE(Verdict.INCOMPLETE), UNCHAINED_LINES(Verdict.INCOMPLETE),
        EARLIER_FILES_MISSING(Verdict.INCOMPLETE), NEXT_FILE_MISSING(Verdict.INCOMPLETE),
        SIGNATURES_NOT_CHECKED(Verdict.INCOMPLETE),
        RECOVERED_CRASH(null), RESUMED_AFTER_CRASH(null), NOT_CLOSED(null);

        private final Verdict verdict;

        Kind(Verdict verdict) {
            this.verdict = verdict;
        }

        /** {@link Verdict#TAMPERED}, {@link Verdict#INCOMPLETE}, or null for a warning. */
        public Verdict verdict() {
            return verdict;
        }

        /** The lower-case name used in reports ({@code bad signature}). */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * One place in the trail: the file, the 1-based line number in it ({@code 0}: the file as a whole), the
     * line's seq ({@code -1} when it has none) and what was found.
     */
    public record Finding(Path file, long line, long seq, Kind kind, String detail) {
        public Finding {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(detail, "detail");
        }

        /** {@code file:line seq N: kind: detail}. */
        @Override
        public String toString() {
            return (file == null ? "-" : file.toString()) + (line > 0 ? ":" + line : "")
                    + (seq >= 0 ? " seq " + seq : "") + ": " + kind.label() + ": " + detail;
        }
    }

    /**
     * What {@link #verify} found. {@code tampered} is the first bad place (null unless {@link Verdict#TAMPERED});
     * {@code findings} every place reported, in file order (the tampered one last). {@code lastSignedSeq} and
     * {@code lastVerifiedSeq} are -1 when there is none; {@code keyId} is null for an unsigned chain.
     */
    public record Report(Verdict verdict, String chainId, long records, int files, long checkpoints,
                         long lastSignedSeq, Long keyId, long lastVerifiedSeq, Finding tampered,
                         List<Finding> findings) {
        public Report {
            Objects.requireNonNull(verdict, "verdict");
            findings = List.copyOf(findings);
        }
    }

    private final SignatureCheck signatures;

    private AuditChainVerifier(SignatureCheck signatures) {
        this.signatures = signatures;
    }

    /**
     * A verifier that checks signatures with {@code publicKeyset} (a Tink public keyset, such as the one
     * {@code mcp-guard audit keygen} writes). Needs Tink on the class path.
     *
     * @throws IllegalArgumentException if the keyset holds no public signature key
     */
    public static AuditChainVerifier withPublicKeyset(KeysetHandle publicKeyset) {
        return new AuditChainVerifier(new TinkSignatureCheck(publicKeyset));
    }

    /**
     * A verifier without a key: it checks the chain, but cannot tell an edit by someone who recomputed the
     * hashes, so its best verdict is {@link Verdict#INCOMPLETE} ({@link Kind#SIGNATURES_NOT_CHECKED}).
     */
    public static AuditChainVerifier withoutKey() {
        return new AuditChainVerifier(null);
    }

    /**
     * Groups paths into chains: a directory stands for the audit files in it; an active file ({@code audit.jsonl})
     * brings its rotated siblings ({@code audit.<20 digits>.jsonl}); each chain's files in chain order (rotated
     * files by their first seq, the active file last).
     *
     * @throws IOException if a directory cannot be listed or a path does not exist
     */
    public static List<List<Path>> chainFiles(List<Path> paths) throws IOException {
        Map<Path, Set<Path>> groups = new LinkedHashMap<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> list = Files.list(path)) {
                    for (Path file : list.filter(Files::isRegularFile).sorted().toList()) {
                        Path active = activeOf(file);
                        if (active.getFileName().toString().endsWith(".jsonl")) {
                            groups.computeIfAbsent(active, k -> new TreeSet<>(CHAIN_ORDER)).add(file);
                        }
                    }
                }
            } else if (Files.isRegularFile(path)) {
                Path active = activeOf(path);
                Set<Path> group = groups.computeIfAbsent(active, k -> new TreeSet<>(CHAIN_ORDER));
                group.add(path);
                if (active.equals(path)) {
                    Path dir = path.toAbsolutePath().getParent();
                    try (Stream<Path> list = Files.list(dir)) {
                        String name = path.getFileName().toString();
                        list.filter(f -> name.equals(AuditChainFormat.activeNameOf(f.getFileName().toString())))
                                .map(f -> path.resolveSibling(f.getFileName()))
                                .forEach(group::add);
                    }
                }
            } else {
                throw new IOException("no such audit file or directory: " + path);
            }
        }
        List<List<Path>> chains = new ArrayList<>();
        groups.values().forEach(g -> chains.add(List.copyOf(g)));
        return chains;
    }

    private static final Comparator<Path> CHAIN_ORDER = Comparator
            .comparingLong((Path p) -> {
                long seq = AuditChainFormat.rotatedSeqOf(p.getFileName().toString());
                return seq < 0 ? Long.MAX_VALUE : seq;
            })
            .thenComparing(Path::toString);

    private static Path activeOf(Path file) {
        String active = AuditChainFormat.activeNameOf(file.getFileName().toString());
        return active == null ? file : file.resolveSibling(active);
    }

    /**
     * Verifies one chain made of {@code files}, in chain order (see {@link #chainFiles}).
     *
     * @throws IOException if a file cannot be read
     */
    public Report verify(List<Path> files) throws IOException {
        Objects.requireNonNull(files, "files");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no audit files to verify");
        }
        return new Run(files).run();
    }

    /** The state of one verification. */
    private final class Run {
        private final List<Path> files;
        private final List<Finding> findings = new ArrayList<>();
        private boolean started;
        private String chainId;
        private long expectedSeq;
        private String lastHash;
        private String hashBeforeLast;
        private long records;
        private long checkpoints;
        private long lastSignedSeq = -1;
        private Long keyId;
        private long lastVerifiedSeq = -1;
        private Place lastPlace;
        private Place firstUncovered;
        private String lastReason;
        private long prefixLines;
        private boolean unsignedCheckpointSeen;

        Run(List<Path> files) {
            this.files = files;
        }

        Report run() throws IOException {
            for (int i = 0; i < files.size(); i++) {
                Finding bad = verifyFile(i);
                if (bad != null) {
                    findings.add(bad);
                    return report(Verdict.TAMPERED, bad);
                }
            }
            Path lastFile = files.get(files.size() - 1);
            if (!started) {
                Finding bad = new Finding(lastFile, 0, -1, Kind.NOT_A_CHAIN_LINE,
                        "no chain: no start checkpoint in " + prefixLines + " lines (a schema version 2 file?)");
                findings.add(bad);
                return report(Verdict.TAMPERED, bad);
            }
            if (signatures == null) {
                findings.add(new Finding(null, 0, -1, Kind.SIGNATURES_NOT_CHECKED, unsignedCheckpointSeen
                        ? "the checkpoints are unsigned: an edit by someone who recomputed the hashes cannot be told"
                        : "no public key given: the checkpoint signatures were not checked"));
            }
            if (firstUncovered != null) {
                findings.add(new Finding(firstUncovered.file(), firstUncovered.line(), firstUncovered.seq(),
                        Kind.UNSIGNED_TAIL, "records from here to " + describe(lastPlace) + " are not covered by a"
                        + (signatures == null ? "" : " verified signed") + " checkpoint (last signed seq "
                        + lastSignedSeq + ")"));
            } else if (!"close".equals(lastReason) && !"rotate".equals(lastReason)) { // rotate: reported above
                findings.add(new Finding(lastPlace.file(), lastPlace.line(), lastPlace.seq(), Kind.NOT_CLOSED,
                        "the last line is a " + lastReason + " checkpoint: the writer is running or did not close"));
            }
            boolean incomplete = findings.stream().anyMatch(f -> f.kind().verdict() == Verdict.INCOMPLETE);
            return report(incomplete ? Verdict.INCOMPLETE : Verdict.OK, null);
        }

        private Report report(Verdict verdict, Finding tampered) {
            return new Report(verdict, chainId, records, files.size(), checkpoints, lastSignedSeq, keyId,
                    lastVerifiedSeq, tampered, findings);
        }

        private String describe(Place place) {
            return place.file() + ":" + place.line() + " seq " + place.seq();
        }

        /** Verifies one file; the first bad place, or null. */
        private Finding verifyFile(int index) throws IOException {
            Path file = files.get(index);
            boolean lastFile = index == files.size() - 1;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
                ChainLineReader reader = new ChainLineReader(in, MAX_LINE_BYTES);
                ChainLineReader.Line cur = reader.next();
                long lineNo = 0;
                boolean firstChainLineOfFile = true;
                if (cur == null && !lastFile) {
                    return new Finding(file, 0, -1, Kind.TRUNCATED, "the file is empty although the chain"
                            + " continues in a later file");
                }
                while (cur != null) {
                    ChainLineReader.Line next = reader.next();
                    lineNo++;
                    if (!cur.terminated) {
                        if (lastFile) {
                            findings.add(new Finding(file, lineNo, -1, Kind.TORN_LINE, "the last line is torn ("
                                    + cur.size + " bytes without a line end): a crash during a write, or a"
                                    + " truncation; last verified seq " + lastVerifiedSeq));
                            return null;
                        }
                        return new Finding(file, lineNo, -1, Kind.TRUNCATED, "the file ends in a torn line although"
                                + " the chain continues in a later file");
                    }
                    if (started && isRecoveryOf(next, cur)) {
                        findings.add(new Finding(file, lineNo, -1, Kind.RECOVERED_CRASH, "a torn fragment of "
                                + cur.size + " bytes left by a crash, kept and recorded by the recovery checkpoint"
                                + " on line " + (lineNo + 1)));
                        cur = next;
                        continue;
                    }
                    Finding bad = started ? chained(file, lineNo, cur, next, index, firstChainLineOfFile, lastFile)
                            : beforeStart(file, lineNo, cur, index);
                    if (bad != null) {
                        return bad;
                    }
                    if (started) {
                        firstChainLineOfFile = false;
                    }
                    cur = next;
                }
                if (!lastFile && (!started || !"rotate".equals(lastReason))) {
                    return new Finding(file, lineNo, lastPlace == null ? -1 : lastPlace.seq(), Kind.TRUNCATED,
                            "the file ends without a rotate checkpoint although the chain continues in a later"
                                    + " file");
                }
            }
            return null;
        }

        private boolean isRecoveryOf(ChainLineReader.Line next, ChainLineReader.Line fragment) {
            if (next == null) {
                return false;
            }
            JsonNode cp = next.json();
            return cp != null && "recovery".equals(cp.path("reason").asText())
                    && cp.path("torn_bytes").asLong(-1) == fragment.size
                    && fragment.hash.equals(cp.path("torn_sha256").asText());
        }

        /** A line before the chain started: an unchained (version 2) line, the start, or a mid-chain continue. */
        private Finding beforeStart(Path file, long lineNo, ChainLineReader.Line line, int index) {
            JsonNode json = line.json();
            boolean checkpoint = json != null && json.has("record_type");
            String reason = checkpoint ? json.path("reason").asText() : null;
            if (checkpoint && "start".equals(reason)) {
                long declared = json.path("previous_unchained_lines").asLong(-1);
                if (declared != prefixLines) {
                    return new Finding(file, lineNo, json.path("seq").asLong(-1),
                            declared > prefixLines ? Kind.DELETED : Kind.INSERTED, "the start checkpoint counts "
                            + declared + " unchained lines before it, the file has " + prefixLines);
                }
                if (prefixLines > 0) {
                    findings.add(new Finding(file, 1, -1, Kind.UNCHAINED_LINES, "lines 1 to " + prefixLines
                            + " were written before the chain (schema version 2) and are not covered by it"));
                }
                begin(json, 0, null);
                return checkpointLine(file, lineNo, line, json, index == files.size() - 1, true, false);
            }
            if (checkpoint && "continue".equals(reason) && prefixLines == 0 && index == 0) {
                findings.add(new Finding(file, lineNo, json.path("seq").asLong(-1), Kind.EARLIER_FILES_MISSING,
                        "the chain begins mid-way (previous file " + safe(json.path("previous_file").asText())
                                + " not given or removed): only the lines from here on are verified"));
                begin(json, json.path("seq").asLong(), json.path("prev_hash").asText(null));
                return checkpointLine(file, lineNo, line, json, index == files.size() - 1, true, true);
            }
            if (json != null && json.path("schema_version").asInt() == AuditChainFormat.SCHEMA_VERSION
                    && json.has("seq")) {
                return new Finding(file, lineNo, json.path("seq").asLong(-1), index == 0 ? Kind.DELETED
                        : Kind.REORDERED, "a chain line before the chain's start checkpoint (the start, or the"
                        + " files before this one, were deleted or reordered)");
            }
            if (index > 0) {
                return new Finding(file, lineNo, -1, Kind.NOT_A_CHAIN_LINE, "not a chain line");
            }
            prefixLines++;
            return null;
        }

        private void begin(JsonNode json, long seq, String prevHash) {
            started = true;
            chainId = json.path("chain_id").asText();
            expectedSeq = seq;
            lastHash = prevHash;
            records = json.path("records").asLong();
        }

        /** A line after the chain started. */
        private Finding chained(Path file, long lineNo, ChainLineReader.Line line, ChainLineReader.Line next,
                                int index, boolean firstOfFile, boolean lastFile) throws IOException {
            JsonNode json = line.json();
            if (line.overlong()) {
                return new Finding(file, lineNo, -1, Kind.NOT_A_CHAIN_LINE, "a line of " + line.size
                        + " bytes, longer than " + MAX_LINE_BYTES + ": not a line the sink writes");
            }
            if (json == null || !json.path("seq").isIntegralNumber() || !json.has("prev_hash")
                    || json.path("schema_version").asInt() != AuditChainFormat.SCHEMA_VERSION) {
                return new Finding(file, lineNo, json == null ? -1 : json.path("seq").asLong(-1),
                        Kind.NOT_A_CHAIN_LINE, json == null ? "not a JSON object" : "no seq and prev_hash of"
                        + " schema version 3");
            }
            long seq = json.get("seq").asLong();
            String prevHash = json.get("prev_hash").asText(null);
            if (json.has("record_type") && !chainId.equals(json.path("chain_id").asText())) {
                return new Finding(file, lineNo, seq, Kind.INSERTED, "a checkpoint of another chain (chain_id "
                        + safe(json.path("chain_id").asText()) + ", this chain is " + chainId + ")");
            }
            if (seq != expectedSeq) {
                if (firstOfFile && index > 0) {
                    boolean swapped = seq < expectedSeq || laterFileBeginsAt(index + 1, expectedSeq);
                    return new Finding(file, lineNo, seq, swapped ? Kind.REORDERED : Kind.DELETED,
                            "the file begins at seq " + seq + " but the chain continues at seq " + expectedSeq
                                    + (swapped ? ": files out of order" : ": a file between was deleted"));
                }
                if (seq > expectedSeq) {
                    JsonNode after = next == null ? null : next.json();
                    if (after != null && after.path("seq").asLong(-1) == expectedSeq) {
                        return new Finding(file, lineNo, seq, Kind.REORDERED, "seq " + seq + " comes before seq "
                                + expectedSeq);
                    }
                    return new Finding(file, lineNo, seq, Kind.DELETED, (seq - expectedSeq == 1 ? "seq "
                            + expectedSeq : "seq " + expectedSeq + " to " + (seq - 1)) + " missing before this line");
                }
                if (prevHash != null && prevHash.equals(hashBeforeLast) && seq == expectedSeq - 1) {
                    return new Finding(lastPlace.file(), lastPlace.line(), lastPlace.seq(), Kind.INSERTED,
                            "a line inserted before line " + lineNo + " (which links to the line before it)");
                }
                return new Finding(file, lineNo, seq, Kind.INSERTED, "seq " + seq + " repeats an earlier seq"
                        + " (expected " + expectedSeq + ")");
            }
            if (!Objects.equals(prevHash, lastHash)) {
                if (lastPlace == null) {
                    return new Finding(file, lineNo, seq, Kind.EDITED, "prev_hash does not match");
                }
                return new Finding(lastPlace.file(), lastPlace.line(), lastPlace.seq(), Kind.EDITED,
                        "its hash does not match the prev_hash of the next chain line ("
                                + (lastPlace.file().equals(file) ? "line " + lineNo : file + ":" + lineNo)
                                + ")");
            }
            if (json.has("record_type")) {
                Finding bad = checkpointLine(file, lineNo, line, json, lastFile, false, false);
                if (bad != null) {
                    return bad;
                }
                if ("rotate".equals(lastReason) && next != null) {
                    return new Finding(file, lineNo, seq, Kind.INSERTED, "lines after a rotate checkpoint");
                }
                if ("continue".equals(lastReason) && !firstOfFile) {
                    return new Finding(file, lineNo, seq, Kind.INSERTED, "a continue checkpoint that does not"
                            + " begin its file");
                }
            } else {
                records++;
                if (firstUncovered == null) {
                    firstUncovered = new Place(file, lineNo, seq);
                }
            }
            advance(file, lineNo, seq, line.hash);
            return null;
        }

        /** Whether one of the files from {@code from} on begins with the line of {@code seq} (a swapped file). */
        private boolean laterFileBeginsAt(int from, long seq) throws IOException {
            for (int i = from; i < files.size(); i++) {
                try (InputStream in = new BufferedInputStream(Files.newInputStream(files.get(i)))) {
                    ChainLineReader.Line first = new ChainLineReader(in, MAX_LINE_BYTES).next();
                    JsonNode json = first == null ? null : first.json();
                    if (json != null && json.path("seq").asLong(-1) == seq) {
                        return true;
                    }
                }
            }
            return false;
        }

        private void advance(Path file, long lineNo, long seq, String hash) {
            hashBeforeLast = lastHash;
            lastHash = hash;
            expectedSeq = seq + 1;
            lastVerifiedSeq = seq;
            lastPlace = new Place(file, lineNo, seq);
        }

        /** The checks of a checkpoint line that the chain links (or that begins it). */
        private Finding checkpointLine(Path file, long lineNo, ChainLineReader.Line line, JsonNode json,
                                       boolean lastFile, boolean first, boolean midway) {
            long seq = json.path("seq").asLong(-1);
            String reason = json.path("reason").asText();
            if (!"checkpoint".equals(json.path("record_type").asText())) {
                return new Finding(file, lineNo, seq, Kind.NOT_A_CHAIN_LINE, "unknown record_type "
                        + safe(json.path("record_type").asText()));
            }
            if (!chainId.equals(json.path("chain_id").asText())) {
                return new Finding(file, lineNo, seq, Kind.INSERTED, "a checkpoint of another chain (chain_id "
                        + safe(json.path("chain_id").asText()) + ", this chain is " + chainId + ")");
            }
            long counted = json.path("records").asLong(-1);
            if (counted != records) {
                return new Finding(file, lineNo, seq, counted > records ? Kind.DELETED : Kind.INSERTED,
                        "the checkpoint counts " + counted + " records, the chain has " + records);
            }
            if (!first && ("start".equals(reason))) {
                return new Finding(file, lineNo, seq, Kind.INSERTED, "a start checkpoint in the middle of the chain");
            }
            if (first && !midway && (seq != 0 || counted != 0 || !json.get("prev_hash").isNull())) {
                return new Finding(file, lineNo, seq, Kind.EDITED, "a start checkpoint must have seq 0, records 0"
                        + " and no prev_hash");
            }
            if (!Set.of("start", "interval", "close", "resume", "recovery", "rotate", "continue").contains(reason)) {
                return new Finding(file, lineNo, seq, Kind.NOT_A_CHAIN_LINE, "unknown checkpoint reason "
                        + safe(reason));
            }
            if ("rotate".equals(reason) && lastFile) {
                findings.add(new Finding(file, lineNo, seq, Kind.NEXT_FILE_MISSING, "a rotate checkpoint ends the"
                        + " last file: the file the chain continues in is missing (a crash during the rotation, or"
                        + " it was removed)"));
            }
            Finding signature = signature(file, lineNo, line, json, seq);
            if (signature != null) {
                return signature;
            }
            if ("resume".equals(reason) && json.path("unsigned_records").asLong() > 0) {
                findings.add(new Finding(file, lineNo, seq, Kind.RESUMED_AFTER_CRASH, "a restart after an unclean"
                        + " stop: " + json.path("unsigned_records").asLong() + " records before it were unsigned"
                        + " until this checkpoint"));
            }
            checkpoints++;
            lastReason = reason;
            if (first) {
                advance(file, lineNo, seq, line.hash);
            }
            return null;
        }

        private Finding signature(Path file, long lineNo, ChainLineReader.Line line, JsonNode json, long seq) {
            JsonNode id = json.path("key_id");
            JsonNode sig = json.path("signature");
            if (signatures == null) {
                if (!id.isIntegralNumber() || !sig.isTextual()) {
                    unsignedCheckpointSeen = true;
                } else {
                    keyId = id.asLong();
                }
                firstUncovered = null; // covered by a checkpoint, though no signature was checked
                return null;
            }
            if (!id.isIntegralNumber() || !sig.isTextual()) {
                return new Finding(file, lineNo, seq, Kind.BAD_SIGNATURE, "an unsigned checkpoint");
            }
            if (!signatures.knows(id.asLong())) {
                return new Finding(file, lineNo, seq, Kind.UNKNOWN_KEY, "signed by key id " + id.asLong()
                        + ", which the public keyset does not hold (its primary is " + signatures.primaryKeyId()
                        + ")");
            }
            byte[] signed = AuditChainFormat.signedBytes(line.bytes, line.bytes.length);
            byte[] signatureBytes;
            try {
                signatureBytes = Base64.getUrlDecoder().decode(sig.asText());
            } catch (IllegalArgumentException e) {
                return new Finding(file, lineNo, seq, Kind.BAD_SIGNATURE, "the signature is not base64url");
            }
            if (signed == null || !signatures.verifies(signatureBytes, signed)) {
                return new Finding(file, lineNo, seq, Kind.BAD_SIGNATURE, "the signature does not verify: the"
                        + " checkpoint was edited or forged");
            }
            keyId = id.asLong();
            lastSignedSeq = seq;
            firstUncovered = null;
            return null;
        }
    }

    /** A line of the chain: file, line number, seq. */
    private record Place(Path file, long line, long seq) {
    }

    /** An id from the file, bounded and printable (a hostile file may put anything there). */
    private static String safe(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < 64; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return text.length() > 64 ? out + "..." : out.toString();
    }
}
