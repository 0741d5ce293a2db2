package dev.mcpguard.core.guardrails;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Finds credentials in text (detector name {@value #NAME}), by the shapes their issuers give them, validated where
 * the shape carries a check:
 * <ul>
 *   <li>{@code secret.aws_access_key}: {@code AKIA} or {@code ASIA} and 16 base-32 characters;</li>
 *   <li>{@code secret.aws_secret_key}: 40 base-64 characters, mixed case and digits, shortly after a keyword
 *       naming AWS or a secret access key;</li>
 *   <li>{@code secret.gcp_api_key}: {@code AIza} and 35 characters;</li>
 *   <li>{@code secret.github_token}: {@code ghp_ gho_ ghu_ ghs_ ghr_} and 36 base-62 characters whose last six are
 *       the CRC-32 of the first 30 in base 62 (checked: a wrong checksum is not a token), and fine-grained
 *       {@code github_pat_} tokens;</li>
 *   <li>{@code secret.gitlab_token}: {@code glpat-} personal access tokens;</li>
 *   <li>{@code secret.slack_token}: {@code xoxb- xoxp- xoxa- xoxr- xoxs-} tokens and {@code hooks.slack.com}
 *       webhook URLs;</li>
 *   <li>{@code secret.jwt}: three base64url parts whose first decodes to a JSON object with a string
 *       {@code alg};</li>
 *   <li>{@code secret.private_key}: PEM {@code BEGIN ... PRIVATE KEY} blocks (PKCS#8, RSA, EC, OPENSSH, DSA,
 *       ENCRYPTED, PGP), up to their END line, or to the end of the armoured text when that is cut off;</li>
 *   <li>{@code secret.generic}: a string of 20 or more characters, with letters and digits and a Shannon entropy
 *       of at least {@value #GENERIC_MIN_ENTROPY} bits a character, right after a keyword such as password,
 *       secret, token or api_key and an assignment ({@code =}, {@code :}, {@code is}).</li>
 * </ul>
 * The rules follow what gitleaks and detect-secrets publish for these issuers (written here, not copied). Where
 * matches overlap the more certain one is kept, so a known shape wins over {@code secret.generic}.
 *
 * <p>Patterns are RE2/J (linear time); a JWT header is decoded only when at most {@value #MAX_JWT_HEADER}
 * characters long. Nothing is logged or kept. Immutable and thread-safe.
 */
final class SecretDetector implements TextDetector {

    static final String NAME = "secrets";

    static final String AWS_ACCESS_KEY = "secret.aws_access_key";
    static final String AWS_SECRET_KEY = "secret.aws_secret_key";
    static final String GCP_API_KEY = "secret.gcp_api_key";
    static final String GITHUB_TOKEN = "secret.github_token";
    static final String GITLAB_TOKEN = "secret.gitlab_token";
    static final String SLACK_TOKEN = "secret.slack_token";
    static final String JWT = "secret.jwt";
    static final String PRIVATE_KEY = "secret.private_key";
    static final String GENERIC = "secret.generic";

    /** Every kind this detector can report. */
    static final Set<String> KINDS = Set.of(AWS_ACCESS_KEY, AWS_SECRET_KEY, GCP_API_KEY, GITHUB_TOKEN, GITLAB_TOKEN,
            SLACK_TOKEN, JWT, PRIVATE_KEY, GENERIC);

    static final double GENERIC_MIN_ENTROPY = 3.5;
    static final int MAX_JWT_HEADER = 2_048;

    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static final Pattern AWS_ACCESS = Pattern.compile("\\b(?:AKIA|ASIA)[A-Z2-7]{16}\\b");
    private static final Pattern AWS_SECRET =
            Pattern.compile("(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)");
    private static final Pattern AWS_KEYWORD = Pattern.compile("(?i)aws|secret_?access_?key");
    private static final Pattern GCP = Pattern.compile("\\bAIza[0-9A-Za-z_-]{35}(?:[^0-9A-Za-z_-]|$)");
    private static final Pattern GITHUB = Pattern.compile("\\bgh[pousr]_[A-Za-z0-9]{36}\\b");
    private static final Pattern GITHUB_PAT = Pattern.compile("\\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\\b");
    private static final Pattern GITLAB = Pattern.compile("\\bglpat-[A-Za-z0-9_.-]{20,80}");
    private static final Pattern SLACK = Pattern.compile("\\bxox[bpars]-[0-9A-Za-z-]{10,250}");
    private static final Pattern SLACK_WEBHOOK = Pattern.compile(
            "https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,200}");
    private static final Pattern JWT_CANDIDATE =
            Pattern.compile("\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*");
    private static final Pattern PEM_BEGIN =
            Pattern.compile("-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern PEM_END =
            Pattern.compile("-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern PEM_BODY = Pattern.compile("[A-Za-z0-9+/=\\s:,\\\\-]*");
    private static final Pattern GENERIC_ASSIGNMENT = Pattern.compile(
            "(?i)(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key"
                    + "|client[_-]?secret|credentials?|private[_-]?key)[A-Za-z0-9_.-]{0,16}\\\\?[\"'`]?\\s{0,3}"
                    + "(?:[:=]{1,2}>?|->|\\s(?:is|was)\\s|\\s)\\s{0,3}\\\\?[\"'`]?"
                    + "([A-Za-z0-9+/_.=@#$%^&*!~-]{20,200})");

    /** What every keyword of {@link #GENERIC_ASSIGNMENT} starts with, for its prefilter. */
    private static final List<String> GENERIC_KEYWORD_STARTS = List.of("pass", "pwd", "secret", "token", "api",
            "access", "auth", "client", "credential", "private");

    /**
     * At least the longest match of {@link #GENERIC_ASSIGNMENT} (13 for the keyword, 16, 1, 1, 3, 5 for the
     * assignment, 3, 1, 1 and 200 for the value: 244 chars), the window it is tried on.
     */
    static final int GENERIC_MAX_MATCH = 256;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<String> kinds;

    /** @param kinds the kinds to report (a subset of {@link #KINDS}) */
    SecretDetector(Set<String> kinds) {
        this.kinds = Set.copyOf(kinds);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TextMatch> scan(String text) {
        List<TextMatch> found = new ArrayList<>();
        if (kinds.contains(AWS_ACCESS_KEY) && (text.contains("AKIA") || text.contains("ASIA"))) {
            simple(AWS_ACCESS, text, AWS_ACCESS_KEY, "secret.aws_access_key.prefix", 0.9, found);
        }
        if (kinds.contains(AWS_SECRET_KEY) && longestRun(text, SecretDetector::isBase64) >= 40) {
            awsSecrets(text, found);
        }
        if (kinds.contains(GCP_API_KEY) && text.contains("AIza")) {
            Matcher m = GCP.matcher(text);
            while (m.find()) {
                int start = m.start();
                found.add(new TextMatch(start, start + 39, GCP_API_KEY, "secret.gcp_api_key.prefix", 0.9));
            }
        }
        if (kinds.contains(GITHUB_TOKEN)) {
            githubTokens(text, found);
        }
        if (kinds.contains(GITLAB_TOKEN) && text.contains("glpat-")) {
            simple(GITLAB, text, GITLAB_TOKEN, "secret.gitlab_token.prefix", 0.9, found);
        }
        if (kinds.contains(SLACK_TOKEN)) {
            if (text.contains("xox")) {
                simple(SLACK, text, SLACK_TOKEN, "secret.slack_token.prefix", 0.9, found);
            }
            if (text.contains("hooks.slack.com")) {
                simple(SLACK_WEBHOOK, text, SLACK_TOKEN, "secret.slack_token.webhook", 0.95, found);
            }
        }
        if (kinds.contains(JWT) && text.contains("eyJ")) {
            jwts(text, found);
        }
        if (kinds.contains(PRIVATE_KEY) && text.contains("PRIVATE KEY")) {
            privateKeys(text, found);
        }
        if (kinds.contains(GENERIC) && longestRun(text, SecretDetector::isGenericValue) >= 20
                && hasGenericKeyword(text)) {
            generic(text, found);
        }
        return MatchOverlaps.resolve(found);
    }

    /** A class of chars, for {@link #longestRun}. */
    private interface CharClass {
        boolean contains(char c);
    }

    /**
     * The longest run of chars of {@code chars} in {@code text}: a rule whose value needs more of them in a row
     * cannot match, and is not run (a prefilter; the pattern still decides what is found).
     */
    private static int longestRun(String text, CharClass chars) {
        int longest = 0;
        int run = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            if (chars.contains(text.charAt(i))) {
                run++;
                longest = Math.max(longest, run);
            } else {
                run = 0;
            }
        }
        return longest;
    }

    /** {@code [A-Za-z0-9/+]}, the chars of {@link #AWS_SECRET}'s value. */
    private static boolean isBase64(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '+';
    }

    /**
     * {@code [A-Za-z0-9+/_.=@#$%^&*!~-]}, the chars of {@link #GENERIC_ASSIGNMENT}'s value, and the two that
     * {@code (?i)} folds onto ASCII letters (long s, Kelvin sign).
     */
    private static boolean isGenericValue(char c) {
        return isBase64(c) || "_.=@#$%^&*!~-".indexOf(c) >= 0 || c == '\u017F' || c == '\u212A';
    }

    /**
     * Whether {@code text} holds, ignoring case, the start of one of {@link #GENERIC_ASSIGNMENT}'s keywords
     * ({@link String#regionMatches(boolean, int, String, int, int)} accepts every variant {@code (?i)} does).
     */
    private static boolean hasGenericKeyword(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            if (genericKeywordAt(text, i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether one of {@link #GENERIC_KEYWORD_STARTS} starts at {@code i}, ignoring case. */
    private static boolean genericKeywordAt(String text, int i) {
        // Every keyword starts with one of these letters; toUpperCase also folds the long s onto s.
        char first = Character.toLowerCase(Character.toUpperCase(text.charAt(i)));
        if (first != 'p' && first != 's' && first != 't' && first != 'a' && first != 'c') {
            return false;
        }
        for (String keyword : GENERIC_KEYWORD_STARTS) {
            if (text.regionMatches(true, i, keyword, 0, keyword.length())) {
                return true;
            }
        }
        return false;
    }

    private static void simple(Pattern pattern, String text, String kind, String rule, double confidence,
            List<TextMatch> found) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(new TextMatch(m.start(), m.end(), kind, rule, confidence));
        }
    }

    private static void awsSecrets(String text, List<TextMatch> found) {
        Matcher m = AWS_SECRET.matcher(text);
        while (m.find()) {
            String candidate = m.group(1);
            int start = m.start(1);
            if (mixed(candidate, true) && AWS_KEYWORD.matcher(text.substring(Math.max(0, start - 64), start)).find()) {
                found.add(new TextMatch(start, m.end(1), AWS_SECRET_KEY, "secret.aws_secret_key.keyword", 0.8));
            }
        }
    }

    private static void githubTokens(String text, List<TextMatch> found) {
        if (hasGithubPrefix(text)) {
            Matcher m = GITHUB.matcher(text);
            while (m.find()) {
                if (githubChecksumValid(m.group())) {
                    found.add(new TextMatch(m.start(), m.end(), GITHUB_TOKEN, "secret.github_token.crc32", 1.0));
                }
            }
        }
        if (text.contains("github_pat_")) {
            simple(GITHUB_PAT, text, GITHUB_TOKEN, "secret.github_token.fine_grained", 0.9, found);
        }
    }

    /** Whether {@code gh} and one of {@code pousr} and {@code _} occur in a row ({@link #GITHUB}'s prefix). */
    private static boolean hasGithubPrefix(String text) {
        for (int i = text.indexOf("gh"); i >= 0 && i + 3 < text.length(); i = text.indexOf("gh", i + 1)) {
            if ("pousr".indexOf(text.charAt(i + 2)) >= 0 && text.charAt(i + 3) == '_') {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a {@code gh?_} token's last six characters are the CRC-32 of its 30 random characters, in base 62
     * ({@code 0-9A-Za-z}), left-padded with zeros: the format GitHub published in 2021.
     */
    static boolean githubChecksumValid(String token) {
        String random = token.substring(4, 34);
        return githubChecksum(random).equals(token.substring(34));
    }

    /** The six-character base-62 CRC-32 of {@code random}. */
    static String githubChecksum(String random) {
        CRC32 crc = new CRC32();
        crc.update(random.getBytes(StandardCharsets.US_ASCII));
        long value = crc.getValue();
        char[] out = new char[6];
        for (int i = 5; i >= 0; i--) {
            out[i] = BASE62.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(out);
    }

    private static void jwts(String text, List<TextMatch> found) {
        Matcher m = JWT_CANDIDATE.matcher(text);
        while (m.find()) {
            String token = m.group();
            int dot = token.indexOf('.');
            if (dot <= MAX_JWT_HEADER && jwtHeaderHasAlg(token.substring(0, dot))) {
                found.add(new TextMatch(m.start(), m.end(), JWT, "secret.jwt.header", 0.95));
            }
        }
    }

    /** Whether {@code part} is base64url of a JSON object with a string {@code alg}. */
    static boolean jwtHeaderHasAlg(String part) {
        byte[] decoded;
        try {
            decoded = Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            return false;
        }
        try {
            Object header = JSON.readValue(decoded, Object.class);
            return header instanceof Map<?, ?> map && map.get("alg") instanceof String;
        } catch (IOException e) {
            return false;
        }
    }

    private static void privateKeys(String text, List<TextMatch> found) {
        Matcher begin = PEM_BEGIN.matcher(text);
        int from = 0;
        while (from < text.length() && begin.find(from)) {
            Matcher end = PEM_END.matcher(text);
            if (end.find(begin.end())) {
                found.add(new TextMatch(begin.start(), end.end(), PRIVATE_KEY, "secret.private_key.pem", 1.0));
                from = end.end();
            } else {
                // Cut off (a bounded walk, a truncated log line): the armoured body still is the key.
                Matcher body = PEM_BODY.matcher(text);
                int stop = body.find(begin.end()) && body.start() == begin.end() ? body.end() : begin.end();
                found.add(new TextMatch(begin.start(), stop, PRIVATE_KEY, "secret.private_key.pem_truncated",
                        0.9));
                from = stop;
            }
        }
    }

    /**
     * {@link #GENERIC_ASSIGNMENT} tried only where one of its keywords starts, anchored there, on a window that
     * holds its longest match: the same matches, left to right, as a search over the whole text (a match starts
     * with a keyword, and at its leftmost start an anchored match is the one the search prefers).
     */
    private static void generic(String text, List<TextMatch> found) {
        Matcher m = GENERIC_ASSIGNMENT.matcher("");
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (!genericKeywordAt(text, i)) {
                continue;
            }
            m.reset(text.substring(i, Math.min(n, i + GENERIC_MAX_MATCH)));
            if (!m.lookingAt()) {
                continue;
            }
            String candidate = m.group(1);
            if (mixed(candidate, false) && entropy(candidate) >= GENERIC_MIN_ENTROPY) {
                found.add(new TextMatch(i + m.start(1), i + m.end(1), GENERIC, "secret.generic.keyword_entropy",
                        0.6));
            }
            i += m.end() - 1; // the next search starts where this match ends
        }
    }

    /** Whether {@code s} holds letters and digits (and, if {@code bothCases}, upper and lower case letters). */
    static boolean mixed(String s, boolean bothCases) {
        boolean digit = false;
        boolean upper = false;
        boolean lower = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            digit |= c >= '0' && c <= '9';
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
        }
        return digit && (bothCases ? upper && lower : upper || lower);
    }

    /** Shannon entropy of {@code s} (ASCII, as the patterns match it) in bits per character. */
    static double entropy(String s) {
        int[] counts = new int[128];
        for (int i = 0; i < s.length(); i++) {
            counts[s.charAt(i) & 0x7f]++;
        }
        double bits = 0;
        for (int count : counts) {
            if (count > 0) {
                double p = (double) count / s.length();
                bits -= p * (Math.log(p) / Math.log(2));
            }
        }
        return bits;
    }

    @Override
    public String toString() {
        return "SecretDetector" + kinds.stream().sorted().toList().toString().toLowerCase(Locale.ROOT);
    }
}
