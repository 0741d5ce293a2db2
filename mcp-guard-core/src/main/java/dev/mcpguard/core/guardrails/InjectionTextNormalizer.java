package dev.mcpguard.core.guardrails;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UCharacterCategory;
import com.ibm.icu.lang.UProperty;
import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.text.SpoofChecker;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Turns a string into the texts the prompt-injection rules are matched against, so that the usual ways of hiding
 * an instruction from a filter but not from a model do not work:
 *
 * <ul>
 *   <li><b>Hidden characters</b> are stripped and counted: zero-width characters (U+200B to U+200F, U+2060 to
 *       U+2064, U+FEFF, U+180E), bidirectional controls (U+202A to U+202E, U+2066 to U+2069) and Unicode tag
 *       characters (U+E0000 to U+E007F). The count leaves out what ordinary text carries: a byte-order mark at the
 *       start, a zero-width joiner after an emoji, the tag sequence of a subdivision flag. Tag characters that
 *       spell ASCII ("ASCII smuggling") are also decoded into a text of their own and scanned.</li>
 *   <li><b>Compatibility forms and combining marks</b>: every code point is lower-cased and decomposed with NFKD
 *       (which folds everything NFKC folds: fullwidth, mathematical, circled and ligature forms), and combining
 *       marks are dropped, so "ｉｇｎｏｒｅ", "𝐢𝐠𝐧𝐨𝐫𝐞" and "i̷g̷n̷o̷r̷e̷" read "ignore".</li>
 *   <li><b>Homoglyphs</b>: a non-ASCII code point whose Unicode TR39 skeleton (ICU's {@link SpoofChecker}) is ASCII
 *       is replaced by that skeleton, so Cyrillic "іgnоrе" reads "ignore". ASCII itself is left as is (the
 *       skeleton of "m" is "rn", which would break plain text).</li>
 *   <li><b>Encoded runs</b>: base64 runs (standard or URL-safe, at least {@value #MIN_BASE64_RUN} characters),
 *       percent-encoding (at least {@value #MIN_PERCENT_ESCAPES} escapes) and HTML character references are
 *       decoded, and a decoded result that is text (valid UTF-8, mostly printable) becomes a text of its own,
 *       normalised the same way, up to {@code decodeLevels} levels deep.</li>
 * </ul>
 *
 * <p>Everything is linear in the input: each code point is folded once (folds are cached per code point), each
 * encoded run is decoded once per level, a decoded text is never longer than its run. The folded text is at most
 * {@value #MAX_EXPANSION} times the input plus a little; a text that would be longer, or that holds more than
 * {@value #MAX_DECODED_TEXTS} decoded texts, is cut there and {@link Normalized#complete()} says so, so the
 * detector can fail closed.
 *
 * <p>Immutable and thread-safe; the shared fold cache is safe for concurrent use. Never logs or keeps the text.
 */
final class InjectionTextNormalizer {

    /** The shortest base64 run decoded (15 bytes): shorter runs are mostly words and ids. */
    static final int MIN_BASE64_RUN = 20;
    /** The fewest percent escapes that make a text worth decoding. */
    static final int MIN_PERCENT_ESCAPES = 3;
    /** The most decoded texts one string yields, over all levels. */
    static final int MAX_DECODED_TEXTS = 64;
    /** The folded text may be this many times the input (NFKD expands a few code points a lot). */
    static final int MAX_EXPANSION = 2;

    private static final Normalizer2 NFKD = Normalizer2.getNFKDInstance();
    private static final Normalizer2 NFKC = Normalizer2.getNFKCInstance();
    private static final SpoofChecker SKELETONS = new SpoofChecker.Builder().build();
    /** Folds of BMP code points, filled on first use; a miss costs one NFKD and one skeleton. */
    private static final AtomicReferenceArray<String> BMP_FOLDS = new AtomicReferenceArray<>(0x10000);
    /** Folds of supplementary code points, bounded; past the bound a fold is computed each time. */
    private static final Map<Integer, String> SUPPLEMENTARY_FOLDS = new ConcurrentHashMap<>();
    private static final int MAX_SUPPLEMENTARY_FOLDS = 4096;

    private final int decodeLevels;

    /**
     * A normaliser decoding up to {@code decodeLevels} nested encodings (0: none; 2: base64 of percent-encoded
     * text is read).
     */
    InjectionTextNormalizer(int decodeLevels) {
        if (decodeLevels < 0 || decodeLevels > 4) {
            throw new IllegalArgumentException("decodeLevels must be 0 to 4, got " + decodeLevels);
        }
        this.decodeLevels = decodeLevels;
    }

    /**
     * The result of normalising one string.
     *
     * @param texts            the folded string first, then each decoded text; never empty
     * @param hiddenCharacters how many hidden characters were stripped, over all texts, leaving out those of
     *                         ordinary text (see the class comment)
     * @param complete         false when a bound cut a text or the decoding short
     */
    record Normalized(List<FoldedText> texts, int hiddenCharacters, boolean complete) {
    }

    /**
     * One text to match rules against, and how its positions map back to the string that was normalised: a
     * position in the folded string maps to the code point it came from; a position in a decoded text maps to
     * the whole encoded run it was decoded from (the span a redactor would mask).
     */
    static final class FoldedText {
        private final String text;
        private final String source;
        private final int[] origin;
        private final int runStart;
        private final int runEnd;
        private final String encoding;
        /** The text its tag characters spelled, when they spelled any; set once, right after folding. */
        private FoldedText smuggled;

        private FoldedText(String text, String source, int[] origin, int runStart, int runEnd, String encoding) {
            this.text = text;
            this.source = source;
            this.origin = origin;
            this.runStart = runStart;
            this.runEnd = runEnd;
            this.encoding = encoding;
        }

        /** The folded text. */
        String text() {
            return text;
        }

        /** {@code none} for the folded string, else how it was decoded ({@code base64}, {@code tags}, ...). */
        String encoding() {
            return encoding;
        }

        /** Where position {@code start} of {@link #text()} starts in the normalised string. */
        int sourceStart(int start) {
            if (origin == null) {
                return runStart;
            }
            return start < text.length() ? origin[start] : source.length();
        }

        /** Where the span ending (exclusive) at {@code end} of {@link #text()} ends in the normalised string. */
        int sourceEnd(int end) {
            if (origin == null) {
                return runEnd;
            }
            if (end == 0) {
                return origin.length == 0 ? 0 : origin[0];
            }
            int last = origin[end - 1];
            return last + Character.charCount(source.codePointAt(last));
        }
    }

    /** Normalises {@code text}. */
    Normalized normalize(String text) {
        Work work = new Work();
        FoldedText top = fold(text, work, -1, -1, "none");
        List<FoldedText> texts = new ArrayList<>();
        texts.add(top);
        decodeAll(top, 1, work, texts);
        return new Normalized(List.copyOf(texts), work.hidden, work.complete);
    }

    /** What one normalisation has used so far. */
    private static final class Work {
        int hidden;
        int decoded;
        boolean complete = true;
    }

    // --- folding ----------------------------------------------------------------------------------------------

    /**
     * Folds {@code s}. {@code runStart < 0}: {@code s} is the string being normalised and positions map to it;
     * else {@code s} was decoded from the run {@code [runStart, runEnd)} and every position maps to the run.
     */
    private FoldedText fold(String s, Work work, int runStart, int runEnd, String encoding) {
        boolean top = runStart < 0;
        int n = s.length();
        long bound = (long) n * MAX_EXPANSION + 256;
        StringBuilder out = new StringBuilder(Math.min(n + 16, (int) Math.min(bound, Integer.MAX_VALUE)));
        int[] origin = top ? new int[Math.max(16, n + 16)] : null;
        StringBuilder tags = null;
        int tagStart = -1;
        int tagEnd = -1;
        int previous = -1;
        boolean inFlag = false;
        for (int i = 0; i < n; ) {
            int cp = s.codePointAt(i);
            int width = Character.charCount(cp);
            if (isHidden(cp)) {
                boolean ordinary = (cp == 0xFEFF && i == 0)
                        || (cp == 0x200D && previous >= 0 && isEmoji(previous));
                if (cp >= 0xE0000 && cp <= 0xE007F) {
                    if (previous == 0x1F3F4) {
                        inFlag = true;
                    }
                    ordinary = inFlag;
                    if (cp == 0xE007F) {
                        inFlag = false;
                    } else if (!ordinary && cp >= 0xE0020 && cp <= 0xE007E) {
                        if (tags == null) {
                            tags = new StringBuilder();
                            tagStart = i;
                        }
                        tags.append((char) (cp - 0xE0000));
                        tagEnd = i + width;
                    }
                } else {
                    inFlag = false;
                }
                if (!ordinary) {
                    work.hidden++;
                }
                if (cp < 0xE0000 || cp == 0xE007F) {
                    previous = cp;
                }
                i += width;
                continue;
            }
            inFlag = false;
            previous = cp;
            if (cp < 0x80) {
                out.append((char) cp);
                if (top) {
                    origin = put(origin, out.length() - 1, i);
                }
            } else {
                String folded = foldCodePoint(cp);
                for (int k = 0; k < folded.length(); k++) {
                    out.append(folded.charAt(k));
                    if (top) {
                        origin = put(origin, out.length() - 1, i);
                    }
                }
            }
            i += width;
            if (out.length() > bound) {
                out.setLength((int) bound);
                work.complete = false;
                break;
            }
        }
        FoldedText folded = new FoldedText(out.toString(), s, top ? Arrays.copyOf(origin, out.length()) : null,
                runStart, runEnd, encoding);
        if (tags != null) {
            // The tag payload is text of its own: positions map to the tag characters it came from.
            int start = top ? tagStart : runStart;
            int end = top ? tagEnd : runEnd;
            folded.smuggled = fold(tags.toString(), work, start, end, "tags");
        }
        return folded;
    }

    private static int[] put(int[] origin, int index, int value) {
        if (index >= origin.length) {
            origin = Arrays.copyOf(origin, origin.length * 2);
        }
        origin[index] = value;
        return origin;
    }

    static boolean isHidden(int cp) {
        return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x180E
                || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)
                || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    private static boolean isEmoji(int cp) {
        return UCharacter.hasBinaryProperty(cp, UProperty.EXTENDED_PICTOGRAPHIC)
                || UCharacter.hasBinaryProperty(cp, UProperty.EMOJI_MODIFIER) || cp == 0xFE0F;
    }

    /** The fold of one non-ASCII code point: lower case, NFKD without marks, ASCII skeleton when there is one. */
    static String foldCodePoint(int cp) {
        if (cp < 0x10000) {
            String cached = BMP_FOLDS.get(cp);
            if (cached == null) {
                cached = computeFold(cp);
                BMP_FOLDS.set(cp, cached);
            }
            return cached;
        }
        String cached = SUPPLEMENTARY_FOLDS.get(cp);
        if (cached == null) {
            cached = computeFold(cp);
            if (SUPPLEMENTARY_FOLDS.size() < MAX_SUPPLEMENTARY_FOLDS) {
                SUPPLEMENTARY_FOLDS.put(cp, cached);
            }
        }
        return cached;
    }

    private static String computeFold(int cp) {
        String decomposed = NFKD.normalize(new String(Character.toChars(UCharacter.toLowerCase(cp))));
        StringBuilder out = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); ) {
            int c = decomposed.codePointAt(i);
            i += Character.charCount(c);
            int type = UCharacter.getType(c);
            if (type == UCharacterCategory.NON_SPACING_MARK || type == UCharacterCategory.ENCLOSING_MARK
                    || type == UCharacterCategory.COMBINING_SPACING_MARK) {
                continue;
            }
            if (c < 0x80) {
                out.append((char) c);
                continue;
            }
            String skeleton = SKELETONS.getSkeleton(new String(Character.toChars(c)));
            if (!skeleton.isEmpty() && isAscii(skeleton)) {
                out.append(skeleton.toLowerCase(java.util.Locale.ROOT));
            } else {
                out.appendCodePoint(c);
            }
        }
        if (out.length() == 0) {
            return "";
        }
        // Keep what has no ASCII form composed, as NFKC would write it.
        return isAscii(out) ? out.toString() : NFKC.normalize(out);
    }

    private static boolean isAscii(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    // --- decoding ---------------------------------------------------------------------------------------------

    /** Adds the texts decoded from {@code text} (and from those, to the configured depth) to {@code texts}. */
    private void decodeAll(FoldedText text, int level, Work work, List<FoldedText> texts) {
        List<FoldedText> found = new ArrayList<>();
        if (text.smuggled != null) {
            found.add(text.smuggled);
        }
        if (level <= decodeLevels) {
            decodeBase64(text, work, found);
            decodePercent(text, work, found);
            decodeEntities(text, work, found);
        }
        for (FoldedText decoded : found) {
            if (work.decoded >= MAX_DECODED_TEXTS) {
                work.complete = false;
                return;
            }
            work.decoded++;
            texts.add(decoded);
            decodeAll(decoded, level + 1, work, texts);
        }
    }

    /** A decoded string, folded, its positions mapped to {@code [start, end)} of the normalised string. */
    private FoldedText decodedText(String decoded, Work work, int start, int end, String encoding) {
        return fold(decoded, work, start, end, encoding);
    }

    private void decodeBase64(FoldedText text, Work work, List<FoldedText> found) {
        String s = text.text();
        int n = s.length();
        int i = 0;
        while (i < n) {
            if (!isBase64(s.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            StringBuilder run = new StringBuilder();
            boolean urlSafe = false;
            boolean standard = false;
            while (i < n) {
                char c = s.charAt(i);
                if (isBase64(c)) {
                    urlSafe |= c == '-' || c == '_';
                    standard |= c == '+' || c == '/';
                    run.append(c);
                    i++;
                } else if ((c == '\n' || c == '\r') && i + 1 < n && (isBase64(s.charAt(i + 1))
                        || s.charAt(i + 1) == '\n') && run.length() % 4 == 0) {
                    i++; // a wrapped line (MIME, PEM): the next line continues the run
                } else {
                    break;
                }
            }
            int end = i;
            while (i < n && s.charAt(i) == '=' && i - end < 2) {
                i++;
            }
            if (run.length() < MIN_BASE64_RUN || (urlSafe && standard)) {
                continue;
            }
            // Padding is optional to the decoders; a lone sixth bit group is dropped.
            int usable = run.length() % 4 == 1 ? run.length() - 1 : run.length();
            byte[] bytes;
            try {
                String body = run.substring(0, usable);
                bytes = urlSafe ? Base64.getUrlDecoder().decode(body) : Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                continue;
            }
            String decoded = asText(bytes);
            if (decoded != null) {
                found.add(decodedText(decoded, work, text.sourceStart(start), text.sourceEnd(i), "base64"));
            }
        }
    }

    private static boolean isBase64(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                || c == '-' || c == '_';
    }

    private void decodePercent(FoldedText text, Work work, List<FoldedText> found) {
        String s = text.text();
        int first = -1;
        int last = -1;
        int escapes = 0;
        for (int i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
            if (hex(s, i + 1) >= 0 && hex(s, i + 2) >= 0) {
                if (first < 0) {
                    first = i;
                }
                last = i + 3;
                escapes++;
            }
        }
        if (escapes < MIN_PERCENT_ESCAPES) {
            return;
        }
        // The whole text is decoded, so the words around the escapes are read with them.
        byte[] bytes = new byte[s.length()];
        int length = 0;
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%' && hex(s, i + 1) >= 0 && hex(s, i + 2) >= 0) {
                bytes[length++] = (byte) (hex(s, i + 1) * 16 + hex(s, i + 2));
                i += 3;
            } else if (c < 0x80) {
                bytes[length++] = (byte) (c == '+' ? ' ' : c);
                i++;
            } else {
                // Non-ASCII between escapes: keep it as UTF-8.
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (length + utf8.length > bytes.length) {
                    bytes = Arrays.copyOf(bytes, bytes.length * 2 + utf8.length);
                }
                System.arraycopy(utf8, 0, bytes, length, utf8.length);
                length += utf8.length;
                i++;
            }
        }
        String decoded = asText(Arrays.copyOf(bytes, length));
        if (decoded != null) {
            found.add(decodedText(decoded, work, text.sourceStart(first), text.sourceEnd(last), "percent"));
        }
    }

    private static int hex(String s, int i) {
        if (i >= s.length()) {
            return -1;
        }
        return Character.digit(s.charAt(i), 16);
    }

    /** The named references decoded: those that spell markup, quotes and separators. */
    private static final Map<String, String> NAMED_ENTITIES = Map.ofEntries(
            Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("amp", "&"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("nbsp", " "), Map.entry("colon", ":"), Map.entry("sol", "/"),
            Map.entry("lpar", "("), Map.entry("rpar", ")"), Map.entry("lsqb", "["), Map.entry("rsqb", "]"),
            Map.entry("lbrack", "["), Map.entry("rbrack", "]"), Map.entry("excl", "!"), Map.entry("num", "#"),
            Map.entry("period", "."), Map.entry("comma", ","), Map.entry("newline", "\n"), Map.entry("tab", "\t"),
            Map.entry("vert", "|"), Map.entry("verbar", "|"), Map.entry("lowbar", "_"), Map.entry("equals", "="),
            Map.entry("quest", "?"), Map.entry("commat", "@"), Map.entry("lcub", "{"), Map.entry("rcub", "}"),
            Map.entry("semi", ";"), Map.entry("dollar", "$"), Map.entry("percnt", "%"), Map.entry("ast", "*"));

    private void decodeEntities(FoldedText text, Work work, List<FoldedText> found) {
        String s = text.text();
        int first = -1;
        int last = -1;
        StringBuilder decoded = null;
        int copiedTo = -1;
        for (int i = s.indexOf('&'); i >= 0; i = s.indexOf('&', Math.max(i + 1, copiedTo))) {
            int semi = s.indexOf(';', i + 1);
            if (semi < 0 || semi - i > 10) {
                continue;
            }
            String replacement = entity(s.substring(i + 1, semi));
            if (replacement == null) {
                continue;
            }
            if (decoded == null) {
                // The whole text is decoded, so the words around the references are read with them.
                decoded = new StringBuilder(s.length()).append(s, 0, i);
                first = i;
            } else {
                decoded.append(s, copiedTo, i);
            }
            decoded.append(replacement);
            copiedTo = semi + 1;
            last = semi + 1;
        }
        if (decoded != null) {
            decoded.append(s, copiedTo, s.length());
            found.add(decodedText(decoded.toString(), work, text.sourceStart(first), text.sourceEnd(last),
                    "html_entity"));
        }
    }

    private static String entity(String name) {
        if (name.startsWith("#x") || name.startsWith("#X")) {
            return codePoint(name.substring(2), 16);
        }
        if (name.startsWith("#")) {
            return codePoint(name.substring(1), 10);
        }
        return NAMED_ENTITIES.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    private static String codePoint(String digits, int radix) {
        if (digits.isEmpty() || digits.length() > 7) {
            return null;
        }
        int value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = Character.digit(digits.charAt(i), radix);
            if (d < 0) {
                return null;
            }
            value = value * radix + d;
        }
        return Character.isValidCodePoint(value) && value != 0 ? new String(Character.toChars(value)) : null;
    }

    /**
     * {@code bytes} as text when they are valid UTF-8 and mostly printable (at least 90% letters, digits,
     * punctuation, symbols and spaces; tabs and newlines count); null for binary data.
     */
    static String asText(byte[] bytes) {
        if (bytes.length == 0) {
            return null;
        }
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            return null;
        }
        int unprintable = 0;
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.charAt(i);
            if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F || c == 0xFFFD) {
                unprintable++;
            }
        }
        return unprintable * 10 > chars.length() ? null : chars.toString();
    }
}
