package dev.mcpguard.core.guardrails;

import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.math.BigInteger;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Finds personal data in text (detector name {@value #NAME}), validated wherever the data carries a check:
 * <ul>
 *   <li>{@code pii.payment_card}: 13 to 19 digits, single spaces or dashes between them allowed, in a known issuer
 *       range (Visa, Mastercard, American Express, Discover, Diners Club, JCB, UnionPay, Maestro) with the length
 *       that range issues, and passing Luhn;</li>
 *   <li>{@code pii.iban}: a country code, two check digits and the country's registered length, passing
 *       ISO 7064 mod 97-10; printed with spaces every four characters or compact;</li>
 *   <li>{@code pii.email}: a pragmatic RFC 5322 addr-spec (dot-atom local part, host names) ending in a
 *       top-level domain of letters;</li>
 *   <li>{@code pii.phone}: what libphonenumber's {@code findNumbers} accepts with leniency {@code VALID}
 *       (numbers in national format are read in the configured default region);</li>
 *   <li>{@code pii.us_ssn}: {@code AAA-GG-SSSS} (dashes or spaces) or nine digits right after an SSN keyword,
 *       with the area not 000, 666 or 9xx, the group not 00 and the serial not 0000;</li>
 *   <li>{@code pii.cz_sk_birth_number}: a Czech or Slovak rodné číslo {@code YYMMDD/XXXX}: a real date (month +50
 *       for women, +20 or +70 from 2004), ten digits divisible by 11 (or, up to 1985, a remainder of 10 with a
 *       last digit 0), nine digits (with the slash) only for births before 1954; no future birth date.</li>
 * </ul>
 * A match is reported with confidence 1.0 when a checksum validated it, lower otherwise. Where matches overlap,
 * the more certain one is kept ({@link MatchOverlaps}).
 *
 * <p>Patterns are RE2/J (linear time); phone numbers are found by libphonenumber (its own bounded matcher; it is
 * only asked when the text holds at least {@value #MIN_PHONE_DIGITS} digits and, in region US, when a valid
 * number is possible at all ({@link #usPhoneMayMatch}), with at most {@value #MAX_PHONE_TRIES} candidates a
 * string). A pattern runs only when a one-pass check of the chars says it can match, and some only on the
 * stretches of text it can match; neither changes what is found, only what it costs. Nothing is logged or kept.
 * Immutable and thread-safe.
 */
final class PersonalDataDetector implements TextDetector {

    static final String NAME = "pii";

    static final String PAYMENT_CARD = "pii.payment_card";
    static final String IBAN = "pii.iban";
    static final String EMAIL = "pii.email";
    static final String PHONE = "pii.phone";
    static final String US_SSN = "pii.us_ssn";
    static final String BIRTH_NUMBER = "pii.cz_sk_birth_number";

    /** Every kind this detector can report. */
    static final Set<String> KINDS = Set.of(PAYMENT_CARD, IBAN, EMAIL, PHONE, US_SSN, BIRTH_NUMBER);

    static final int MIN_PHONE_DIGITS = 7;
    static final long MAX_PHONE_TRIES = 200;

    private static final Pattern CARD = Pattern.compile("\\b(?:\\d[ -]?){12,18}\\d\\b");
    private static final Pattern IBAN_CANDIDATE =
            Pattern.compile("\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?\\b");
    private static final Pattern EMAIL_CANDIDATE = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    + "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}\\b");
    private static final Pattern SSN_SEPARATED = Pattern.compile("\\b(\\d{3})-(\\d{2})-(\\d{4})\\b|\\b(\\d{3}) (\\d{2}) (\\d{4})\\b");
    private static final Pattern SSN_KEYWORD_DIGITS = Pattern.compile(
            "(?i)\\b(?:ssn|social security(?: number| no\\.?)?)[\\s#:.=\"'-]{0,6}(\\d{9})\\b");
    private static final Pattern BIRTH = Pattern.compile("\\b(\\d{2})(\\d{2})(\\d{2})(/?)(\\d{3,4})\\b");

    /** Registered IBAN lengths by country (SWIFT IBAN registry). */
    static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
            Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20), Map.entry("AZ", 28),
            Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22), Map.entry("BH", 22), Map.entry("BR", 29),
            Map.entry("BY", 28), Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28), Map.entry("CZ", 24),
            Map.entry("DE", 22), Map.entry("DK", 18), Map.entry("DO", 28), Map.entry("EE", 20), Map.entry("EG", 29),
            Map.entry("ES", 24), Map.entry("FI", 18), Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22),
            Map.entry("GE", 22), Map.entry("GI", 23), Map.entry("GL", 18), Map.entry("GR", 27), Map.entry("GT", 28),
            Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IL", 23), Map.entry("IQ", 23),
            Map.entry("IS", 26), Map.entry("IT", 27), Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20),
            Map.entry("LB", 28), Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20),
            Map.entry("LV", 21), Map.entry("MC", 27), Map.entry("MD", 24), Map.entry("ME", 22), Map.entry("MK", 19),
            Map.entry("MR", 27), Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NL", 18), Map.entry("NO", 15),
            Map.entry("PK", 24), Map.entry("PL", 28), Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29),
            Map.entry("RO", 24), Map.entry("RS", 22), Map.entry("SA", 24), Map.entry("SC", 31), Map.entry("SE", 24),
            Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("ST", 25), Map.entry("SV", 28),
            Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29), Map.entry("VA", 22),
            Map.entry("VG", 24), Map.entry("XK", 20));

    private static final BigInteger NINETY_SEVEN = BigInteger.valueOf(97);

    private final Set<String> kinds;
    private final String phoneRegion;
    private final Clock clock;
    private final PhoneNumberUtil phones = PhoneNumberUtil.getInstance();

    /**
     * @param kinds       the kinds to report (a subset of {@link #KINDS})
     * @param phoneRegion the CLDR region national-format phone numbers are read in ({@code "US"}, {@code "CZ"})
     * @param clock       today's date, so a birth number cannot lie in the future
     */
    PersonalDataDetector(Set<String> kinds, String phoneRegion, Clock clock) {
        this.kinds = Set.copyOf(kinds);
        this.phoneRegion = Objects.requireNonNull(phoneRegion, "phoneRegion");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TextMatch> scan(String text) {
        Shape shape = Shape.of(text);
        List<TextMatch> found = new ArrayList<>();
        if (kinds.contains(PAYMENT_CARD) && shape.longestCardChain >= 13) {
            cards(text, found);
        }
        if (kinds.contains(IBAN) && shape.ibanStart) {
            ibans(text, found);
        }
        if (kinds.contains(EMAIL) && shape.at) {
            emails(text, found);
        }
        if (kinds.contains(US_SSN)) {
            ssns(text, shape, found);
        }
        if (kinds.contains(BIRTH_NUMBER) && (shape.birthSlash || shape.longestDigitRun >= 9)) {
            birthNumbers(text, found);
        }
        if (kinds.contains(PHONE) && shape.asciiDigits >= MIN_PHONE_DIGITS
                && (!phoneRegion.equals("US") || usPhoneMayMatch(text))) {
            phones(text, found);
        }
        return MatchOverlaps.resolve(found);
    }

    /**
     * What one pass over the chars says about which patterns can match at all, so a pattern that cannot is not
     * run over the whole text. Each field is a necessary condition of its pattern (never a sufficient one): the
     * pattern still decides, so what is found is the same with or without this pass. Not thread-safe; one per
     * scan.
     */
    private static final class Shape {
        /** ASCII digits in the text, counted up to {@link #MIN_PHONE_DIGITS} (the phone gate). */
        int asciiDigits;
        /** The most digits in a row with at most one space or dash between two of them ({@link #CARD}). */
        int longestCardChain;
        /** The longest run of ASCII digits (nine bare SSN digits after a keyword, ten birth-number digits). */
        int longestDigitRun;
        /** Two capital letters then two digits somewhere ({@link #IBAN_CANDIDATE}). */
        boolean ibanStart;
        /** An '@' somewhere ({@link #EMAIL_CANDIDATE}). */
        boolean at;
        /** Three digits, a space or dash, two digits, the same separator, four digits ({@link #SSN_SEPARATED}). */
        boolean ssnSeparated;
        /** Six digits, a slash and a digit ({@link #BIRTH} with its slash). */
        boolean birthSlash;

        static Shape of(String text) {
            Shape shape = new Shape();
            int n = text.length();
            int run = 0;
            int chain = 0;
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c >= '0' && c <= '9') {
                    run++;
                    if (run == 1) {
                        boolean afterSeparator = i >= 2 && isSeparator(text.charAt(i - 1)) && isDigit(text.charAt(i - 2));
                        chain = afterSeparator ? chain + 1 : 1;
                        if (!shape.ibanStart && i >= 2 && isUpper(text.charAt(i - 1)) && isUpper(text.charAt(i - 2))
                                && i + 1 < n && isDigit(text.charAt(i + 1))) {
                            shape.ibanStart = true;
                        }
                    } else {
                        chain++;
                    }
                    shape.longestDigitRun = Math.max(shape.longestDigitRun, run);
                    shape.longestCardChain = Math.max(shape.longestCardChain, chain);
                    if (shape.asciiDigits < MIN_PHONE_DIGITS) {
                        shape.asciiDigits++;
                    }
                    continue;
                }
                if (c == '@') {
                    shape.at = true;
                } else if (c == '/') {
                    shape.birthSlash |= run >= 6 && i + 1 < n && isDigit(text.charAt(i + 1));
                } else if ((c == ' ' || c == '-') && run >= 3 && !shape.ssnSeparated) {
                    shape.ssnSeparated = ssnTail(text, i, c);
                }
                if (!(isSeparator(c) && run > 0)) {
                    chain = 0;
                }
                run = 0;
            }
            return shape;
        }

        /** Whether {@code dd?dddd} (with {@code separator} for ?) follows the separator at {@code i}. */
        private static boolean ssnTail(String text, int i, char separator) {
            if (i + 7 >= text.length()) {
                return false;
            }
            return isDigit(text.charAt(i + 1)) && isDigit(text.charAt(i + 2)) && text.charAt(i + 3) == separator
                    && isDigit(text.charAt(i + 4)) && isDigit(text.charAt(i + 5)) && isDigit(text.charAt(i + 6))
                    && isDigit(text.charAt(i + 7));
        }

        private static boolean isSeparator(char c) {
            return c == ' ' || c == '-';
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isUpper(char c) {
            return c >= 'A' && c <= 'Z';
        }
    }

    /**
     * {@link #CARD} run only on each stretch of digits, spaces and dashes that holds at least 13 digits, with one
     * char on either side so its {@code \\b} read the same: a match cannot cross any other char, so these are
     * the matches of a search over the whole text.
     */
    private static void cards(String text, List<TextMatch> found) {
        int n = text.length();
        Matcher m = CARD.matcher("");
        int i = 0;
        while (i < n) {
            if (!Shape.isDigit(text.charAt(i)) && !Shape.isSeparator(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            int digits = 0;
            while (i < n && (Shape.isDigit(text.charAt(i)) || Shape.isSeparator(text.charAt(i)))) {
                digits += Shape.isDigit(text.charAt(i)) ? 1 : 0;
                i++;
            }
            if (digits < 13) {
                continue;
            }
            int from = Math.max(0, start - 1);
            m.reset(text.substring(from, Math.min(n, i + 1)));
            while (m.find()) {
                String digitsOfMatch = digitsOf(m.group());
                if (digitsOfMatch.length() >= 13 && issuedLength(digitsOfMatch) && luhn(digitsOfMatch)) {
                    found.add(new TextMatch(from + m.start(), from + m.end(), PAYMENT_CARD, "pii.payment_card.luhn",
                            1.0));
                }
            }
        }
    }

    /** Whether {@code digits} begin with a known issuer range and have a length that range issues. */
    static boolean issuedLength(String digits) {
        int n = digits.length();
        int two = Integer.parseInt(digits.substring(0, 2));
        int three = Integer.parseInt(digits.substring(0, 3));
        int four = Integer.parseInt(digits.substring(0, 4));
        int six = Integer.parseInt(digits.substring(0, 6));
        if (digits.charAt(0) == '4') {
            return n == 13 || n == 16 || n == 19; // Visa
        }
        if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) {
            return n == 16; // Mastercard
        }
        if (two == 34 || two == 37) {
            return n == 15; // American Express
        }
        if (four == 6011 || (three >= 644 && three <= 649) || two == 65 || (six >= 622126 && six <= 622925)) {
            return n >= 16 && n <= 19; // Discover
        }
        if ((three >= 300 && three <= 305) || two == 36 || two == 38 || two == 39 || four == 3095) {
            return n >= 14 && n <= 19; // Diners Club
        }
        if (four >= 3528 && four <= 3589) {
            return n >= 16 && n <= 19; // JCB
        }
        if (two == 62) {
            return n >= 16 && n <= 19; // UnionPay
        }
        if (two == 50 || (two >= 56 && two <= 69)) {
            return n >= 13 && n <= 19; // Maestro
        }
        return false;
    }

    /** The Luhn check over all of {@code digits}. */
    static boolean luhn(String digits) {
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    private static void ibans(String text, List<TextMatch> found) {
        Matcher m = IBAN_CANDIDATE.matcher(text);
        int from = 0;
        while (from < text.length() && m.find(from)) {
            int start = m.start();
            Integer length = IBAN_LENGTHS.get(text.substring(start, start + 2));
            int end = length == null ? -1 : compactEnd(text, start, m.end(), length);
            if (end > 0 && mod97(compact(text.substring(start, end)))) {
                found.add(new TextMatch(start, end, IBAN, "pii.iban.mod97", 1.0));
                from = end;
            } else {
                from = m.end();
            }
        }
    }

    /**
     * Where, in {@code text[start, limit)}, the {@code length}-th letter or digit ends, if that is at a word
     * boundary (a printed IBAN followed by another group of digits is not cut mid-group); -1 if it is not there.
     */
    private static int compactEnd(String text, int start, int limit, int length) {
        int seen = 0;
        for (int i = start; i < limit; i++) {
            if (text.charAt(i) != ' ') {
                seen++;
                if (seen == length) {
                    boolean boundary = i + 1 == text.length() || !Character.isLetterOrDigit(text.charAt(i + 1));
                    return boundary ? i + 1 : -1;
                }
            }
        }
        return -1;
    }

    /** ISO 7064 mod 97-10 over a compact IBAN. */
    static boolean mod97(String iban) {
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        StringBuilder digits = new StringBuilder(rearranged.length() * 2);
        for (int i = 0; i < rearranged.length(); i++) {
            char c = rearranged.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c >= 'A' && c <= 'Z') {
                digits.append(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return new BigInteger(digits.toString()).mod(NINETY_SEVEN).intValue() == 1;
    }

    /**
     * {@link #EMAIL_CANDIDATE} run only on each stretch of chars it can match ({@link #isEmailChar}) that holds an
     * {@code @}: a match cannot cross a char outside the stretch, the pattern looks at nothing before its start,
     * and the char after a stretch is no word char, so its closing boundary reads the same. The same matches as
     * a search over the whole text.
     */
    private static void emails(String text, List<TextMatch> found) {
        int n = text.length();
        int at = text.indexOf('@');
        Matcher m = EMAIL_CANDIDATE.matcher("");
        while (at >= 0) {
            int start = at;
            while (start > 0 && isEmailChar(text.charAt(start - 1))) {
                start--;
            }
            int end = at + 1;
            while (end < n && isEmailChar(text.charAt(end))) {
                end++;
            }
            m.reset(text.substring(start, end));
            while (m.find()) {
                String address = m.group();
                int local = address.lastIndexOf('@');
                if (local <= 64 && address.length() - local - 1 <= 253) {
                    found.add(new TextMatch(start + m.start(), start + m.end(), EMAIL, "pii.email.addr_spec", 0.9));
                }
            }
            at = text.indexOf('@', end);
        }
    }

    /** The chars of {@link #EMAIL_CANDIDATE}: atext, the dot and the at sign. */
    private static boolean isEmailChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || (c != '"' && c != '(' && c != ')' && c != ',' && c != ':' && c != ';' && c != '<' && c != '>'
                        && c != '[' && c != '\\' && c != ']' && c > ' ' && c < 0x7f);
    }

    private static void ssns(String text, Shape shape, List<TextMatch> found) {
        if (shape.ssnSeparated) {
            Matcher m = SSN_SEPARATED.matcher(text);
            while (m.find()) {
                int g = m.group(1) != null ? 1 : 4;
                if (validSsn(m.group(g), m.group(g + 1), m.group(g + 2))) {
                    found.add(new TextMatch(m.start(), m.end(), US_SSN, "pii.us_ssn.separated", 0.7));
                }
            }
        }
        if (shape.longestDigitRun < 9 || !(containsIgnoreCase(text, "ssn") || containsIgnoreCase(text, "social"))) {
            return;
        }
        Matcher k = SSN_KEYWORD_DIGITS.matcher(text);
        while (k.find()) {
            String d = k.group(1);
            if (validSsn(d.substring(0, 3), d.substring(3, 5), d.substring(5))) {
                found.add(new TextMatch(k.start(1), k.end(1), US_SSN, "pii.us_ssn.keyword", 0.8));
            }
        }
    }

    /** The SSA's rules for an issued number: area not 000, 666 or 9xx; group not 00; serial not 0000. */
    static boolean validSsn(String area, String group, String serial) {
        return !area.equals("000") && !area.equals("666") && area.charAt(0) != '9' && !group.equals("00")
                && !serial.equals("0000");
    }

    private void birthNumbers(String text, List<TextMatch> found) {
        Matcher m = BIRTH.matcher(text);
        LocalDate today = LocalDate.now(clock);
        while (m.find()) {
            String suffix = m.group(5);
            boolean slash = !m.group(4).isEmpty();
            if (suffix.length() == 3 && !slash) {
                continue; // nine bare digits are anything at all
            }
            if (validBirthNumber(m.group(1) + m.group(2) + m.group(3) + suffix, today)) {
                double confidence = suffix.length() == 4 ? 1.0 : 0.6;
                found.add(new TextMatch(m.start(), m.end(), BIRTH_NUMBER,
                        suffix.length() == 4 ? "pii.cz_sk_birth_number.mod11" : "pii.cz_sk_birth_number.pre1954",
                        confidence));
            }
        }
    }

    /**
     * Whether {@code digits} (9 or 10, no slash) are a Czech or Slovak birth number that can have been issued by
     * {@code today}.
     */
    static boolean validBirthNumber(String digits, LocalDate today) {
        int yy = Integer.parseInt(digits.substring(0, 2));
        int mm = Integer.parseInt(digits.substring(2, 4));
        int dd = Integer.parseInt(digits.substring(4, 6));
        int year;
        if (digits.length() == 9) {
            if (yy >= 54) {
                return false; // nine digits were issued until 1953 only
            }
            year = 1900 + yy;
        } else {
            year = yy >= 54 ? 1900 + yy : 2000 + yy;
        }
        int month;
        if (mm >= 1 && mm <= 12) {
            month = mm;
        } else if (mm >= 51 && mm <= 62) {
            month = mm - 50;
        } else if (mm >= 21 && mm <= 32 && year >= 2004) {
            month = mm - 20;
        } else if (mm >= 71 && mm <= 82 && year >= 2004) {
            month = mm - 70;
        } else {
            return false;
        }
        LocalDate born;
        try {
            born = LocalDate.of(year, month, dd);
        } catch (DateTimeException e) {
            return false;
        }
        if (born.isAfter(today)) {
            return false;
        }
        if (digits.length() == 9) {
            return true;
        }
        long number = Long.parseLong(digits);
        if (number % 11 == 0) {
            return true;
        }
        // Until 1985 a first-nine-digits remainder of 10 was written with a check digit of 0.
        return year <= 1985 && Long.parseLong(digits.substring(0, 9)) % 11 == 10 && digits.charAt(9) == '0';
    }

    /**
     * Whether {@code text} holds {@code word} ignoring case as {@link String#regionMatches(boolean, int, String,
     * int, int)} does, which accepts every case variant RE2/J's {@code (?i)} does (and a few more, such as a
     * dotless i): a prefilter, never the decision.
     */
    static boolean containsIgnoreCase(String text, String word) {
        for (int i = 0, last = text.length() - word.length(); i <= last; i++) {
            if (text.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether libphonenumber can find a valid number in {@code text} read in region US, a necessary condition
     * checked in one pass so that text without one does not pay for {@code findNumbers}. Its candidates are
     * blocks of {@code \\p{Nd}} digits with at most four of its punctuation chars between blocks. A valid
     * number read in US has ten digits (NANP), eleven with the national prefix 1, unless it carries a country
     * code, which it can only do after a plus sign or the international prefix 011. So: some cluster of digits
     * (an {@code x} counted as one, as an alpha number would read it) holds ten, or the text has a plus sign, or
     * a cluster holds 0, 1, 1 in a row. Other regions skip this check.
     */
    static boolean usPhoneMayMatch(String text) {
        int digits = 0;
        int gap = 0;
        int lastTwo = -1; // the cluster's last two digit values, as 10 * d1 + d2; -1 before two
        int last = -1;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c == '+' || c == '\uFF0B' || Character.isSurrogate(c)) {
                return true; // a plus sign; or a char outside the BMP, which may be a digit: not looked into
            }
            if (Character.isDigit(c)) {
                int value = Character.digit(c, 10);
                if (lastTwo == 1 && value == 1) {
                    return true; // 0, 1, 1
                }
                lastTwo = last < 0 ? -1 : 10 * last + value;
                last = value;
                digits++;
                gap = 0;
            } else if (c == 'x' || c == 'X') {
                digits++; // punctuation to the pattern, a 9 to an alpha number: counted, yet transparent to 011
                gap = 0;
            } else if (digits > 0 && isPhonePunctuation(c) && ++gap <= 4) {
                continue;
            } else {
                digits = 0;
                gap = 0;
                last = -1;
                lastTwo = -1;
            }
            if (digits >= 10) {
                return true;
            }
        }
        return false;
    }

    /** libphonenumber's {@code VALID_PUNCTUATION} (without x, counted apart). */
    private static boolean isPhonePunctuation(char c) {
        return c == '-' || (c >= '\u2010' && c <= '\u2015') || c == '\u2212' || c == '\u30FC'
                || (c >= '\uFF0D' && c <= '\uFF0F') || c == ' ' || c == '\u00A0' || c == '\u00AD'
                || c == '\u200B' || c == '\u2060' || c == '\u3000' || c == '(' || c == ')' || c == '\uFF08'
                || c == '\uFF09' || c == '\uFF3B' || c == '\uFF3D' || c == '.' || c == '[' || c == ']'
                || c == '/' || c == '~' || c == '\u2053' || c == '\u223C' || c == '\uFF5E';
    }

    private void phones(String text, List<TextMatch> found) {
        for (PhoneNumberMatch match : phones.findNumbers(text, phoneRegion, PhoneNumberUtil.Leniency.VALID,
                MAX_PHONE_TRIES)) {
            found.add(new TextMatch(match.start(), match.end(), PHONE, "pii.phone.libphonenumber", 0.8));
        }
    }

    private static String digitsOf(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String compact(String s) {
        return s.replace(" ", "").toUpperCase(Locale.ROOT);
    }
}
