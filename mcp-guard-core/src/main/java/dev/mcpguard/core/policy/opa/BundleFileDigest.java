package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes a bundle file's digest exactly as OPA's {@code bundle.VerifyBundleFile} does, so digests in a
 * {@code .signatures.json} written by {@code opa build --signing-key} match:
 *
 * <ul>
 *   <li>structured files (base name {@code data.json}, {@code .manifest}, {@code .signatures.json}) are parsed and
 *       hashed in a canonical form: object keys sorted by their UTF-8 bytes, no whitespace, numbers as written,
 *       strings encoded like Go's {@code encoding/json} with HTML escaping off;</li>
 *   <li>every other file is hashed as raw bytes.</li>
 * </ul>
 *
 * <p>Stricter than OPA in two ways, because two readers could disagree on the meaning of such a file: a
 * structured file with a duplicate object key is rejected instead of "last key wins", and one with a lone UTF-16
 * surrogate in a string or key (an unpaired {@code \ud800} escape) is rejected instead of being hashed as
 * U+FFFD, as Go does, while Jackson would load the surrogate itself: otherwise two different {@code data.json}
 * files would verify against one signature. Thread-safe (stateless).
 */
final class BundleFileDigest {

    /** Digest algorithms accepted in a signature; weaker ones OPA also knows (MD5, SHA-1) are refused. */
    static final Set<String> ACCEPTED_ALGORITHMS = Set.of("SHA-256", "SHA-384", "SHA-512");

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private BundleFileDigest() {
    }

    /** True for the files OPA hashes as canonical JSON. */
    static boolean isStructured(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        return base.equals("data.json") || base.equals(".manifest") || base.equals(".signatures.json");
    }

    /** The digest of {@code content} under {@code algorithm} (one of {@link #ACCEPTED_ALGORITHMS}). */
    static byte[] digest(String algorithm, String name, byte[] content) throws BundleException {
        if (!ACCEPTED_ALGORITHMS.contains(algorithm)) {
            throw new BundleException("signature uses digest algorithm " + BundleArchive.printable(algorithm)
                    + " for " + BundleArchive.printable(name) + "; accepted: " + ACCEPTED_ALGORITHMS);
        }
        MessageDigest digest = newDigest(algorithm);
        if (isStructured(name)) {
            digest.update(canonicalJson(name, content));
        } else {
            digest.update(content);
        }
        return digest.digest();
    }

    /** The canonical JSON encoding of {@code content}, as OPA hashes it. */
    static byte[] canonicalJson(String name, byte[] content) throws BundleException {
        try (JsonParser parser = JSON.createParser(content)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new BundleException(BundleArchive.printable(name) + " is empty, expected JSON");
            }
            Object value = readValue(parser, name);
            if (parser.nextToken() != null) {
                throw new BundleException(BundleArchive.printable(name) + " has content after its JSON value");
            }
            CanonicalWriter writer = new CanonicalWriter();
            writer.write(value);
            return writer.bytes();
        } catch (IOException e) {
            throw new BundleException(BundleArchive.printable(name) + " is not valid JSON (line "
                    + lineOf(e) + ")", e);
        }
    }

    private static String lineOf(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
            return String.valueOf(jpe.getLocation().getLineNr());
        }
        return "?";
    }

    /** A JSON number kept as written, as Go's decoder does with {@code UseNumber}. */
    private record RawNumber(String literal) {
    }

    /**
     * Refuses a string holding a lone UTF-16 surrogate, which canonical JSON (like Go) would hash as U+FFFD while
     * Jackson keeps it: the same signature would then cover two different values.
     */
    static void requireNoLoneSurrogate(String text, String fileName) throws BundleException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BundleException(BundleArchive.printable(fileName) + " contains a lone UTF-16 surrogate "
                        + "(an unpaired \\u" + Integer.toHexString(c) + " escape), which is refused");
            }
        }
    }

    private static Object readValue(JsonParser parser, String name) throws IOException, BundleException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT: {
                Map<String, Object> object = new TreeMap<>(UTF8_ORDER);
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    requireNoLoneSurrogate(key, name);
                    parser.nextToken();
                    object.put(key, readValue(parser, name));
                }
                return object;
            }
            case START_ARRAY: {
                List<Object> array = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(readValue(parser, name));
                }
                return array;
            }
            case VALUE_STRING:
                String text = parser.getText();
                requireNoLoneSurrogate(text, name);
                return text;
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return new RawNumber(parser.getText());
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new com.fasterxml.jackson.core.JsonParseException(parser, "unexpected token " + token);
        }
    }

    private static final class CanonicalWriter {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        byte[] bytes() {
            return out.toByteArray();
        }

        @SuppressWarnings("unchecked")
        void write(Object value) {
            if (value instanceof Map<?, ?> map) {
                out.write('{');
                boolean first = true;
                for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    writeString(e.getKey());
                    out.write(':');
                    write(e.getValue());
                }
                out.write('}');
            } else if (value instanceof List<?> list) {
                out.write('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.write(',');
                    }
                    write(list.get(i));
                }
                out.write(']');
            } else if (value instanceof String s) {
                writeString(s);
            } else if (value instanceof RawNumber n) {
                out.writeBytes(n.literal().getBytes(StandardCharsets.US_ASCII));
            } else if (value instanceof Boolean b) {
                out.writeBytes((b ? "true" : "false").getBytes(StandardCharsets.US_ASCII));
            } else {
                out.writeBytes("null".getBytes(StandardCharsets.US_ASCII));
            }
        }

        /** Go's encoding/json string encoding with SetEscapeHTML(false). */
        private void writeString(String s) {
            out.write('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.writeBytes(new byte[] {'\\', '"'});
                    case '\\' -> out.writeBytes(new byte[] {'\\', '\\'});
                    case '\b' -> out.writeBytes(new byte[] {'\\', 'b'});
                    case '\f' -> out.writeBytes(new byte[] {'\\', 'f'});
                    case '\n' -> out.writeBytes(new byte[] {'\\', 'n'});
                    case '\r' -> out.writeBytes(new byte[] {'\\', 'r'});
                    case '\t' -> out.writeBytes(new byte[] {'\\', 't'});
                    case '\u2028', '\u2029' -> out.writeBytes(
                            ("\\u" + Integer.toHexString(c)).getBytes(StandardCharsets.US_ASCII));
                    default -> {
                        if (c < 0x20) {
                            out.writeBytes(new byte[] {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 0xF]});
                        } else if (c < 0x80) {
                            out.write(c);
                        } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.writeBytes(s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
                            i++;
                        } else if (Character.isSurrogate(c)) {
                            // Unreachable: readValue refuses lone surrogates (Go would write U+FFFD here).
                            throw new IllegalStateException("lone surrogate in canonical JSON");
                        } else {
                            out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            out.write('"');
        }
    }

    static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by the Java platform", e);
        }
    }
}
