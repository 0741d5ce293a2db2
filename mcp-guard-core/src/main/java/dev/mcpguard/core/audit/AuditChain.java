package dev.mcpguard.core.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.mcpguard.core.audit.chain.AuditChainFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;

/**
 * The state of {@link JsonlFileAuditSink}'s hash chain (schema version 3, {@code docs/audit.md}) and the code that
 * turns records into chained lines: each line gets the next {@code seq} and the hash of the line before it as
 * {@code prev_hash}; checkpoint lines (signed when a {@link CheckpointSigner} is set) are put in after every
 * {@code everyRecords} records, after {@code everyTime}, and on demand (start, close, resume, recovery, rotate,
 * continue).
 *
 * <p>Not thread-safe: used by one appender at a time (the durable group-commit leader, the async writer, or the
 * sink while it opens or closes), under the sink's hand-off. The state advances in the order lines are appended;
 * {@link #mark()} and {@link #reset(Mark)} roll it back when a batch is cut off the file again.
 */
final class AuditChain {

    private static final byte[] SEQ = ",\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREV_HASH = ",\"prev_hash\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\"}\n".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final String chainId;
    private final CheckpointSigner signer;
    private final Clock clock;
    private final int everyRecords;
    private final Duration everyTime;
    private final MessageDigest digest = AuditChainFormat.sha256();
    private long nextSeq;
    private String prevHash;
    private long records;
    private long sinceCheckpoint;
    private Instant lastCheckpoint;
    private long fileFirstSeq;

    AuditChain(String chainId, long nextSeq, String prevHash, long records, long sinceCheckpoint, long fileFirstSeq,
               CheckpointSigner signer, Clock clock, int everyRecords, Duration everyTime) {
        this.chainId = chainId;
        this.nextSeq = nextSeq;
        this.prevHash = prevHash;
        this.records = records;
        this.sinceCheckpoint = sinceCheckpoint;
        this.fileFirstSeq = fileFirstSeq;
        this.signer = signer;
        this.clock = clock;
        this.everyRecords = everyRecords;
        this.everyTime = everyTime;
        this.lastCheckpoint = clock.instant();
    }

    /** The chain's state at one moment, to roll back to. */
    record Mark(long nextSeq, String prevHash, long records, long sinceCheckpoint, Instant lastCheckpoint,
                long fileFirstSeq) {
    }

    Mark mark() {
        return new Mark(nextSeq, prevHash, records, sinceCheckpoint, lastCheckpoint, fileFirstSeq);
    }

    void reset(Mark mark) {
        nextSeq = mark.nextSeq;
        prevHash = mark.prevHash;
        records = mark.records;
        sinceCheckpoint = mark.sinceCheckpoint;
        lastCheckpoint = mark.lastCheckpoint;
        fileFirstSeq = mark.fileFirstSeq;
    }

    String chainId() {
        return chainId;
    }

    long nextSeq() {
        return nextSeq;
    }

    /** The seq of the first line of the active file (names the file when it is rotated). */
    long fileFirstSeq() {
        return fileFirstSeq;
    }

    /** The next line appended is the first of a new file. */
    void startFile() {
        fileFirstSeq = nextSeq;
    }

    /** Records appended since the last checkpoint. */
    long recordsSinceCheckpoint() {
        return sinceCheckpoint;
    }

    /**
     * Appends the records (their lines without the closing brace, from
     * {@link AuditRecordJson#toChainRecordPrefix}) as chained lines, with an interval checkpoint after every
     * {@code everyRecords} records and one at the end if {@code everyTime} has passed since the last.
     */
    void appendRecords(Lines out, List<byte[]> recordPrefixes) throws GeneralSecurityException {
        for (byte[] prefix : recordPrefixes) {
            appendRecord(out, prefix);
            if (sinceCheckpoint >= everyRecords) {
                appendCheckpoint(out, "interval", json -> { });
            }
        }
        if (sinceCheckpoint > 0 && !clock.instant().isBefore(lastCheckpoint.plus(everyTime))) {
            appendCheckpoint(out, "interval", json -> { });
        }
    }

    private void appendRecord(Lines out, byte[] prefix) {
        int start = out.size();
        out.write(prefix, 0, prefix.length);
        out.write(SEQ, 0, SEQ.length);
        writeAscii(out, Long.toString(nextSeq));
        out.write(PREV_HASH, 0, PREV_HASH.length);
        writeAscii(out, prevHash);
        out.write(END, 0, END.length);
        advance(out, start);
        records++;
        sinceCheckpoint++;
    }

    /**
     * Appends a checkpoint line for {@code reason}; {@code fields} writes its reason-specific members (between
     * {@code prev_hash} and {@code key_id}).
     */
    void appendCheckpoint(Lines out, String reason, CheckpointFields fields) throws GeneralSecurityException {
        StringWriter text = new StringWriter(320);
        try (JsonGenerator json = AuditRecordJson.generator(text)) {
            json.writeStartObject();
            json.writeNumberField("schema_version", AuditChainFormat.SCHEMA_VERSION);
            json.writeStringField("record_type", "checkpoint");
            json.writeStringField("reason", reason);
            json.writeStringField("chain_id", chainId);
            json.writeNumberField("seq", nextSeq);
            json.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(clock.instant()));
            json.writeNumberField("records", records);
            json.writeStringField("prev_hash", prevHash);
            fields.write(json);
            if (signer == null) {
                json.writeNullField("key_id");
            } else {
                json.writeNumberField("key_id", signer.keyId());
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("could not write a checkpoint line", e);
        }
        StringBuffer signed = text.getBuffer(); // "<prefix>}": exactly the bytes the signature covers
        byte[] signedBytes = signed.toString().getBytes(StandardCharsets.UTF_8);
        String signature = signer == null ? "null" : "\"" + BASE64URL.encodeToString(signer.sign(signedBytes)) + "\"";
        int start = out.size();
        out.write(signedBytes, 0, signedBytes.length - 1);
        writeAscii(out, ",\"signature\":" + signature + "}\n");
        advance(out, start);
        sinceCheckpoint = 0;
        lastCheckpoint = clock.instant();
    }

    /** Appends bytes that are not part of the chain (the \n that ends a torn fragment). */
    static void appendRaw(Lines out, String ascii) {
        writeAscii(out, ascii);
    }

    private void advance(Lines out, int start) {
        prevHash = AuditChainFormat.hash(digest, out.bytes(), start, out.size() - start - 1);
        nextSeq++;
    }

    private static void writeAscii(Lines out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        out.write(bytes, 0, bytes.length);
    }

    /** Writes a checkpoint's reason-specific members. */
    @FunctionalInterface
    interface CheckpointFields {
        void write(JsonGenerator json) throws IOException;
    }

    /** Lines being assembled for one append. Not thread-safe. */
    static final class Lines extends ByteArrayOutputStream {
        Lines(int size) {
            super(size);
        }

        byte[] bytes() {
            return buf;
        }

        ByteBuffer asBuffer() {
            return ByteBuffer.wrap(buf, 0, count);
        }
    }
}
