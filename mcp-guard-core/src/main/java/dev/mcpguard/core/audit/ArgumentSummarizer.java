package dev.mcpguard.core.audit;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.internal.ClientText;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Turns a tool call's arguments into what the audit record may hold: for each top-level argument name, a keyed
 * hash of its value ({@code hmac-sha256:<64 hex digits>}), or the raw value for the few scalar fields the server
 * owner named as safe to record.
 *
 * <p>The hash is an HMAC-SHA256 under a server-held key of a canonical JSON encoding of the value (object keys
 * sorted, numbers in a canonical form), so equal values hash equally whatever the key order the client sent, and
 * someone who reads the audit trail but lacks the key cannot confirm a guess of a low-entropy value (an email
 * address, an account number). Whoever holds the key can check a value with {@link #hashOf(Object)}.
 *
 * <p>Safety rules, enforced at build time and per call:
 * <ul>
 *   <li>a raw field whose name looks secret (contains, ignoring case, {@value #SECRET_NAME_HINTS}) is rejected
 *       by {@link Builder#build()};</li>
 *   <li>raw values are written only for strings, numbers and booleans, truncated to
 *       {@link Builder#maxRawValueLength(int)} characters; lists, maps and nulls are hashed; in the guard's
 *       chain, personal data and secrets in a raw string are masked first, as the guardrails mask results,
 *       whether or not guardrails are configured ({@link #summarize(Map, UnaryOperator)});</li>
 *   <li>argument names are client input: control, format and line-separator characters are removed, names are
 *       cut to {@link Builder#maxNameLength(int)} characters, and at most {@link Builder#maxFields(int)} fields
 *       (the first by name order) are summarized; the rest are counted under {@value #TRUNCATED_MARKER}.</li>
 * </ul>
 *
 * <pre>{@code
 * ArgumentSummarizer summarizer = ArgumentSummarizer.builder(Secret.ofBytes(keyFromKms))
 *         .rawFields(Set.of("region", "order_id"))
 *         .build();
 * Map<String, String> summary = summarizer.summarize(call.arguments());
 * }</pre>
 *
 * <p>Immutable and thread-safe: each call uses its own {@link Mac} instance. Null maps and keys are rejected;
 * null values inside arguments are summarized like any other value.
 */
public final class ArgumentSummarizer {

    /** Prefix of every hashed summary. */
    public static final String HASH_PREFIX = "hmac-sha256:";
    /** The summary name under which the number of omitted fields is written when there are too many. */
    public static final String TRUNCATED_MARKER = "_truncated";
    /** Minimum key length in bytes. */
    public static final int MIN_KEY_BYTES = 32;
    /** Substrings (case-insensitive) that make an argument name look secret; such fields are never raw. */
    public static final String SECRET_NAME_HINTS =
            "password, passwd, secret, token, key, authorization, credential, cookie, session";

    private static final List<String> SECRET_HINTS = List.of(
            "password", "passwd", "secret", "token", "key", "authorization", "credential", "cookie", "session");
    private static final String ALGORITHM = "HmacSHA256";
    private static final JsonFactory CANONICAL_JSON = new JsonFactory();
    // Deeper than any real argument; bounds recursion on hostile or cyclic input.
    private static final int MAX_DEPTH = 256;

    private final Mac prototype;
    private final Set<String> rawFields;
    private final int maxFields;
    private final int maxNameLength;
    private final int maxRawValueLength;

    private ArgumentSummarizer(Builder builder) {
        byte[] key = builder.key.revealBytes();
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            this.prototype = mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        this.rawFields = Set.copyOf(builder.rawFields);
        this.maxFields = builder.maxFields;
        this.maxNameLength = builder.maxNameLength;
        this.maxRawValueLength = builder.maxRawValueLength;
    }

    /**
     * Starts a builder hashing under {@code key}, which must be at least {@value #MIN_KEY_BYTES} bytes. Use the
     * same key on every replica (from a KMS or secret store) to correlate hashes across replicas and restarts.
     */
    public static Builder builder(Secret key) {
        return new Builder(key);
    }

    /**
     * A summarizer with default limits, no raw fields, and a fresh random 32-byte key. Hashes then correlate only
     * within this process: equal values hash equally until it restarts, and nobody (not even the operator) can
     * check a value against them afterwards. Suitable for development and for deployments that want no
     * verifiable argument trace.
     */
    public static ArgumentSummarizer withRandomKey() {
        byte[] key = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(key);
        Secret secret = Secret.ofBytes(key);
        Arrays.fill(key, (byte) 0);
        try {
            return builder(secret).build();
        } finally {
            secret.destroy();
        }
    }

    /**
     * Summarizes {@code arguments}: returns a new map from sanitized argument name to summary. Never throws for
     * any JSON-like input.
     */
    public Map<String, String> summarize(Map<String, ?> arguments) {
        return summarize(arguments, UnaryOperator.identity());
    }

    /**
     * As {@link #summarize(Map)}, with every raw string value passed through {@code rawValueMasker} before it is
     * cut to length; the guard passes the guardrails' personal-data and secret masker, so a raw field is raw for
     * reviewers, never for the card number or token a caller put in it.
     */
    public Map<String, String> summarize(Map<String, ?> arguments, UnaryOperator<String> rawValueMasker) {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(rawValueMasker, "rawValueMasker");
        // Sort so the kept subset and the name disambiguation are the same for equal inputs.
        TreeMap<String, Object> sorted = new TreeMap<>();
        for (Map.Entry<String, ?> e : arguments.entrySet()) {
            sorted.put(String.valueOf(e.getKey()), e.getValue());
        }
        Map<String, String> summary = new LinkedHashMap<>();
        int omitted = Math.max(0, sorted.size() - maxFields);
        if (omitted > 0) {
            summary.put(TRUNCATED_MARKER, Integer.toString(omitted));
        }
        int kept = 0;
        for (Map.Entry<String, Object> e : sorted.entrySet()) {
            if (kept++ == maxFields) {
                break;
            }
            String name = e.getKey();
            summary.put(uniqueName(summary, sanitizeName(name)), summarizeValue(name, e.getValue(), rawValueMasker));
        }
        return summary;
    }

    /**
     * The keyed hash of {@code value} as it appears in a summary ({@code hmac-sha256:<hex>}). Lets a key holder
     * check offline whether an audited argument had a given value: parse the value as JSON (or build it as maps,
     * lists, strings, numbers, booleans and nulls) and compare.
     */
    public String hashOf(Object value) {
        Mac mac = newMac();
        try (JsonGenerator json = CANONICAL_JSON.createGenerator(new MacOutputStream(mac), JsonEncoding.UTF8)) {
            writeCanonical(json, value, 0);
        } catch (IOException e) {
            // MacOutputStream does not throw; Jackson could only fail on a bug.
            throw new UncheckedIOException("could not encode an argument value for hashing", e);
        }
        return HASH_PREFIX + HexFormat.of().formatHex(mac.doFinal());
    }

    /** The configured raw field names (exact, case-sensitive match). */
    public Set<String> rawFields() {
        return rawFields;
    }

    @Override
    public String toString() {
        return "ArgumentSummarizer[key=redacted, rawFields=" + new TreeSet<>(rawFields) + ", maxFields="
                + maxFields + ", maxNameLength=" + maxNameLength + ", maxRawValueLength=" + maxRawValueLength + "]";
    }

    private String summarizeValue(String name, Object value, UnaryOperator<String> rawValueMasker) {
        if (rawFields.contains(name)) {
            if (value instanceof String s) {
                return truncate(rawValueMasker.apply(s));
            }
            if (value instanceof Number || value instanceof Boolean) {
                return truncate(canonicalScalar(value));
            }
        }
        return hashOf(value);
    }

    private String truncate(String s) {
        if (s.length() <= maxRawValueLength) {
            return s;
        }
        int end = maxRawValueLength;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return s.substring(0, end) + "…";
    }

    private String sanitizeName(String name) {
        String clean = ClientText.withoutInvisible(name, maxNameLength);
        return clean.isEmpty() ? "_" : clean;
    }

    private static String uniqueName(Map<String, String> taken, String name) {
        // Distinct client names can sanitize to the same name; keep both rather than let one hide the other.
        if (!taken.containsKey(name)) {
            return name;
        }
        for (int n = 2; ; n++) {
            String candidate = name + "~" + n;
            if (!taken.containsKey(candidate)) {
                return candidate;
            }
        }
    }

    private Mac newMac() {
        try {
            return (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            // The JDK's HmacSHA256 supports clone; a provider that does not cannot be used safely from many threads.
            throw new IllegalStateException(ALGORITHM + " provider does not support Mac.clone()", e);
        }
    }

    private static void writeCanonical(JsonGenerator json, Object value, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            json.writeString("<nesting deeper than " + MAX_DEPTH + ">");
            return;
        }
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String s) {
            json.writeString(s);
        } else if (value instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (value instanceof Number n) {
            String canonical = canonicalScalar(n);
            if (canonical.startsWith("NaN") || canonical.contains("Infinity")) {
                json.writeString(canonical);
            } else {
                json.writeNumber(canonical);
            }
        } else if (value instanceof Map<?, ?> map) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
            json.writeStartObject();
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                json.writeFieldName(e.getKey());
                writeCanonical(json, e.getValue(), depth + 1);
            }
            json.writeEndObject();
        } else if (value instanceof Collection<?> list) {
            json.writeStartArray();
            for (Object item : new ArrayList<>(list)) {
                writeCanonical(json, item, depth + 1);
            }
            json.writeEndArray();
        } else if (value instanceof Object[] array) {
            writeCanonical(json, Arrays.asList(array), depth);
        } else {
            json.writeString(String.valueOf(value));
        }
    }

    /**
     * Numbers in one form whatever their Java type: integers as plain digits, other values as the shortest
     * {@link BigDecimal} form without trailing zeros, so {@code 1}, {@code 1L}, {@code 1.0} and
     * {@code new BigDecimal("1.00")} are the same value.
     */
    private static String canonicalScalar(Object value) {
        if (value instanceof Boolean b) {
            return b.toString();
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return value.toString();
        }
        BigDecimal decimal;
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return Double.toString(d);
            }
            // Float.toString keeps 0.1f as "0.1" rather than its widened double expansion.
            decimal = new BigDecimal(value instanceof Float f ? Float.toString(f) : Double.toString(d));
        } else if (value instanceof BigDecimal bd) {
            decimal = bd;
        } else {
            try {
                decimal = new BigDecimal(value.toString());
            } catch (NumberFormatException e) {
                return value.toString();
            }
        }
        decimal = decimal.stripTrailingZeros();
        // Integral values of sane size as plain digits; anything else in scientific form (bounded length even
        // for 1e999999999).
        if (decimal.scale() <= 0 && decimal.precision() - decimal.scale() <= 20) {
            return decimal.toPlainString();
        }
        return decimal.toString();
    }

    private static final class MacOutputStream extends OutputStream {
        private final Mac mac;

        MacOutputStream(Mac mac) {
            this.mac = mac;
        }

        @Override
        public void write(int b) {
            mac.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            mac.update(b, off, len);
        }
    }

    /**
     * Builds an {@link ArgumentSummarizer}. Setters reject bad values at once with a message showing the value.
     * Not thread-safe; build once and share the result.
     */
    public static final class Builder {
        private final Secret key;
        private Set<String> rawFields = Set.of();
        private int maxFields = 64;
        private int maxNameLength = 128;
        private int maxRawValueLength = 256;

        private Builder(Secret key) {
            Objects.requireNonNull(key, "key");
            if (key.length() < MIN_KEY_BYTES) {
                throw new IllegalArgumentException(
                        "key must be at least " + MIN_KEY_BYTES + " bytes, got " + key.length() + " bytes");
            }
            this.key = key;
        }

        /**
         * Argument names whose scalar values are recorded as they are (exact, case-sensitive names). Only for
         * values that are neither personal nor secret, such as a region or an order id. Names that look secret
         * are rejected by {@link #build()}. Default: none.
         */
        public Builder rawFields(Set<String> names) {
            Objects.requireNonNull(names, "names");
            for (String name : names) {
                Objects.requireNonNull(name, "raw field name");
            }
            this.rawFields = Set.copyOf(names);
            return this;
        }

        /** At most this many argument fields are summarized, 1 to 10,000. Default 64. */
        public Builder maxFields(int maxFields) {
            if (maxFields < 1 || maxFields > 10_000) {
                throw new IllegalArgumentException("maxFields must be between 1 and 10000, got " + maxFields);
            }
            this.maxFields = maxFields;
            return this;
        }

        /** Argument names are cut to this many characters, 8 to 1,024. Default 128. */
        public Builder maxNameLength(int maxNameLength) {
            if (maxNameLength < 8 || maxNameLength > 1024) {
                throw new IllegalArgumentException("maxNameLength must be between 8 and 1024, got " + maxNameLength);
            }
            this.maxNameLength = maxNameLength;
            return this;
        }

        /** Raw values are cut to this many characters (plus an ellipsis), 1 to 4,096. Default 256. */
        public Builder maxRawValueLength(int maxRawValueLength) {
            if (maxRawValueLength < 1 || maxRawValueLength > 4096) {
                throw new IllegalArgumentException(
                        "maxRawValueLength must be between 1 and 4096, got " + maxRawValueLength);
            }
            this.maxRawValueLength = maxRawValueLength;
            return this;
        }

        /**
         * Builds the summarizer.
         *
         * @throws IllegalArgumentException naming the field if a raw field's name looks secret
         */
        public ArgumentSummarizer build() {
            for (String name : new TreeSet<>(rawFields)) {
                String lower = name.toLowerCase(Locale.ROOT);
                for (String hint : SECRET_HINTS) {
                    if (lower.contains(hint)) {
                        throw new IllegalArgumentException("raw field '" + name + "' looks secret (contains '"
                                + hint + "'); it is always hashed and cannot be recorded raw");
                    }
                }
            }
            return new ArgumentSummarizer(this);
        }
    }
}
