package dev.mcpguard.core.audit.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The byte-level rules of the audit chain (schema version 3, {@code docs/audit.md}) shared by the file sink that
 * writes it and the verifier that checks it: the line hash, the bytes a checkpoint signature covers, how a
 * checkpoint line begins and how rotated files are named. Support for {@code JsonlFileAuditSink} and
 * {@link AuditChainVerifier}; a verifier in another language follows {@code docs/audit.md}, not this class.
 *
 * <p>Stateless and thread-safe. Null arguments are rejected.
 */
public final class AuditChainFormat {

    /** The schema version of chain lines. */
    public static final int SCHEMA_VERSION = 3;
    /** How every hash in the chain is written: this prefix and 64 lowercase hex digits. */
    public static final String HASH_PREFIX = "sha256:";
    /** The exact start of every checkpoint line (the writer's output is canonical). */
    public static final String CHECKPOINT_START = "{\"schema_version\":3,\"record_type\":\"checkpoint\",";
    /** The last member of a checkpoint line; the signature covers the line without it. */
    static final String SIGNATURE_MEMBER = ",\"signature\":";
    /** How many digits the first seq of a rotated file has in its name. */
    public static final int ROTATED_SEQ_DIGITS = 20;

    private static final byte[] CHECKPOINT_START_BYTES = CHECKPOINT_START.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SIGNATURE_MEMBER_BYTES = SIGNATURE_MEMBER.getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();
    private static final Pattern ROTATED = Pattern.compile("(.*)\\.(\\d{" + ROTATED_SEQ_DIGITS + "})(\\.[^.]*)?");

    private AuditChainFormat() {
    }

    /** A new SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** {@code sha256:<hex>} of {@code length} bytes of {@code line} from {@code offset} (a line without its \n). */
    public static String hash(MessageDigest digest, byte[] line, int offset, int length) {
        digest.reset();
        digest.update(line, offset, length);
        return HASH_PREFIX + HEX.formatHex(digest.digest());
    }

    /** {@code sha256:<hex>} of a finished digest. */
    public static String hashOf(MessageDigest finished) {
        return HASH_PREFIX + HEX.formatHex(finished.digest());
    }

    /** Whether the line (without its \n) begins like a checkpoint line. */
    public static boolean isCheckpoint(byte[] line, int length) {
        return length >= CHECKPOINT_START_BYTES.length
                && Arrays.equals(line, 0, CHECKPOINT_START_BYTES.length, CHECKPOINT_START_BYTES, 0,
                CHECKPOINT_START_BYTES.length);
    }

    /**
     * The bytes a checkpoint's signature covers: the line with its last member ({@code ,"signature":...}) removed,
     * that is {@code <prefix>}}; null when the line does not end in a signature member.
     */
    public static byte[] signedBytes(byte[] line, int length) {
        int at = lastIndexOf(line, length, SIGNATURE_MEMBER_BYTES);
        if (at < 0 || length == 0 || line[length - 1] != '}') {
            return null;
        }
        byte[] signed = Arrays.copyOf(line, at + 1);
        signed[at] = '}';
        return signed;
    }

    /**
     * The name a rotated file gets: {@code audit.jsonl} holding seq 12345 first becomes
     * {@code audit.00000000000000012345.jsonl}, so rotated files sort in chain order next to the active one.
     */
    public static String rotatedName(String activeName, long firstSeq) {
        Objects.requireNonNull(activeName, "activeName");
        int dot = activeName.lastIndexOf('.');
        String stem = dot > 0 ? activeName.substring(0, dot) : activeName;
        String ext = dot > 0 ? activeName.substring(dot) : "";
        return stem + "." + String.format("%0" + ROTATED_SEQ_DIGITS + "d", firstSeq) + ext;
    }

    /** The active file's name for a rotated file's name, or null if {@code name} is not a rotated name. */
    public static String activeNameOf(String name) {
        Matcher m = ROTATED.matcher(Objects.requireNonNull(name, "name"));
        if (!m.matches() || m.group(1).isEmpty()) {
            return null;
        }
        return m.group(1) + (m.group(3) == null ? "" : m.group(3));
    }

    /** The first seq in a rotated file's name; -1 if it is not a rotated name. */
    public static long rotatedSeqOf(String name) {
        Matcher m = ROTATED.matcher(Objects.requireNonNull(name, "name"));
        if (!m.matches() || m.group(1).isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            return -1; // 20 digits beyond Long.MAX_VALUE: not a name the sink writes
        }
    }

    private static int lastIndexOf(byte[] data, int length, byte[] needle) {
        for (int i = length - needle.length; i >= 0; i--) {
            if (Arrays.equals(data, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
