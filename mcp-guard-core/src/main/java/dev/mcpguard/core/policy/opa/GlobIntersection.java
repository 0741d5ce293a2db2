package dev.mcpguard.core.policy.opa;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * OPA's {@code regex.globs_match}: a port of {@code github.com/yashtewari/glob-intersection} v0.2.0
 * ({@code gintersect.NonEmpty}), quirks included. Its globs are not {@code glob.match}'s: {@code .} is any
 * character, {@code [..]} a set (ranges {@code a-z}, no negation), {@code *} and {@code +} repeat the token before
 * them (zero or more, one or more), {@code \} escapes. Tokenizing errors (a dangling {@code ]}, a flag with
 * nothing before it, an open set, a bad range, a trailing backslash) are undefined.
 *
 * <p>The library searches recursively and, on globs with many {@code *}/{@code +}, in exponential time. The port
 * searches with an explicit stack (no stack overflow on long globs) and gives up after {@value #MAX_STEPS}
 * steps: such a call is undefined, where OPA keeps searching (documented in docs/policy-embedded-builtins.md).
 * Stateless and thread-safe.
 */
final class GlobIntersection {

    static final long MAX_STEPS = 10_000_000L;

    private static final int CHARACTER = 0;
    private static final int DOT = 1;
    private static final int SET = 2;
    private static final int NONE = 0;
    private static final int PLUS = 1;
    private static final int STAR = 2;
    private static final int EOF = -1;

    private GlobIntersection() {
    }

    /** A token: a character, {@code .} or a set (sorted disjoint ranges), with its flag. */
    private static final class Token {
        final int type;
        final int rune;
        final int[] set;
        int flag;

        Token(int type, int rune, int[] set) {
            this.type = type;
            this.rune = rune;
            this.set = set;
        }

        boolean sameAs(Token other) {
            if (type != other.type) {
                return false;
            }
            return switch (type) {
                case CHARACTER -> rune == other.rune;
                case SET -> Arrays.equals(set, other.set);
                default -> true;
            };
        }
    }

    /** {@code gintersect.NonEmpty(lhs, rhs)}. */
    static boolean nonEmpty(String lhs, String rhs) throws HostBuiltin.Undefined {
        Token[] g1 = glob(lhs);
        Token[] g2 = glob(rhs);
        int[] trim = trim(g1, g2);
        if (trim == null) {
            return false;
        }
        return search(Arrays.copyOfRange(g1, trim[0], trim[1]), Arrays.copyOfRange(g2, trim[0], trim[2]));
    }

    // ------------------------------------------------------------------ tokenize and simplify

    private static Token[] glob(String input) throws HostBuiltin.Undefined {
        Lexer lexer = new Lexer(input.codePoints().toArray());
        List<Token> tokens = new ArrayList<>();
        for (int i = 0; ; ) {
            i = lexer.nextToken(i);
            if (i == EOF) {
                break;
            }
            tokens.add(lexer.token);
        }
        return simplify(tokens).toArray(Token[]::new);
    }

    private static List<Token> simplify(List<Token> tokens) {
        if (tokens.isEmpty()) {
            return tokens;
        }
        List<Token> simple = new ArrayList<>();
        simple.add(tokens.get(0));
        Token latest = tokens.get(0);
        for (int i = 1; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            if (token.flag != NONE && latest.flag != NONE && token.sameAs(latest)) {
                simple.get(simple.size() - 1).flag = token.flag == PLUS || latest.flag == PLUS ? PLUS : STAR;
                continue;
            }
            latest = token;
            simple.add(token);
        }
        return simple;
    }

    private static final class Lexer {
        final int[] in;
        int r;
        boolean escaped;
        Token token;

        Lexer(int[] in) {
            this.in = in;
        }

        /** The rune at {@code index} (a backslash escapes the next one): the next index, or EOF. */
        int nextRune(int index) throws HostBuiltin.Undefined {
            if (index >= in.length) {
                return EOF;
            }
            if (in[index] == '\\') {
                if (index < in.length - 1) {
                    r = in[index + 1];
                    escaped = true;
                    return index + 2;
                }
                throw new HostBuiltin.Undefined("input ends with a \\ (escape) character");
            }
            r = in[index];
            escaped = false;
            return index + 1;
        }

        /** Reads the token at {@code index} into {@link #token}: the next index, or EOF. */
        int nextToken(int index) throws HostBuiltin.Undefined {
            int i = nextRune(index);
            if (i == EOF) {
                return EOF;
            }
            Token t;
            if (!escaped && r == '.') {
                t = new Token(DOT, 0, null);
            } else if (!escaped && r == ']') {
                throw new HostBuiltin.Undefined("set-close ']' with no preceding '['");
            } else if (!escaped && r == '[') {
                int[] end = new int[1];
                t = nextTokenSet(i, end);
                i = end[0];
            } else if (!escaped && (r == '+' || r == '*')) {
                throw new HostBuiltin.Undefined("flag must be preceded by a non-flag");
            } else {
                t = new Token(CHARACTER, r, null);
            }
            int flag = NONE;
            int f = nextRune(i);
            if (f != EOF && !escaped && (r == '+' || r == '*')) {
                flag = r == '+' ? PLUS : STAR;
                i = f;
            }
            t.flag = flag;
            token = t;
            return i;
        }

        private Token nextTokenSet(int index, int[] end) throws HostBuiltin.Undefined {
            GoRegexpSyntax.Runes runes = new GoRegexpSyntax.Runes();
            int prev = 0;
            boolean prevExists = false;
            boolean complete = false;
            int i = nextRune(index);
            while (i != EOF) {
                if (!escaped) {
                    if (r == '-') {
                        if (!prevExists) {
                            throw new HostBuiltin.Undefined("range character '-' must be preceded by a character");
                        }
                        if (i >= in.length - 1) {
                            throw new HostBuiltin.Undefined("range character '-' must be followed by a character");
                        }
                        i = nextRune(i);
                        if (!escaped && (r == ']' || r == '-')) {
                            throw new HostBuiltin.Undefined("range character '-' followed by a special symbol");
                        }
                        if (r < prev) {
                            throw new HostBuiltin.Undefined("range is out of order");
                        }
                        runes.add(prev);
                        runes.add(r);
                        prevExists = false;
                    } else if (r == ']') {
                        complete = true;
                    } else {
                        runes.add(r);
                        runes.add(r);
                        prev = r;
                        prevExists = true;
                    }
                } else {
                    runes.add(r);
                    runes.add(r);
                    prev = r;
                    prevExists = true;
                }
                if (complete) {
                    break;
                }
                i = nextRune(i);
            }
            if (!complete) {
                throw new HostBuiltin.Undefined("found [ without matching ]");
            }
            GoRegexpSyntax.cleanClass(runes);
            end[0] = i;
            return new Token(SET, 0, runes.toArray());
        }
    }

    // ------------------------------------------------------------------ matching

    private static boolean match(Token t1, Token t2) {
        if (t1.type > t2.type) {
            Token tmp = t1;
            t1 = t2;
            t2 = tmp;
        }
        if (t1.type == CHARACTER) {
            return switch (t2.type) {
                case CHARACTER -> t1.rune == t2.rune;
                case DOT -> true;
                default -> GoUnicodeTables.contains(t2.set, t1.rune);
            };
        }
        if (t1.type == DOT) {
            return true;
        }
        return intersect(t1.set, t2.set);
    }

    private static boolean intersect(int[] a, int[] b) {
        int i = 0;
        int j = 0;
        while (i < a.length && j < b.length) {
            if (a[i + 1] < b[j]) {
                i += 2;
            } else if (b[j + 1] < a[i]) {
                j += 2;
            } else {
                return true;
            }
        }
        return false;
    }

    /** {@code trimGlobs}: {l, end1, end2} to keep {@code g1[l:end1]}, {@code g2[l:end2]}, or null for no match. */
    private static int[] trim(Token[] g1, Token[] g2) {
        int l;
        for (l = 0; l < g1.length && l < g2.length && g1[l].flag == NONE && g2[l].flag == NONE; l++) {
            if (!match(g1[l], g2[l])) {
                return null;
            }
        }
        if (l > 0) {
            l--;
        }
        int r1;
        int r2;
        for (r1 = g1.length - 1, r2 = g2.length - 1; r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l
                && g1[r1].flag == NONE && g2[r2].flag == NONE; r1--, r2--) {
            if (!match(g1[r1], g2[r2])) {
                return null;
            }
        }
        if (r1 < g1.length - 1) {
            r1++;
            r2++;
        }
        return new int[] {l, r1 + 1, r2 + 1};
    }

    private static final int NORMAL = 0;
    private static final int SPECIAL = 1;
    private static final int INTERSECT_PLUS = 2;
    private static final int INTERSECT_STAR = 3;

    /** One call of the library's mutually recursive search, over suffixes {@code a[ao:]} and {@code b[bo:]}. */
    private static final class Frame {
        final int kind;
        final Token[] a;
        final int ao;
        final Token[] b;
        final int bo;
        int i;
        boolean awaiting;

        Frame(int kind, Token[] a, int ao, Token[] b, int bo) {
            this.kind = kind;
            this.a = a;
            this.ao = ao;
            this.b = b;
            this.bo = bo;
            this.i = bo;
        }
    }

    /** {@code intersectNormal(g1, g2)} with an explicit call stack. */
    private static boolean search(Token[] g1, Token[] g2) throws HostBuiltin.Undefined {
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(NORMAL, g1, 0, g2, 0));
        boolean value = false;
        long steps = 0;
        while (!stack.isEmpty()) {
            if (++steps > MAX_STEPS) {
                throw new HostBuiltin.Undefined("regex.globs_match: search too long");
            }
            Frame f = stack.peek();
            Token[] a = f.a;
            Token[] b = f.b;
            switch (f.kind) {
                case NORMAL -> {
                    int i = f.ao;
                    int j = f.bo;
                    Frame next = null;
                    boolean result = true;
                    for (; i < a.length && j < b.length; i++, j++) {
                        if (a[i].flag == NONE && b[j].flag == NONE) {
                            if (!match(a[i], b[j])) {
                                result = false;
                                break;
                            }
                        } else {
                            next = new Frame(SPECIAL, a, i, b, j);
                            break;
                        }
                    }
                    stack.pop();
                    if (next != null) {
                        stack.push(next);
                    } else {
                        value = result && i == a.length && j == b.length;
                    }
                }
                case SPECIAL -> {
                    stack.pop();
                    if (a[f.ao].flag != NONE) {
                        stack.push(new Frame(a[f.ao].flag == PLUS ? INTERSECT_PLUS : INTERSECT_STAR, a, f.ao, b, f.bo));
                    } else if (b[f.bo].flag != NONE) {
                        stack.push(new Frame(b[f.bo].flag == PLUS ? INTERSECT_PLUS : INTERSECT_STAR, b, f.bo, a, f.ao));
                    } else {
                        value = false;
                    }
                }
                case INTERSECT_PLUS -> {
                    if (!f.awaiting) {
                        if (!match(a[f.ao], b[f.bo])) {
                            stack.pop();
                            value = false;
                        } else {
                            f.awaiting = true;
                            stack.push(new Frame(INTERSECT_STAR, a, f.ao, b, f.bo + 1));
                        }
                    } else {
                        stack.pop();
                        if (!value && b[f.bo].flag != NONE) {
                            stack.push(new Frame(NORMAL, a, f.ao + 1, b, f.bo));
                        }
                        // else: value stays (true from the star, or false)
                    }
                }
                default -> { // INTERSECT_STAR: a[ao] is the starred token, b[i:] the rest of the other glob
                    Token star = a[f.ao];
                    Token after = f.ao + 1 < a.length ? a[f.ao + 1] : null;
                    if (f.awaiting) {
                        f.awaiting = false;
                        if (value) {
                            stack.pop();
                            break;
                        }
                        if (!match(b[f.i], star)) {
                            stack.pop();
                            value = false;
                            break;
                        }
                        f.i++;
                    }
                    boolean called = false;
                    while (f.i < b.length) {
                        if (++steps > MAX_STEPS) {
                            throw new HostBuiltin.Undefined("regex.globs_match: search too long");
                        }
                        Token t = b[f.i];
                        if (after != null && match(t, after)) {
                            f.awaiting = true;
                            stack.push(new Frame(NORMAL, a, f.ao + 1, b, f.i));
                            called = true;
                            break;
                        }
                        if (!match(t, star)) {
                            break;
                        }
                        f.i++;
                    }
                    if (!called) {
                        stack.pop();
                        value = f.i >= b.length && after == null;
                    }
                }
            }
        }
        return value;
    }
}
