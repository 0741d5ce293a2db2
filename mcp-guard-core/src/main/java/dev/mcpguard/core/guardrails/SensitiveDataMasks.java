package dev.mcpguard.core.guardrails;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Masks the spans of {@link TextMatch}es in a string, keeping the shape of personal data so a reader still sees
 * what was there, and none of a secret:
 * <ul>
 *   <li>{@code pii.payment_card}: every digit but the last four: {@code **** **** **** 1111};</li>
 *   <li>{@code pii.iban}: every letter and digit but the country code and the last four:
 *       {@code CZ** **** **** **** **** 5399};</li>
 *   <li>{@code pii.email}: each part but its first letter, and the top-level domain is kept:
 *       {@code j*******@e******.com};</li>
 *   <li>{@code pii.phone}: every digit but the last two, a leading {@code +} and separators kept;</li>
 *   <li>{@code pii.us_ssn}: every digit but the last four: {@code ***-**-6789};</li>
 *   <li>other personal data ({@code pii.cz_sk_birth_number}, kinds of other detectors that start with
 *       {@code pii.}): every letter and digit: {@code ******}/{@code ****};</li>
 *   <li>secrets and every other kind: the whole span becomes {@code [REDACTED:secret.github_token]}. Not a
 *       same-length mask: a secret's length and prefix are no help to a reader and some help to a guesser, and
 *       a key block's lines would survive a character mask.</li>
 * </ul>
 * Masked characters are ASCII {@code *} (never a quote or backslash), so a string inside serialized JSON stays
 * valid JSON. Overlapping or touching spans are merged first; a merged span of different kinds is masked as
 * the first secret among them if there is one, else with every letter and digit starred. Stateless and
 * thread-safe.
 */
final class SensitiveDataMasks {

    static final char MASK = '*';

    private SensitiveDataMasks() {
    }

    /** {@code text} with every match masked; {@code text} itself when there are none. */
    static String mask(String text, List<TextMatch> matches) {
        if (matches.isEmpty()) {
            return text;
        }
        List<TextMatch> sorted = new ArrayList<>(matches);
        sorted.sort(Comparator.comparingInt(TextMatch::start));
        StringBuilder out = new StringBuilder(text.length() + 32);
        int copied = 0;
        int i = 0;
        while (i < sorted.size()) {
            TextMatch first = sorted.get(i);
            int start = Math.max(first.start(), copied);
            int end = Math.min(first.end(), text.length());
            String kind = first.kind();
            boolean mixed = false;
            String secretKind = isSecret(kind) ? kind : null;
            int j = i + 1;
            while (j < sorted.size() && sorted.get(j).start() <= end) {
                TextMatch next = sorted.get(j);
                end = Math.max(end, Math.min(next.end(), text.length()));
                mixed |= !next.kind().equals(kind);
                if (secretKind == null && isSecret(next.kind())) {
                    secretKind = next.kind();
                }
                j++;
            }
            if (start < end) {
                out.append(text, copied, start);
                String span = text.substring(start, end);
                if (secretKind != null) {
                    out.append(marker(secretKind));
                } else if (mixed) {
                    out.append(starAll(span));
                } else {
                    out.append(maskSpan(span, kind));
                }
                copied = end;
            }
            i = j;
        }
        return out.append(text, copied, text.length()).toString();
    }

    /** What one span of one kind becomes. */
    static String maskSpan(String span, String kind) {
        return switch (kind) {
            case PersonalDataDetector.PAYMENT_CARD, PersonalDataDetector.US_SSN -> keepLastDigits(span, 4);
            case PersonalDataDetector.PHONE -> keepLastDigits(span, 2);
            case PersonalDataDetector.IBAN -> iban(span);
            case PersonalDataDetector.EMAIL -> email(span);
            default -> kind.startsWith("pii.") ? starAll(span) : marker(kind);
        };
    }

    /** The replacement of a secret (or of a span of a kind without a shape to keep). */
    static String marker(String kind) {
        return "[REDACTED:" + kind + "]";
    }

    private static boolean isSecret(String kind) {
        return !kind.startsWith("pii.");
    }

    private static String keepLastDigits(String span, int kept) {
        char[] chars = span.toCharArray();
        int seen = 0;
        for (int k = chars.length - 1; k >= 0; k--) {
            if (Character.isDigit(chars[k])) {
                if (seen++ >= kept) {
                    chars[k] = MASK;
                }
            } else if (Character.isLetter(chars[k])) {
                chars[k] = MASK;
            }
        }
        return new String(chars);
    }

    private static String iban(String span) {
        char[] chars = span.toCharArray();
        int seen = 0;
        for (int k = chars.length - 1; k >= 2; k--) {
            if (Character.isLetterOrDigit(chars[k]) && seen++ >= 4) {
                chars[k] = MASK;
            }
        }
        return new String(chars);
    }

    private static String email(String span) {
        int at = span.lastIndexOf('@');
        if (at < 0 || span.indexOf('.', at) < 0) {
            return starAll(span);
        }
        StringBuilder out = new StringBuilder(span.length());
        out.append(keepFirst(span.substring(0, at))).append('@');
        String domain = span.substring(at + 1);
        int lastDot = domain.lastIndexOf('.');
        String[] labels = domain.substring(0, Math.max(lastDot, 0)).split("\\.", -1);
        for (String label : labels) {
            out.append(keepFirst(label)).append('.');
        }
        return out.append(domain.substring(lastDot + 1)).toString();
    }

    private static String keepFirst(String part) {
        if (part.isEmpty()) {
            return part;
        }
        return part.charAt(0) + String.valueOf(MASK).repeat(part.length() - 1);
    }

    private static String starAll(String span) {
        char[] chars = span.toCharArray();
        for (int k = 0; k < chars.length; k++) {
            if (Character.isLetterOrDigit(chars[k])) {
                chars[k] = MASK;
            }
        }
        return new String(chars);
    }
}
