package dev.mcpguard.core.policy.opa;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;

/**
 * A regexp with the semantics of Go's {@code regexp} package (RE2 syntax, leftmost-first matching), as OPA's
 * {@code regex.*} builtins use it: parsed by {@link GoRegexpSyntax} (Go's parser, Go's errors, Go's Unicode
 * tables), executed by re2j (a port of Go's matcher) on the pattern that parser writes out. On top of it, Go's
 * {@code FindAllString} (no empty match right after a match), {@code Split}, {@code ReplaceAllString} and
 * {@code Expand} ({@code $1}, {@code ${name}}, {@code $$}; a name is the longest run of letters, digits and
 * {@code _}, so {@code $1x} is the group named {@code 1x}). Positions are UTF-16 indices; strings are valid
 * Unicode (the engine decodes inputs as OPA does, see {@link LoneSurrogates}).
 *
 * <p>Compiled regexps are cached as OPA caches them ({@link #cached}): a bounded cache, so a policy fed hostile
 * patterns cannot grow memory without bound: at most {@value #CACHE_MAX_WEIGHT} weight units, one unit per
 * {@value #WEIGHT_UNIT} characters of pattern plus compiled instructions (so at most 100 ordinary patterns, as in
 * OPA), and a pattern that would weigh more than the whole cache is compiled but not kept. Immutable and
 * thread-safe; the cache is thread-safe.
 */
final class GoRegexp {

    static final long CACHE_MAX_WEIGHT = 100;
    static final int WEIGHT_UNIT = 1024;

    /** A {@code regex.replace} result longer than this (UTF-16 units) is undefined; OPA has no limit. */
    static final int MAX_RESULT_CHARS = 16 * 1024 * 1024;

    /**
     * A pattern whose program Go estimates at more instructions than this is undefined. Go's own limit is
     * 3,355,443 (128 MiB of Go instructions); re2j keeps about 90 bytes per instruction, so Go's limit would let
     * one pattern hold some 300 MiB of heap. Ordinary patterns need a few hundred; {@code [a-z]{1,1000}} 2,000.
     */
    static final long MAX_PROGRAM_SIZE = 1 << 18;

    /**
     * A pattern whose re2j form ({@link GoRegexpSyntax#toRe2j}: classes written out as explicit ranges) is
     * longer than this is undefined. {@code \pL} alone is about 2,000 characters.
     */
    static final int MAX_RE2J_FORM = 1 << 16;

    /**
     * A pattern whose re2j form would cost re2j's parser more than this is undefined: that parser copies the
     * rest of the pattern at each class range, escape and group (see {@link GoRegexpSyntax.Re2jPattern}), so
     * its time grows with the square of the pattern. 2^27 characters copied take some 50 ms; six classes
     * like {@code [\pL\pN]} in a row stay under it, seven do not (one class costs its ranges times the rest).
     */
    static final long MAX_PARSE_COST = 1L << 27;

    private static final Cache<String, GoRegexp> CACHE = Caffeine.newBuilder()
            .maximumWeight(CACHE_MAX_WEIGHT)
            .weigher((String expr, GoRegexp re) -> re.weight())
            .build();

    private final String expr;
    private final Pattern pattern;
    private final String[] capNames;
    private final int liveCaps;

    private GoRegexp(String expr, Pattern pattern, String[] capNames, int liveCaps) {
        this.expr = expr;
        this.pattern = pattern;
        this.capNames = capNames;
        this.liveCaps = liveCaps;
    }

    /** Go's {@code regexp.Compile(expr)}; a pattern Go rejects is undefined. */
    static GoRegexp compile(String expr) throws HostBuiltin.Undefined {
        GoRegexpSyntax.Parsed parsed;
        try {
            parsed = GoRegexpSyntax.parse(expr);
        } catch (GoRegexpSyntax.SyntaxError e) {
            throw new HostBuiltin.Undefined("invalid regexp: " + e.getMessage());
        }
        if (parsed.size() > MAX_PROGRAM_SIZE) {
            throw new HostBuiltin.Undefined("regexp program too large for the embedded engine");
        }
        GoRegexpSyntax.Re2jPattern written = GoRegexpSyntax.toRe2j(parsed.tree(), MAX_RE2J_FORM);
        if (written == null || written.pattern().length() > MAX_RE2J_FORM || written.parseCost() > MAX_PARSE_COST) {
            throw new HostBuiltin.Undefined("regexp too large for the embedded engine");
        }
        Pattern pattern = Pattern.compile(written.pattern());
        if (pattern.groupCount() != parsed.capNames().length - 1) {
            throw new IllegalStateException("re2j counts " + pattern.groupCount() + " groups, Go "
                    + (parsed.capNames().length - 1));
        }
        return new GoRegexp(expr, pattern, parsed.capNames(), written.liveCaps());
    }

    /** {@link #compile} through OPA's regexp cache (bounded, see the class comment). */
    static GoRegexp cached(String expr) throws HostBuiltin.Undefined {
        GoRegexp re = CACHE.getIfPresent(expr);
        if (re == null) {
            re = compile(expr);
            if (re.weight() <= CACHE_MAX_WEIGHT) {
                CACHE.put(expr, re);
            }
        }
        return re;
    }

    /** Entries currently cached (for tests). */
    static long cachedEntries() {
        CACHE.cleanUp();
        return CACHE.estimatedSize();
    }

    private int weight() {
        long units = ((long) expr.length() + pattern.programSize()) / WEIGHT_UNIT + 1;
        return (int) Math.min(Integer.MAX_VALUE, units);
    }

    /** Go's {@code MatchString}. */
    boolean matches(String s) {
        return pattern.matcher(s).find(0);
    }

    /**
     * Go's {@code allMatches}: up to {@code n} matches ({@code n < 0}: all), each as its index pairs (the whole
     * match, then each group when {@code groups}, -1 for a group that did not take part).
     */
    List<int[]> findAll(String s, long n, boolean groups) {
        List<int[]> out = new ArrayList<>();
        Matcher m = pattern.matcher(s);
        int end = s.length();
        int pairs = groups ? capNames.length : 1;
        int prevMatchEnd = -1;
        for (int pos = 0; (n < 0 || out.size() < n) && pos <= end; ) {
            if (!m.find(pos)) {
                break;
            }
            int start = m.start();
            int stop = m.end();
            boolean accept = true;
            if (stop == pos) {
                if (start == prevMatchEnd) {
                    accept = false; // no empty match right after a previous match
                }
                pos = pos < end ? pos + Character.charCount(s.codePointAt(pos)) : end + 1;
            } else {
                pos = stop;
            }
            prevMatchEnd = stop;
            if (accept) {
                int[] match = new int[2 * pairs];
                match[0] = start;
                match[1] = stop;
                for (int g = 1; g < pairs; g++) {
                    // re2j leaves the groups its program lost (inside x{0}) at 0; Go pads them with -1.
                    match[2 * g] = g <= liveCaps ? m.start(g) : -1;
                    match[2 * g + 1] = g <= liveCaps ? m.end(g) : -1;
                }
                out.add(match);
            }
        }
        return out;
    }

    /** Go's {@code FindAllString(s, n)}. */
    List<String> findAllStrings(String s, long n) {
        List<String> out = new ArrayList<>();
        for (int[] match : findAll(s, n, false)) {
            out.add(s.substring(match[0], match[1]));
        }
        return out;
    }

    /** Go's {@code Split(s, -1)}. */
    List<String> split(String s) {
        if (!expr.isEmpty() && s.isEmpty()) {
            return List.of("");
        }
        List<String> out = new ArrayList<>();
        int beg = 0;
        int end = 0;
        for (int[] match : findAll(s, -1, false)) {
            end = match[0];
            if (match[1] != 0) {
                out.add(s.substring(beg, end));
            }
            beg = match[1];
        }
        if (end != s.length()) {
            out.add(s.substring(beg));
        }
        return out;
    }

    /** Go's {@code ReplaceAllString(src, repl)}: {@code $} in {@code repl} expands as {@link #expand} does. */
    String replaceAll(String src, String repl) throws HostBuiltin.Undefined {
        boolean expand = repl.indexOf('$') >= 0;
        StringBuilder out = new StringBuilder(src.length());
        int last = 0;
        for (int[] match : findAll(src, -1, expand)) {
            out.append(src, last, match[0]);
            if (expand) {
                expand(out, repl, src, match);
            } else {
                out.append(repl);
            }
            last = match[1];
            if (out.length() > MAX_RESULT_CHARS) {
                throw new HostBuiltin.Undefined("regex.replace result too large");
            }
        }
        out.append(src, last, src.length());
        if (out.length() > MAX_RESULT_CHARS) {
            throw new HostBuiltin.Undefined("regex.replace result too large");
        }
        return out.toString();
    }

    /** Go's {@code Regexp.expand}. */
    private void expand(StringBuilder dst, String template, String src, int[] match) {
        int t = 0;
        int len = template.length();
        while (t < len) {
            int dollar = template.indexOf('$', t);
            if (dollar < 0) {
                break;
            }
            dst.append(template, t, dollar);
            t = dollar + 1;
            if (t < len && template.charAt(t) == '$') {
                dst.append('$');
                t++;
                continue;
            }
            int[] extracted = extract(template, t);
            if (extracted == null) {
                dst.append('$'); // malformed: the $ is text
                continue;
            }
            String name = template.substring(extracted[0], extracted[1]);
            int num = extracted[2];
            t = extracted[3];
            if (num >= 0) {
                if (2 * num + 1 < match.length && match[2 * num] >= 0) {
                    dst.append(src, match[2 * num], match[2 * num + 1]);
                }
            } else {
                for (int i = 0; i < capNames.length; i++) {
                    if (name.equals(capNames[i]) && 2 * i + 1 < match.length && match[2 * i] >= 0) {
                        dst.append(src, match[2 * i], match[2 * i + 1]);
                        break;
                    }
                }
            }
        }
        dst.append(template, t, len);
    }

    /** Go's {@code extract}: {name start, name end, number or -1, rest}, or null when malformed. */
    private static int[] extract(String str, int at) {
        int len = str.length();
        if (at >= len) {
            return null;
        }
        boolean brace = false;
        if (str.charAt(at) == '{') {
            brace = true;
            at++;
        }
        int i = at;
        while (i < len) {
            int rune = str.codePointAt(i);
            if (!GoUnicodeTables.isLetter(rune) && !GoUnicodeTables.isDigit(rune) && rune != '_') {
                break;
            }
            i += Character.charCount(rune);
        }
        if (i == at) {
            return null;
        }
        int nameEnd = i;
        if (brace) {
            if (i >= len || str.charAt(i) != '}') {
                return null;
            }
            i++;
        }
        int num = 0;
        for (int k = at; k < nameEnd; k++) {
            char c = str.charAt(k);
            if (c < '0' || c > '9' || num >= 100_000_000) {
                num = -1;
                break;
            }
            num = num * 10 + c - '0';
        }
        if (str.charAt(at) == '0' && nameEnd - at > 1) {
            num = -1;
        }
        return new int[] {at, nameEnd, num, i};
    }
}
