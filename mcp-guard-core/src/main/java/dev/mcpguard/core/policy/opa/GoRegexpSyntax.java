package dev.mcpguard.core.policy.opa;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A port of Go's {@code regexp/syntax} parser (Go 1.26, the toolchain of OPA 1.22.2), {@code Parse(s, Perl)} as
 * {@code regexp.Compile} calls it: the same syntax, the same errors (including the limits on repeat counts,
 * nesting depth, program size and class size), and the same parse tree, with Unicode classes and case folding
 * resolved from Go's own tables ({@link GoUnicodeTables}). The tree is then written out by {@link #toRe2j} as a
 * pattern re2j reads with no Unicode table, flag or case folding of its own: explicit code points and ranges,
 * explicit anchors, unnamed groups. So re2j (a port of Go's matcher) only executes what Go parsed.
 *
 * <p>The parser mirrors Go's step for step, its node free list and its size and height caches included, because
 * Go decides "expression too large" lazily and on those caches. Not thread-safe; {@link #parse} makes a new
 * parser per call, so the static methods are.
 */
final class GoRegexpSyntax {

    // Flags (Go's syntax.Flags).
    static final int FOLD_CASE = 1;
    static final int LITERAL = 1 << 1;
    static final int CLASS_NL = 1 << 2;
    static final int DOT_NL = 1 << 3;
    static final int ONE_LINE = 1 << 4;
    static final int NON_GREEDY = 1 << 5;
    static final int PERL_X = 1 << 6;
    static final int UNICODE_GROUPS = 1 << 7;
    static final int WAS_DOLLAR = 1 << 8;
    static final int PERL = CLASS_NL | ONE_LINE | PERL_X | UNICODE_GROUPS;

    // Ops, in Go's order (the parser compares them).
    static final int OP_NO_MATCH = 1;
    static final int OP_EMPTY_MATCH = 2;
    static final int OP_LITERAL = 3;
    static final int OP_CHAR_CLASS = 4;
    static final int OP_ANY_CHAR_NOT_NL = 5;
    static final int OP_ANY_CHAR = 6;
    static final int OP_BEGIN_LINE = 7;
    static final int OP_END_LINE = 8;
    static final int OP_BEGIN_TEXT = 9;
    static final int OP_END_TEXT = 10;
    static final int OP_WORD_BOUNDARY = 11;
    static final int OP_NO_WORD_BOUNDARY = 12;
    static final int OP_CAPTURE = 13;
    static final int OP_STAR = 14;
    static final int OP_PLUS = 15;
    static final int OP_QUEST = 16;
    static final int OP_REPEAT = 17;
    static final int OP_CONCAT = 18;
    static final int OP_ALTERNATE = 19;
    private static final int OP_PSEUDO = 128;
    private static final int OP_LEFT_PAREN = OP_PSEUDO;
    private static final int OP_VERTICAL_BAR = OP_PSEUDO + 1;

    static final int MAX_RUNE = 0x10FFFF;
    private static final int MAX_HEIGHT = 1000;
    private static final long MAX_SIZE = (128L << 20) / (5 * 8);
    private static final long MAX_RUNES = (128L << 20) / 4;
    private static final int MIN_FOLD = 0x0041;
    private static final int MAX_FOLD = 0x1e943;

    private static final int[] ANY_TABLE = {0, MAX_RUNE};
    private static final int[] ASCII_TABLE = {0, 0x7F};
    private static final int[] ASCII_FOLD_TABLE = {0, 0x7F, 0x017F, 0x017F, 0x212A, 0x212A};

    private static final Map<String, Group> PERL_GROUPS = Map.of(
            "\\d", new Group(+1, new int[] {0x30, 0x39}),
            "\\D", new Group(-1, new int[] {0x30, 0x39}),
            "\\s", new Group(+1, new int[] {0x9, 0xa, 0xc, 0xd, 0x20, 0x20}),
            "\\S", new Group(-1, new int[] {0x9, 0xa, 0xc, 0xd, 0x20, 0x20}),
            "\\w", new Group(+1, new int[] {0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a}),
            "\\W", new Group(-1, new int[] {0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a}));

    private static final Map<String, Group> POSIX_GROUPS = posixGroups();

    /** A failure to parse (Go's {@code *syntax.Error}); the builtins turn it into undefined. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String code) {
            super(code, null, false, false);
        }
    }

    /** Go's {@code ErrLarge} and {@code ErrNestingDepth}, raised deep inside the parser (Go panics). */
    private static final class LimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LimitExceeded(String code) {
            super(code, null, false, false);
        }
    }

    private record Group(int sign, int[] ranges) {
    }

    /** A growable rune slice. */
    static final class Runes {
        int[] a;
        int n;

        Runes() {
            a = new int[4];
        }

        Runes(int... runes) {
            a = runes.length == 0 ? new int[4] : runes.clone();
            n = runes.length;
        }

        void add(int r) {
            if (n == a.length) {
                a = Arrays.copyOf(a, Math.max(4, 2 * n));
            }
            a[n++] = r;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }

        boolean sameAs(Runes other) {
            int on = other == null ? 0 : other.n;
            return Arrays.equals(a, 0, n, other == null ? new int[0] : other.a, 0, on);
        }
    }

    /** A node of the parse tree (Go's {@code syntax.Regexp}). */
    static final class Node {
        int op;
        int flags;
        List<Node> sub = new ArrayList<>();
        Runes rune;
        int min;
        int max;
        int cap;
        String name = "";

        int runeCount() {
            return rune == null ? 0 : rune.n;
        }

        void reset(int newOp) {
            op = newOp;
            flags = 0;
            sub = new ArrayList<>();
            rune = null;
            min = 0;
            max = 0;
            cap = 0;
            name = "";
        }

        boolean equal(Node y) {
            if (y == null) {
                return false;
            }
            if (op != y.op) {
                return false;
            }
            switch (op) {
                case OP_END_TEXT:
                    return (flags & WAS_DOLLAR) == (y.flags & WAS_DOLLAR);
                case OP_LITERAL, OP_CHAR_CLASS:
                    return (flags & FOLD_CASE) == (y.flags & FOLD_CASE) && runesEqual(rune, y.rune);
                case OP_ALTERNATE, OP_CONCAT:
                    if (sub.size() != y.sub.size()) {
                        return false;
                    }
                    for (int i = 0; i < sub.size(); i++) {
                        if (!sub.get(i).equal(y.sub.get(i))) {
                            return false;
                        }
                    }
                    return true;
                case OP_STAR, OP_PLUS, OP_QUEST:
                    return (flags & NON_GREEDY) == (y.flags & NON_GREEDY) && sub.get(0).equal(y.sub.get(0));
                case OP_REPEAT:
                    return (flags & NON_GREEDY) == (y.flags & NON_GREEDY) && min == y.min && max == y.max
                            && sub.get(0).equal(y.sub.get(0));
                case OP_CAPTURE:
                    return cap == y.cap && name.equals(y.name) && sub.get(0).equal(y.sub.get(0));
                default:
                    return true;
            }
        }

        private static boolean runesEqual(Runes x, Runes y) {
            return x == null ? y == null || y.n == 0 : x.sameAs(y);
        }
    }

    /** A parsed regexp: its tree, its capture names by index (index 0 is the whole match, unnamed). */
    record Parsed(Node tree, String[] capNames, long size) {
    }

    // ------------------------------------------------------------------ parser state (one parse)

    private final String whole;
    private int flags;
    private final List<Node> stack = new ArrayList<>();
    private final Deque<Node> free = new ArrayDeque<>();
    private int numCap;
    private int numRegexp;
    private long numRunes;
    private long repeats;
    private Map<Node, Integer> height;
    private Map<Node, Long> size;

    private GoRegexpSyntax(String whole, int flags) {
        this.whole = whole;
        this.flags = flags;
    }

    /** Go's {@code syntax.Parse(s, syntax.Perl)}. */
    static Parsed parse(String s) throws SyntaxError {
        GoRegexpSyntax p = new GoRegexpSyntax(s, PERL);
        Node tree;
        try {
            tree = p.run();
        } catch (LimitExceeded e) {
            throw new SyntaxError(e.getMessage());
        }
        String[] names = new String[maxCap(tree) + 1];
        Arrays.fill(names, "");
        capNames(tree, names);
        return new Parsed(tree, names, p.sizeOf(tree));
    }

    /** Go's size estimate of the compiled program (instructions), computed afresh on the final tree. */
    private long sizeOf(Node tree) {
        size = new IdentityHashMap<>();
        return calcSize(tree, true);
    }

    private Node run() throws SyntaxError {
        int t = 0;
        int lastRepeat = -1;
        int len = whole.length();
        while (t < len) {
            int repeat = -1;
            char ch = whole.charAt(t);
            switch (ch) {
                case '(' -> {
                    if ((flags & PERL_X) != 0 && t + 1 < len && whole.charAt(t + 1) == '?') {
                        t = parsePerlFlags(t);
                        break;
                    }
                    numCap++;
                    op(OP_LEFT_PAREN).cap = numCap;
                    t++;
                }
                case '|' -> {
                    parseVerticalBar();
                    t++;
                }
                case ')' -> {
                    parseRightParen();
                    t++;
                }
                case '^' -> {
                    op((flags & ONE_LINE) != 0 ? OP_BEGIN_TEXT : OP_BEGIN_LINE);
                    t++;
                }
                case '$' -> {
                    if ((flags & ONE_LINE) != 0) {
                        op(OP_END_TEXT).flags |= WAS_DOLLAR;
                    } else {
                        op(OP_END_LINE);
                    }
                    t++;
                }
                case '.' -> {
                    op((flags & DOT_NL) != 0 ? OP_ANY_CHAR : OP_ANY_CHAR_NOT_NL);
                    t++;
                }
                case '[' -> t = parseClass(t);
                case '*', '+', '?' -> {
                    int op = ch == '*' ? OP_STAR : ch == '+' ? OP_PLUS : OP_QUEST;
                    int after = repeat(op, 0, 0, t, t + 1, lastRepeat);
                    repeat = t;
                    t = after;
                }
                case '{' -> {
                    int before = t;
                    int[] parsed = parseRepeat(t);
                    if (parsed == null) {
                        literal('{');
                        t++;
                        break;
                    }
                    int min = parsed[0];
                    int max = parsed[1];
                    if (min < 0 || min > 1000 || max > 1000 || max >= 0 && min > max) {
                        throw new SyntaxError("invalid repeat count");
                    }
                    int after = repeat(OP_REPEAT, min, max, before, parsed[2], lastRepeat);
                    repeat = before;
                    t = after;
                }
                case '\\' -> t = parseBackslash(t);
                default -> {
                    int c = nextRune(t);
                    literal(c);
                    t += Character.charCount(c);
                }
            }
            lastRepeat = repeat;
        }
        concat();
        if (swapVerticalBar()) {
            stack.remove(stack.size() - 1);
        }
        alternate();
        if (stack.size() != 1) {
            throw new SyntaxError("missing closing )");
        }
        return stack.get(0);
    }

    private int parseBackslash(int t) throws SyntaxError {
        int len = whole.length();
        if ((flags & PERL_X) != 0 && t + 1 < len) {
            switch (whole.charAt(t + 1)) {
                case 'A':
                    op(OP_BEGIN_TEXT);
                    return t + 2;
                case 'b':
                    op(OP_WORD_BOUNDARY);
                    return t + 2;
                case 'B':
                    op(OP_NO_WORD_BOUNDARY);
                    return t + 2;
                case 'C':
                    throw new SyntaxError("invalid escape sequence");
                case 'Q': {
                    int end = whole.indexOf("\\E", t + 2);
                    int stop = end < 0 ? len : end;
                    for (int i = t + 2; i < stop; ) {
                        int c = nextRune(i);
                        literal(c);
                        i += Character.charCount(c);
                    }
                    return end < 0 ? len : end + 2;
                }
                case 'z':
                    op(OP_END_TEXT);
                    return t + 2;
                default:
                    break;
            }
        }
        Node re = newRegexp(OP_CHAR_CLASS);
        re.flags = flags;
        if (t + 1 < len && (whole.charAt(t + 1) == 'p' || whole.charAt(t + 1) == 'P')) {
            Runes r = new Runes();
            int rest = parseUnicodeClass(t, r);
            if (rest >= 0) {
                re.rune = r;
                push(re);
                return rest;
            }
        }
        Runes r = new Runes();
        int rest = parsePerlClassEscape(t, r);
        if (rest >= 0) {
            re.rune = r;
            push(re);
            return rest;
        }
        reuse(re);
        long escape = parseEscape(t);
        literal((int) (escape >>> 32));
        return (int) escape;
    }

    // ------------------------------------------------------------------ node allocation and limits

    private Node newRegexp(int op) {
        Node re = free.pollFirst();
        if (re != null) {
            re.reset(op);
        } else {
            re = new Node();
            re.op = op;
            numRegexp++;
        }
        return re;
    }

    private void reuse(Node re) {
        if (height != null) {
            height.remove(re);
        }
        free.addFirst(re);
    }

    private void checkLimits(Node re) {
        if (numRunes > MAX_RUNES) {
            throw new LimitExceeded("expression too large");
        }
        checkSize(re);
        checkHeight(re);
    }

    private void checkSize(Node re) {
        if (size == null) {
            if (repeats == 0) {
                repeats = 1;
            }
            if (re.op == OP_REPEAT) {
                int n = re.max;
                if (n == -1) {
                    n = re.min;
                }
                if (n <= 0) {
                    n = 1;
                }
                if (n > MAX_SIZE / repeats) {
                    repeats = MAX_SIZE;
                } else {
                    repeats *= n;
                }
            }
            if (numRegexp < MAX_SIZE / repeats) {
                return;
            }
            size = new IdentityHashMap<>();
            for (Node s : new ArrayList<>(stack)) {
                checkSize(s);
            }
        }
        if (calcSize(re, true) > MAX_SIZE) {
            throw new LimitExceeded("expression too large");
        }
    }

    private long calcSize(Node re, boolean force) {
        if (!force) {
            Long cached = size.get(re);
            if (cached != null) {
                return cached;
            }
        }
        long s = 0;
        switch (re.op) {
            case OP_LITERAL -> s = re.runeCount();
            case OP_CAPTURE, OP_STAR -> s = 2 + calcSize(re.sub.get(0), false);
            case OP_PLUS, OP_QUEST -> s = 1 + calcSize(re.sub.get(0), false);
            case OP_CONCAT -> {
                for (Node sub : re.sub) {
                    s += calcSize(sub, false);
                }
            }
            case OP_ALTERNATE -> {
                for (Node sub : re.sub) {
                    s += calcSize(sub, false);
                }
                if (re.sub.size() > 1) {
                    s += re.sub.size() - 1;
                }
            }
            case OP_REPEAT -> {
                long sub = calcSize(re.sub.get(0), false);
                if (re.max == -1) {
                    s = re.min == 0 ? 2 + sub : 1 + (long) re.min * sub;
                } else {
                    s = (long) re.max * sub + (re.max - re.min);
                }
            }
            default -> {
            }
        }
        s = Math.max(1, s);
        size.put(re, s);
        return s;
    }

    private void checkHeight(Node re) {
        if (numRegexp < MAX_HEIGHT) {
            return;
        }
        if (height == null) {
            height = new IdentityHashMap<>();
            for (Node s : new ArrayList<>(stack)) {
                checkHeight(s);
            }
        }
        if (calcHeight(re, true) > MAX_HEIGHT) {
            throw new LimitExceeded("expression nests too deeply");
        }
    }

    private int calcHeight(Node re, boolean force) {
        if (!force) {
            Integer cached = height.get(re);
            if (cached != null) {
                return cached;
            }
        }
        int h = 1;
        for (Node sub : re.sub) {
            int hsub = calcHeight(sub, false);
            if (h < 1 + hsub) {
                h = 1 + hsub;
            }
        }
        height.put(re, h);
        return h;
    }

    // ------------------------------------------------------------------ the parse stack

    private Node push(Node re) {
        numRunes += re.runeCount();
        int n = re.runeCount();
        if (re.op == OP_CHAR_CLASS && n == 2 && re.rune.a[0] == re.rune.a[1]) {
            if (maybeConcat(re.rune.a[0], flags & ~FOLD_CASE)) {
                return null;
            }
            re.op = OP_LITERAL;
            re.rune.n = 1;
            re.flags = flags & ~FOLD_CASE;
        } else if (re.op == OP_CHAR_CLASS && n == 4 && re.rune.a[0] == re.rune.a[1] && re.rune.a[2] == re.rune.a[3]
                && GoUnicodeTables.simpleFold(re.rune.a[0]) == re.rune.a[2]
                && GoUnicodeTables.simpleFold(re.rune.a[2]) == re.rune.a[0]
                || re.op == OP_CHAR_CLASS && n == 2 && re.rune.a[0] + 1 == re.rune.a[1]
                && GoUnicodeTables.simpleFold(re.rune.a[0]) == re.rune.a[1]
                && GoUnicodeTables.simpleFold(re.rune.a[1]) == re.rune.a[0]) {
            if (maybeConcat(re.rune.a[0], flags | FOLD_CASE)) {
                return null;
            }
            re.op = OP_LITERAL;
            re.rune.n = 1;
            re.flags = flags | FOLD_CASE;
        } else {
            maybeConcat(-1, 0);
        }
        stack.add(re);
        checkLimits(re);
        return re;
    }

    private boolean maybeConcat(int r, int newFlags) {
        int n = stack.size();
        if (n < 2) {
            return false;
        }
        Node re1 = stack.get(n - 1);
        Node re2 = stack.get(n - 2);
        if (re1.op != OP_LITERAL || re2.op != OP_LITERAL || (re1.flags & FOLD_CASE) != (re2.flags & FOLD_CASE)) {
            return false;
        }
        for (int i = 0; i < re1.runeCount(); i++) {
            re2.rune.add(re1.rune.a[i]);
        }
        if (r >= 0) {
            re1.rune = new Runes(r);
            re1.flags = newFlags;
            return true;
        }
        stack.remove(n - 1);
        reuse(re1);
        return false;
    }

    private void literal(int r) {
        Node re = newRegexp(OP_LITERAL);
        re.flags = flags;
        if ((flags & FOLD_CASE) != 0) {
            r = minFoldRune(r);
        }
        re.rune = new Runes(r);
        push(re);
    }

    private static int minFoldRune(int r) {
        if (r < MIN_FOLD || r > MAX_FOLD) {
            return r;
        }
        int m = r;
        int r0 = r;
        for (r = GoUnicodeTables.simpleFold(r); r != r0; r = GoUnicodeTables.simpleFold(r)) {
            m = Math.min(m, r);
        }
        return m;
    }

    private Node op(int op) {
        Node re = newRegexp(op);
        re.flags = flags;
        return push(re);
    }

    private int repeat(int op, int min, int max, int before, int after, int lastRepeat) throws SyntaxError {
        int newFlags = flags;
        if ((flags & PERL_X) != 0) {
            if (after < whole.length() && whole.charAt(after) == '?') {
                after++;
                newFlags ^= NON_GREEDY;
            }
            if (lastRepeat >= 0) {
                throw new SyntaxError("invalid nested repetition operator");
            }
        }
        int n = stack.size();
        if (n == 0) {
            throw new SyntaxError("missing argument to repetition operator");
        }
        Node sub = stack.get(n - 1);
        if (sub.op >= OP_PSEUDO) {
            throw new SyntaxError("missing argument to repetition operator");
        }
        Node re = newRegexp(op);
        re.min = min;
        re.max = max;
        re.flags = newFlags;
        re.sub = new ArrayList<>(List.of(sub));
        stack.set(n - 1, re);
        checkLimits(re);
        if (op == OP_REPEAT && (min >= 2 || max >= 2) && !repeatIsValid(re, 1000)) {
            throw new SyntaxError("invalid repeat count");
        }
        return after;
    }

    private static boolean repeatIsValid(Node re, int n) {
        if (re.op == OP_REPEAT) {
            int m = re.max;
            if (m == 0) {
                return true;
            }
            if (m < 0) {
                m = re.min;
            }
            if (m > n) {
                return false;
            }
            if (m > 0) {
                n /= m;
            }
        }
        for (Node sub : re.sub) {
            if (!repeatIsValid(sub, n)) {
                return false;
            }
        }
        return true;
    }

    private Node concat() {
        maybeConcat(-1, 0);
        int i = stack.size();
        while (i > 0 && stack.get(i - 1).op < OP_PSEUDO) {
            i--;
        }
        List<Node> subs = new ArrayList<>(stack.subList(i, stack.size()));
        truncateStack(i);
        if (subs.isEmpty()) {
            return push(newRegexp(OP_EMPTY_MATCH));
        }
        return push(collapse(subs, OP_CONCAT));
    }

    private Node alternate() {
        int i = stack.size();
        while (i > 0 && stack.get(i - 1).op < OP_PSEUDO) {
            i--;
        }
        List<Node> subs = new ArrayList<>(stack.subList(i, stack.size()));
        truncateStack(i);
        if (!subs.isEmpty()) {
            cleanAlt(subs.get(subs.size() - 1));
        }
        if (subs.isEmpty()) {
            return push(newRegexp(OP_NO_MATCH));
        }
        return push(collapse(subs, OP_ALTERNATE));
    }

    private void truncateStack(int n) {
        stack.subList(n, stack.size()).clear();
    }

    private static void cleanAlt(Node re) {
        if (re.op == OP_CHAR_CLASS) {
            cleanClass(re.rune);
            if (re.rune.n == 2 && re.rune.a[0] == 0 && re.rune.a[1] == MAX_RUNE) {
                re.rune = null;
                re.op = OP_ANY_CHAR;
                return;
            }
            if (re.rune.n == 4 && re.rune.a[0] == 0 && re.rune.a[1] == '\n' - 1 && re.rune.a[2] == '\n' + 1
                    && re.rune.a[3] == MAX_RUNE) {
                re.rune = null;
                re.op = OP_ANY_CHAR_NOT_NL;
            }
        }
    }

    private Node collapse(List<Node> subs, int op) {
        if (subs.size() == 1) {
            return subs.get(0);
        }
        Node re = newRegexp(op);
        for (Node sub : subs) {
            if (sub.op == op) {
                re.sub.addAll(sub.sub);
                reuse(sub);
            } else {
                re.sub.add(sub);
            }
        }
        if (op == OP_ALTERNATE) {
            re.sub = factor(re.sub);
            if (re.sub.size() == 1) {
                Node old = re;
                re = re.sub.get(0);
                reuse(old);
            }
        }
        return re;
    }

    private List<Node> factor(List<Node> in) {
        if (in.size() < 2) {
            return in;
        }
        List<Node> sub = new ArrayList<>(in);

        // Round 1: factor out common literal prefixes.
        int[] str = new int[0];
        int strflags = 0;
        int start = 0;
        List<Node> out = new ArrayList<>();
        for (int i = 0; i <= sub.size(); i++) {
            int[] istr = new int[0];
            int iflags = 0;
            if (i < sub.size()) {
                Node lead = leadingString(sub.get(i));
                if (lead != null) {
                    istr = lead.rune == null ? new int[0] : lead.rune.toArray();
                    iflags = lead.flags & FOLD_CASE;
                }
                if (iflags == strflags) {
                    int same = 0;
                    while (same < str.length && same < istr.length && str[same] == istr[same]) {
                        same++;
                    }
                    if (same > 0) {
                        str = Arrays.copyOf(str, same);
                        continue;
                    }
                }
            }
            if (i == start) {
                // nothing
            } else if (i == start + 1) {
                out.add(sub.get(start));
            } else {
                Node prefix = newRegexp(OP_LITERAL);
                prefix.flags = strflags;
                prefix.rune = new Runes(str);
                for (int j = start; j < i; j++) {
                    sub.set(j, removeLeadingString(sub.get(j), str.length));
                    checkLimits(sub.get(j));
                }
                Node suffix = collapse(new ArrayList<>(sub.subList(start, i)), OP_ALTERNATE);
                Node re = newRegexp(OP_CONCAT);
                re.sub = new ArrayList<>(List.of(prefix, suffix));
                out.add(re);
            }
            start = i;
            str = istr;
            strflags = iflags;
        }
        sub = out;

        // Round 2: factor out common simple prefixes (a char class, or a fixed repeat of one).
        start = 0;
        out = new ArrayList<>();
        Node first = null;
        for (int i = 0; i <= sub.size(); i++) {
            Node ifirst = null;
            if (i < sub.size()) {
                ifirst = leadingRegexp(sub.get(i));
                if (first != null && first.equal(ifirst)
                        && (isCharClass(first) || first.op == OP_REPEAT && first.min == first.max
                        && isCharClass(first.sub.get(0)))) {
                    continue;
                }
            }
            if (i == start) {
                // nothing
            } else if (i == start + 1) {
                out.add(sub.get(start));
            } else {
                Node prefix = first;
                for (int j = start; j < i; j++) {
                    boolean reuse = j != start;
                    sub.set(j, removeLeadingRegexp(sub.get(j), reuse));
                    checkLimits(sub.get(j));
                }
                Node suffix = collapse(new ArrayList<>(sub.subList(start, i)), OP_ALTERNATE);
                Node re = newRegexp(OP_CONCAT);
                re.sub = new ArrayList<>(List.of(prefix, suffix));
                out.add(re);
            }
            start = i;
            first = ifirst;
        }
        sub = out;

        // Round 3: collapse runs of single literals into character classes.
        start = 0;
        out = new ArrayList<>();
        for (int i = 0; i <= sub.size(); i++) {
            if (i < sub.size() && isCharClass(sub.get(i))) {
                continue;
            }
            if (i == start) {
                // nothing
            } else if (i == start + 1) {
                out.add(sub.get(start));
            } else {
                int max = start;
                for (int j = start + 1; j < i; j++) {
                    Node a = sub.get(max);
                    Node b = sub.get(j);
                    if (a.op < b.op || a.op == b.op && a.runeCount() < b.runeCount()) {
                        max = j;
                    }
                }
                Node tmp = sub.get(start);
                sub.set(start, sub.get(max));
                sub.set(max, tmp);
                for (int j = start + 1; j < i; j++) {
                    mergeCharClass(sub.get(start), sub.get(j));
                    reuse(sub.get(j));
                }
                cleanAlt(sub.get(start));
                out.add(sub.get(start));
            }
            if (i < sub.size()) {
                out.add(sub.get(i));
            }
            start = i + 1;
        }
        sub = out;

        // Round 4: collapse runs of empty matches into a single empty match.
        out = new ArrayList<>();
        for (int i = 0; i < sub.size(); i++) {
            if (i + 1 < sub.size() && sub.get(i).op == OP_EMPTY_MATCH && sub.get(i + 1).op == OP_EMPTY_MATCH) {
                continue;
            }
            out.add(sub.get(i));
        }
        return out;
    }

    /** The literal node {@code re} begins with, or null (Go returns its runes and fold flag). */
    private static Node leadingString(Node re) {
        if (re.op == OP_CONCAT && !re.sub.isEmpty()) {
            re = re.sub.get(0);
        }
        return re.op == OP_LITERAL ? re : null;
    }

    private Node removeLeadingString(Node re, int n) {
        if (re.op == OP_CONCAT && !re.sub.isEmpty()) {
            Node sub = removeLeadingString(re.sub.get(0), n);
            re.sub.set(0, sub);
            if (sub.op == OP_EMPTY_MATCH) {
                reuse(sub);
                switch (re.sub.size()) {
                    case 0, 1 -> {
                        re.op = OP_EMPTY_MATCH;
                        re.sub = new ArrayList<>();
                    }
                    case 2 -> {
                        Node old = re;
                        re = re.sub.get(1);
                        reuse(old);
                    }
                    default -> re.sub.remove(0);
                }
            }
            return re;
        }
        if (re.op == OP_LITERAL) {
            int keep = re.runeCount() - n;
            System.arraycopy(re.rune.a, n, re.rune.a, 0, keep);
            re.rune.n = keep;
            if (keep == 0) {
                re.op = OP_EMPTY_MATCH;
            }
        }
        return re;
    }

    private static Node leadingRegexp(Node re) {
        if (re.op == OP_EMPTY_MATCH) {
            return null;
        }
        if (re.op == OP_CONCAT && !re.sub.isEmpty()) {
            Node sub = re.sub.get(0);
            return sub.op == OP_EMPTY_MATCH ? null : sub;
        }
        return re;
    }

    private Node removeLeadingRegexp(Node re, boolean reuse) {
        if (re.op == OP_CONCAT && !re.sub.isEmpty()) {
            if (reuse) {
                reuse(re.sub.get(0));
            }
            re.sub.remove(0);
            switch (re.sub.size()) {
                case 0 -> {
                    re.op = OP_EMPTY_MATCH;
                    re.sub = new ArrayList<>();
                }
                case 1 -> {
                    Node old = re;
                    re = re.sub.get(0);
                    reuse(old);
                }
                default -> {
                }
            }
            return re;
        }
        if (reuse) {
            reuse(re);
        }
        return newRegexp(OP_EMPTY_MATCH);
    }

    private static boolean isCharClass(Node re) {
        return re.op == OP_LITERAL && re.runeCount() == 1 || re.op == OP_CHAR_CLASS || re.op == OP_ANY_CHAR_NOT_NL
                || re.op == OP_ANY_CHAR;
    }

    private static boolean matchRune(Node re, int r) {
        switch (re.op) {
            case OP_LITERAL:
                return re.runeCount() == 1 && re.rune.a[0] == r;
            case OP_CHAR_CLASS:
                for (int i = 0; i < re.runeCount(); i += 2) {
                    if (re.rune.a[i] <= r && r <= re.rune.a[i + 1]) {
                        return true;
                    }
                }
                return false;
            case OP_ANY_CHAR_NOT_NL:
                return r != '\n';
            case OP_ANY_CHAR:
                return true;
            default:
                return false;
        }
    }

    private void parseVerticalBar() {
        concat();
        if (!swapVerticalBar()) {
            op(OP_VERTICAL_BAR);
        }
    }

    private static void mergeCharClass(Node dst, Node src) {
        switch (dst.op) {
            case OP_ANY_CHAR -> {
            }
            case OP_ANY_CHAR_NOT_NL -> {
                if (matchRune(src, '\n')) {
                    dst.op = OP_ANY_CHAR;
                }
            }
            case OP_CHAR_CLASS -> {
                if (src.op == OP_LITERAL) {
                    appendLiteral(dst.rune, src.rune.a[0], src.flags);
                } else {
                    appendClass(dst.rune, src.rune);
                }
            }
            case OP_LITERAL -> {
                if (src.rune.a[0] == dst.rune.a[0] && src.flags == dst.flags) {
                    break;
                }
                dst.op = OP_CHAR_CLASS;
                int d = dst.rune.a[0];
                dst.rune = new Runes();
                appendLiteral(dst.rune, d, dst.flags);
                appendLiteral(dst.rune, src.rune.a[0], src.flags);
            }
            default -> {
            }
        }
    }

    private boolean swapVerticalBar() {
        int n = stack.size();
        if (n >= 3 && stack.get(n - 2).op == OP_VERTICAL_BAR && isCharClass(stack.get(n - 1))
                && isCharClass(stack.get(n - 3))) {
            Node re1 = stack.get(n - 1);
            Node re3 = stack.get(n - 3);
            if (re1.op > re3.op) {
                Node tmp = re1;
                re1 = re3;
                re3 = tmp;
                stack.set(n - 3, re3);
            }
            mergeCharClass(re3, re1);
            reuse(re1);
            stack.remove(n - 1);
            return true;
        }
        if (n >= 2) {
            Node re1 = stack.get(n - 1);
            Node re2 = stack.get(n - 2);
            if (re2.op == OP_VERTICAL_BAR) {
                if (n >= 3) {
                    cleanAlt(stack.get(n - 3));
                }
                stack.set(n - 2, re1);
                stack.set(n - 1, re2);
                return true;
            }
        }
        return false;
    }

    private void parseRightParen() throws SyntaxError {
        concat();
        if (swapVerticalBar()) {
            stack.remove(stack.size() - 1);
        }
        alternate();
        int n = stack.size();
        if (n < 2) {
            throw new SyntaxError("unexpected )");
        }
        Node re1 = stack.get(n - 1);
        Node re2 = stack.get(n - 2);
        truncateStack(n - 2);
        if (re2.op != OP_LEFT_PAREN) {
            throw new SyntaxError("unexpected )");
        }
        flags = re2.flags;
        if (re2.cap == 0) {
            push(re1);
        } else {
            re2.op = OP_CAPTURE;
            re2.sub = new ArrayList<>(List.of(re1));
            push(re2);
        }
    }

    // ------------------------------------------------------------------ lexical pieces

    /** Go's {@code parseRepeat}: {min, max, rest} or null when {@code {} is a literal. */
    private int[] parseRepeat(int s) {
        int len = whole.length();
        if (s >= len || whole.charAt(s) != '{') {
            return null;
        }
        s++;
        int[] min = parseInt(s);
        if (min == null) {
            return null;
        }
        s = min[1];
        if (s >= len) {
            return null;
        }
        int minValue = min[0];
        int maxValue;
        if (whole.charAt(s) != ',') {
            maxValue = minValue;
        } else {
            s++;
            if (s >= len) {
                return null;
            }
            if (whole.charAt(s) == '}') {
                maxValue = -1;
            } else {
                int[] max = parseInt(s);
                if (max == null) {
                    return null;
                }
                s = max[1];
                maxValue = max[0];
                if (maxValue < 0) {
                    minValue = -1;
                }
            }
        }
        if (s >= len || whole.charAt(s) != '}') {
            return null;
        }
        return new int[] {minValue, maxValue, s + 1};
    }

    /** Go's {@code parseInt}: {value (-1 when too big), rest} or null. */
    private int[] parseInt(int s) {
        int len = whole.length();
        if (s >= len || !isDigit(whole.charAt(s))) {
            return null;
        }
        if (len - s >= 2 && whole.charAt(s) == '0' && isDigit(whole.charAt(s + 1))) {
            return null;
        }
        int t = s;
        while (s < len && isDigit(whole.charAt(s))) {
            s++;
        }
        int n = 0;
        for (int i = t; i < s; i++) {
            if (n >= 100_000_000) {
                n = -1;
                break;
            }
            n = n * 10 + whole.charAt(i) - '0';
        }
        return new int[] {n, s};
    }

    private static boolean isDigit(char c) {
        return '0' <= c && c <= '9';
    }

    private int parsePerlFlags(int s) throws SyntaxError {
        int len = whole.length();
        boolean startsWithP = len - s > 4 && whole.charAt(s + 2) == 'P' && whole.charAt(s + 3) == '<';
        boolean startsWithName = len - s > 3 && whole.charAt(s + 2) == '<';
        if (startsWithP || startsWithName) {
            int exprStart = startsWithName ? 3 : 4;
            int end = whole.indexOf('>', s);
            if (end < 0) {
                throw new SyntaxError("invalid named capture");
            }
            String name = whole.substring(s + exprStart, end);
            if (!isValidCaptureName(name)) {
                throw new SyntaxError("invalid named capture");
            }
            numCap++;
            Node re = op(OP_LEFT_PAREN);
            re.cap = numCap;
            re.name = name;
            return end + 1;
        }
        int t = s + 2;
        int newFlags = flags;
        int sign = +1;
        boolean sawFlag = false;
        loop:
        while (t < len) {
            int c = nextRune(t);
            t += Character.charCount(c);
            switch (c) {
                case 'i' -> {
                    newFlags |= FOLD_CASE;
                    sawFlag = true;
                }
                case 'm' -> {
                    newFlags &= ~ONE_LINE;
                    sawFlag = true;
                }
                case 's' -> {
                    newFlags |= DOT_NL;
                    sawFlag = true;
                }
                case 'U' -> {
                    newFlags |= NON_GREEDY;
                    sawFlag = true;
                }
                case '-' -> {
                    if (sign < 0) {
                        break loop;
                    }
                    sign = -1;
                    newFlags = ~newFlags;
                    sawFlag = false;
                }
                case ':', ')' -> {
                    if (sign < 0) {
                        if (!sawFlag) {
                            break loop;
                        }
                        newFlags = ~newFlags;
                    }
                    if (c == ':') {
                        op(OP_LEFT_PAREN);
                    }
                    flags = newFlags;
                    return t;
                }
                default -> {
                    break loop;
                }
            }
        }
        throw new SyntaxError("invalid or unsupported Perl syntax");
    }

    private static boolean isValidCaptureName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '_' && !isAlnum(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlnum(int c) {
        return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z';
    }

    /** Go's {@code parseEscape} at {@code s} (a backslash): the rune in the high half, the rest in the low. */
    private long parseEscape(int s) throws SyntaxError {
        int len = whole.length();
        int t = s + 1;
        if (t >= len) {
            throw new SyntaxError("trailing backslash at end of expression");
        }
        int c = nextRune(t);
        t += Character.charCount(c);
        switch (c) {
            case '1', '2', '3', '4', '5', '6', '7':
                if (t >= len || whole.charAt(t) < '0' || whole.charAt(t) > '7') {
                    break;
                }
                // fall through: an octal escape
            case '0': {
                int r = c - '0';
                for (int i = 1; i < 3; i++) {
                    if (t >= len || whole.charAt(t) < '0' || whole.charAt(t) > '7') {
                        break;
                    }
                    r = r * 8 + whole.charAt(t) - '0';
                    t++;
                }
                return (long) r << 32 | t;
            }
            case 'x': {
                if (t >= len) {
                    break;
                }
                c = nextRune(t);
                t += Character.charCount(c);
                if (c == '{') {
                    int nhex = 0;
                    int r = 0;
                    while (true) {
                        if (t >= len) {
                            throw new SyntaxError("invalid escape sequence");
                        }
                        c = nextRune(t);
                        t += Character.charCount(c);
                        if (c == '}') {
                            break;
                        }
                        int v = unhex(c);
                        if (v < 0) {
                            throw new SyntaxError("invalid escape sequence");
                        }
                        r = r * 16 + v;
                        if (r > MAX_RUNE) {
                            throw new SyntaxError("invalid escape sequence");
                        }
                        nhex++;
                    }
                    if (nhex == 0) {
                        throw new SyntaxError("invalid escape sequence");
                    }
                    return (long) r << 32 | t;
                }
                int x = unhex(c);
                int y;
                if (t >= len) {
                    y = -1; // Go decodes RuneError from the empty string
                } else {
                    c = nextRune(t);
                    t += Character.charCount(c);
                    y = unhex(c);
                }
                if (x < 0 || y < 0) {
                    break;
                }
                return (long) (x * 16 + y) << 32 | t;
            }
            case 'a':
                return (long) 7 << 32 | t;
            case 'f':
                return (long) '\f' << 32 | t;
            case 'n':
                return (long) '\n' << 32 | t;
            case 'r':
                return (long) '\r' << 32 | t;
            case 't':
                return (long) '\t' << 32 | t;
            case 'v':
                return (long) 0x0B << 32 | t;
            default:
                if (c < 0x80 && !isAlnum(c)) {
                    return (long) c << 32 | t;
                }
                break;
        }
        throw new SyntaxError("invalid escape sequence");
    }

    private static int unhex(int c) {
        if ('0' <= c && c <= '9') {
            return c - '0';
        }
        if ('a' <= c && c <= 'f') {
            return c - 'a' + 10;
        }
        if ('A' <= c && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** The code point at {@code t}; a lone surrogate is Go's invalid UTF-8. */
    private int nextRune(int t) throws SyntaxError {
        int c = whole.codePointAt(t);
        if (c >= 0xD800 && c <= 0xDFFF) {
            throw new SyntaxError("invalid UTF-8");
        }
        return c;
    }

    private void checkUtf8(int from, int to) throws SyntaxError {
        for (int i = from; i < to; ) {
            i += Character.charCount(nextRune(i));
        }
    }

    // ------------------------------------------------------------------ classes

    private int parseClassChar(int s, long[] out) throws SyntaxError {
        if (s >= whole.length()) {
            throw new SyntaxError("missing closing ]");
        }
        if (whole.charAt(s) == '\\') {
            long escape = parseEscape(s);
            out[0] = escape >>> 32;
            return (int) escape;
        }
        int c = nextRune(s);
        out[0] = c;
        return s + Character.charCount(c);
    }

    /** Go's {@code parsePerlClassEscape}: appends to {@code r} and returns the rest, or -1 when not one. */
    private int parsePerlClassEscape(int s, Runes r) {
        if ((flags & PERL_X) == 0 || whole.length() - s < 2 || whole.charAt(s) != '\\') {
            return -1;
        }
        Group g = PERL_GROUPS.get(whole.substring(s, s + 2));
        if (g == null) {
            return -1;
        }
        appendGroup(r, g);
        return s + 2;
    }

    private int parseNamedClass(int s, Runes r) throws SyntaxError {
        if (whole.length() - s < 2 || whole.charAt(s) != '[' || whole.charAt(s + 1) != ':') {
            return -1;
        }
        int i = whole.indexOf(":]", s + 2);
        if (i < 0) {
            return -1;
        }
        String name = whole.substring(s, i + 2);
        Group g = POSIX_GROUPS.get(name);
        if (g == null) {
            throw new SyntaxError("invalid character class range");
        }
        appendGroup(r, g);
        return i + 2;
    }

    private void appendGroup(Runes r, Group g) {
        if ((flags & FOLD_CASE) == 0) {
            if (g.sign() < 0) {
                appendNegatedClass(r, new Runes(g.ranges()));
            } else {
                appendClass(r, new Runes(g.ranges()));
            }
        } else {
            Runes tmp = new Runes();
            appendFoldedClass(tmp, new Runes(g.ranges()));
            cleanClass(tmp);
            if (g.sign() < 0) {
                appendNegatedClass(r, tmp);
            } else {
                appendClass(r, tmp);
            }
        }
    }

    /** Go's {@code canonicalName}: first letter upper case, the rest lower case, no {@code _}, {@code -} or space. */
    static String canonicalName(String name) {
        StringBuilder b = new StringBuilder(name.length());
        boolean first = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '_' || c == '-' || c == ' ') {
                continue;
            }
            if (first) {
                if ('a' <= c && c <= 'z') {
                    c -= 'a' - 'A';
                }
                first = false;
            } else if ('A' <= c && c <= 'Z') {
                c += 'a' - 'A';
            }
            b.append(c);
        }
        return b.toString();
    }

    private record Table(int[] tab, int[] fold, int sign) {
    }

    private static Table unicodeTable(String name) {
        name = canonicalName(name);
        switch (name) {
            case "Any":
                return new Table(ANY_TABLE, ANY_TABLE, +1);
            case "Assigned":
                return new Table(GoUnicodeTables.category("Cn"), GoUnicodeTables.category("Cn"), -1);
            case "Ascii":
                return new Table(ASCII_TABLE, ASCII_FOLD_TABLE, +1);
            case "Lc":
                return new Table(GoUnicodeTables.category("LC"), GoUnicodeTables.foldCategory("LC"), +1);
            default:
                break;
        }
        int[] t = GoUnicodeTables.category(name);
        if (t != null) {
            return new Table(t, GoUnicodeTables.foldCategory(name), +1);
        }
        t = GoUnicodeTables.script(name);
        if (t != null) {
            return new Table(t, GoUnicodeTables.foldScript(name), +1);
        }
        String actual = CanonicalAliases.MAP.get(name);
        if (actual != null && !actual.isEmpty() && GoUnicodeTables.category(actual) != null) {
            return new Table(GoUnicodeTables.category(actual), GoUnicodeTables.foldCategory(actual), +1);
        }
        return null;
    }

    /** {@code unicode.CategoryAliases} keyed by canonical name, built once (Go's sync.Once). */
    private static final class CanonicalAliases {
        static final Map<String, String> MAP = canonical();

        private static Map<String, String> canonical() {
            Map<String, String> out = new java.util.HashMap<>();
            GoUnicodeTables.categoryAliases().forEach((name, actual) -> out.put(canonicalName(name), actual));
            return out;
        }
    }

    /** Go's {@code parseUnicodeClass}: appends to {@code r} and returns the rest, or -1 when not one. */
    private int parseUnicodeClass(int s, Runes r) throws SyntaxError {
        int len = whole.length();
        if ((flags & UNICODE_GROUPS) == 0 || len - s < 2 || whole.charAt(s) != '\\'
                || whole.charAt(s + 1) != 'p' && whole.charAt(s + 1) != 'P') {
            return -1;
        }
        int sign = whole.charAt(s + 1) == 'P' ? -1 : +1;
        int t = s + 2;
        int c;
        if (t >= len) {
            c = 0xFFFD; // Go decodes RuneError (width 0) from the empty string
        } else {
            c = nextRune(t);
            t += Character.charCount(c);
        }
        String name;
        if (c != '{') {
            name = whole.substring(s + 2, t);
        } else {
            int end = whole.indexOf('}', s);
            if (end < 0) {
                checkUtf8(s, len);
                throw new SyntaxError("invalid character class range");
            }
            t = end + 1;
            name = whole.substring(s + 3, end);
        }
        if (!name.isEmpty() && name.charAt(0) == '^') {
            sign = -sign;
            name = name.substring(1);
        }
        Table table = unicodeTable(name);
        if (table == null) {
            throw new SyntaxError("invalid character class range");
        }
        if (table.sign() < 0) {
            sign = -sign;
        }
        if ((flags & FOLD_CASE) == 0 || table.fold() == null) {
            if (sign > 0) {
                appendClass(r, new Runes(table.tab()));
            } else {
                appendNegatedClass(r, new Runes(table.tab()));
            }
        } else {
            Runes tmp = new Runes();
            appendClass(tmp, new Runes(table.tab()));
            appendClass(tmp, new Runes(table.fold()));
            cleanClass(tmp);
            if (sign > 0) {
                appendClass(r, tmp);
            } else {
                appendNegatedClass(r, tmp);
            }
        }
        return t;
    }

    private int parseClass(int s) throws SyntaxError {
        int len = whole.length();
        int t = s + 1;
        Node re = newRegexp(OP_CHAR_CLASS);
        re.flags = flags;
        re.rune = new Runes();
        int sign = +1;
        if (t < len && whole.charAt(t) == '^') {
            sign = -1;
            t++;
            if ((flags & CLASS_NL) == 0) {
                re.rune.add('\n');
                re.rune.add('\n');
            }
        }
        Runes clazz = re.rune;
        boolean first = true;
        long[] lo = new long[1];
        long[] hi = new long[1];
        while (t >= len || whole.charAt(t) != ']' || first) {
            if (t < len && whole.charAt(t) == '-' && (flags & PERL_X) == 0 && !first
                    && (len - t == 1 || whole.charAt(t + 1) != ']')) {
                throw new SyntaxError("invalid character class range");
            }
            first = false;
            if (len - t > 2 && whole.charAt(t) == '[' && whole.charAt(t + 1) == ':') {
                int nt = parseNamedClass(t, clazz);
                if (nt >= 0) {
                    t = nt;
                    continue;
                }
            }
            int nt = parseUnicodeClass(t, clazz);
            if (nt >= 0) {
                t = nt;
                continue;
            }
            nt = parsePerlClassEscape(t, clazz);
            if (nt >= 0) {
                t = nt;
                continue;
            }
            t = parseClassChar(t, lo);
            hi[0] = lo[0];
            if (len - t >= 2 && whole.charAt(t) == '-' && whole.charAt(t + 1) != ']') {
                t++;
                t = parseClassChar(t, hi);
                if (hi[0] < lo[0]) {
                    throw new SyntaxError("invalid character class range");
                }
            }
            if ((flags & FOLD_CASE) == 0) {
                appendRange(clazz, (int) lo[0], (int) hi[0]);
            } else {
                appendFoldedRange(clazz, (int) lo[0], (int) hi[0]);
            }
        }
        t++;
        cleanClass(clazz);
        if (sign < 0) {
            negateClass(clazz);
        }
        re.rune = clazz;
        push(re);
        return t;
    }

    /** Sorts the ranges (lo ascending, hi descending), merges abutting and overlapping ones. */
    static void cleanClass(Runes r) {
        int pairs = r.n / 2;
        long[] keys = new long[pairs];
        for (int i = 0; i < pairs; i++) {
            keys[i] = (long) r.a[2 * i] << 32 | (0xFFFFFFFFL - r.a[2 * i + 1]);
        }
        Arrays.sort(keys);
        for (int i = 0; i < pairs; i++) {
            r.a[2 * i] = (int) (keys[i] >>> 32);
            r.a[2 * i + 1] = (int) (0xFFFFFFFFL - (keys[i] & 0xFFFFFFFFL));
        }
        if (r.n < 2) {
            return;
        }
        int w = 2;
        for (int i = 2; i < r.n; i += 2) {
            int lo = r.a[i];
            int hi = r.a[i + 1];
            if (lo <= r.a[w - 1] + 1) {
                if (hi > r.a[w - 1]) {
                    r.a[w - 1] = hi;
                }
                continue;
            }
            r.a[w] = lo;
            r.a[w + 1] = hi;
            w += 2;
        }
        r.n = w;
    }

    private static void appendLiteral(Runes r, int x, int flags) {
        if ((flags & FOLD_CASE) != 0) {
            appendFoldedRange(r, x, x);
        } else {
            appendRange(r, x, x);
        }
    }

    static void appendRange(Runes r, int lo, int hi) {
        int n = r.n;
        for (int i = 2; i <= 4; i += 2) {
            if (n >= i) {
                int rlo = r.a[n - i];
                int rhi = r.a[n - i + 1];
                if (lo <= rhi + 1 && rlo <= hi + 1) {
                    if (lo < rlo) {
                        r.a[n - i] = lo;
                    }
                    if (hi > rhi) {
                        r.a[n - i + 1] = hi;
                    }
                    return;
                }
            }
        }
        r.add(lo);
        r.add(hi);
    }

    private static void appendFoldedRange(Runes r, int lo, int hi) {
        if (lo <= MIN_FOLD && hi >= MAX_FOLD) {
            appendRange(r, lo, hi);
            return;
        }
        if (hi < MIN_FOLD || lo > MAX_FOLD) {
            appendRange(r, lo, hi);
            return;
        }
        if (lo < MIN_FOLD) {
            appendRange(r, lo, MIN_FOLD - 1);
            lo = MIN_FOLD;
        }
        if (hi > MAX_FOLD) {
            appendRange(r, MAX_FOLD + 1, hi);
            hi = MAX_FOLD;
        }
        for (int c = lo; c <= hi; c++) {
            appendRange(r, c, c);
            for (int f = GoUnicodeTables.simpleFold(c); f != c; f = GoUnicodeTables.simpleFold(f)) {
                appendRange(r, f, f);
            }
        }
    }

    private static void appendClass(Runes r, Runes x) {
        for (int i = 0; i < x.n; i += 2) {
            appendRange(r, x.a[i], x.a[i + 1]);
        }
    }

    private static void appendFoldedClass(Runes r, Runes x) {
        for (int i = 0; i < x.n; i += 2) {
            appendFoldedRange(r, x.a[i], x.a[i + 1]);
        }
    }

    private static void appendNegatedClass(Runes r, Runes x) {
        int nextLo = 0;
        for (int i = 0; i < x.n; i += 2) {
            int lo = x.a[i];
            int hi = x.a[i + 1];
            if (nextLo <= lo - 1) {
                appendRange(r, nextLo, lo - 1);
            }
            nextLo = hi + 1;
        }
        if (nextLo <= MAX_RUNE) {
            appendRange(r, nextLo, MAX_RUNE);
        }
    }

    private static void negateClass(Runes r) {
        int nextLo = 0;
        int w = 0;
        int n = r.n;
        int[] copy = Arrays.copyOf(r.a, n);
        for (int i = 0; i < n; i += 2) {
            int lo = copy[i];
            int hi = copy[i + 1];
            if (nextLo <= lo - 1) {
                r.a[w] = nextLo;
                r.a[w + 1] = lo - 1;
                w += 2;
            }
            nextLo = hi + 1;
        }
        r.n = w;
        if (nextLo <= MAX_RUNE) {
            r.add(nextLo);
            r.add(MAX_RUNE);
        }
    }

    private static Map<String, Group> posixGroups() {
        Map<String, int[]> classes = new java.util.LinkedHashMap<>();
        classes.put("alnum", new int[] {0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a});
        classes.put("alpha", new int[] {0x41, 0x5a, 0x61, 0x7a});
        classes.put("ascii", new int[] {0x0, 0x7f});
        classes.put("blank", new int[] {0x9, 0x9, 0x20, 0x20});
        classes.put("cntrl", new int[] {0x0, 0x1f, 0x7f, 0x7f});
        classes.put("digit", new int[] {0x30, 0x39});
        classes.put("graph", new int[] {0x21, 0x7e});
        classes.put("lower", new int[] {0x61, 0x7a});
        classes.put("print", new int[] {0x20, 0x7e});
        classes.put("punct", new int[] {0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e});
        classes.put("space", new int[] {0x9, 0xd, 0x20, 0x20});
        classes.put("upper", new int[] {0x41, 0x5a});
        classes.put("word", new int[] {0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a});
        classes.put("xdigit", new int[] {0x30, 0x39, 0x41, 0x46, 0x61, 0x66});
        Map<String, Group> groups = new java.util.HashMap<>();
        classes.forEach((name, ranges) -> {
            groups.put("[:" + name + ":]", new Group(+1, ranges));
            groups.put("[:^" + name + ":]", new Group(-1, ranges));
        });
        return Map.copyOf(groups);
    }

    // ------------------------------------------------------------------ captures

    private static int maxCap(Node re) {
        int m = re.op == OP_CAPTURE ? re.cap : 0;
        for (Node sub : re.sub) {
            m = Math.max(m, maxCap(sub));
        }
        return m;
    }

    private static void capNames(Node re, String[] names) {
        if (re.op == OP_CAPTURE) {
            names[re.cap] = re.name;
        }
        for (Node sub : re.sub) {
            capNames(sub, names);
        }
    }

    // ------------------------------------------------------------------ written out for re2j

    private static final String NO_MATCH = "[^\\x00-\\x{10FFFF}]";

    /** Runes of a literal written before a {@code {1}} (a no-op for Go and re2j) cuts it. */
    private static final int LITERAL_RUN = 32;

    /**
     * The tree written out for re2j; the highest group its compiled program still has; and what re2j's parser
     * will copy reading it ({@code parseCost}, in characters: it copies the rest of the pattern three times at
     * each class range, twice at each escape other than {@code \A \b \B \z} and at each {@code (?}, once at
     * each {@code (}).
     */
    record Re2jPattern(String pattern, int liveCaps, long parseCost) {
    }

    /**
     * The tree as a re2j pattern that means exactly what Go parsed: every rune as itself (metacharacters
     * escaped), every class as explicit ranges (case folding already applied: a case-folded literal becomes the
     * class of its Go orbit), anchors as {@code \A}, {@code \z}, {@code (?m:^)}, {@code (?m:$)}, captures
     * unnamed and in the same order. Nothing in it depends on re2j's Unicode tables or flags. Groups inside
     * {@code x{0}} vanish when Go (and re2j) simplify the tree; re2j then reports the trailing ones as empty
     * instead of unmatched, so {@link Re2jPattern#liveCaps} says which groups the program still has.
     *
     * @return the pattern, or null when it would be longer than {@code maxLength}
     * @throws IllegalStateException when the captures would not keep Go's numbers (never expected)
     */
    static Re2jPattern toRe2j(Node tree, int maxLength) {
        Re2jWriter writer = new Re2jWriter(maxLength);
        try {
            writer.write(tree, false);
        } catch (TooLong e) {
            return null;
        }
        return writer.result();
    }

    private static final class TooLong extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLong() {
            super(null, null, false, false);
        }
    }

    /**
     * A code point no decoded string holds (a surrogate: Go's UTF-8 decoding never yields one, and the engine's
     * strings have none, see {@link LoneSurrogates}), so adding it to a class changes nothing it matches.
     */
    private static final int DEAD_RUNE = 0xDFFF;

    private static final class Re2jWriter {
        private final StringBuilder out = new StringBuilder();
        private final int max;
        private int nextCap = 1;
        private int liveCaps;
        private long copies; // how many times re2j copies the rest of the pattern
        private long copiedFrom; // the sum of the positions it copies from

        Re2jWriter(int max) {
            this.max = max;
        }

        Re2jPattern result() {
            return new Re2jPattern(out.toString(), liveCaps, copies * out.length() - copiedFrom);
        }

        private void copiesRest(int times) {
            copies += times;
            copiedFrom += (long) times * out.length();
        }

        void write(Node re, boolean dead) {
            if (out.length() > max) {
                throw new TooLong();
            }
            switch (re.op) {
                case OP_NO_MATCH -> {
                    copiesRest(3);
                    out.append(NO_MATCH);
                }
                case OP_EMPTY_MATCH -> {
                    copiesRest(2);
                    out.append("(?:)");
                }
                case OP_LITERAL -> {
                    int run = 0;
                    for (int i = 0; i < re.runeCount(); i++) {
                        int r = re.rune.a[i];
                        if ((re.flags & FOLD_CASE) != 0 && GoUnicodeTables.simpleFold(r) != r) {
                            Runes orbit = new Runes();
                            appendRange(orbit, r, r);
                            for (int f = GoUnicodeTables.simpleFold(r); f != r; f = GoUnicodeTables.simpleFold(f)) {
                                appendRange(orbit, f, f);
                            }
                            cleanClass(orbit);
                            writeClass(orbit.a, orbit.n);
                        } else {
                            if (out.length() > max) {
                                throw new TooLong();
                            }
                            writeRune(r);
                            if (++run % LITERAL_RUN == 0) {
                                out.append("{1}"); // ends re2j's literal merge, which copies the run at each rune
                            }
                        }
                    }
                }
                case OP_CHAR_CLASS -> {
                    if (re.runeCount() == 0) {
                        copiesRest(3);
                        out.append(NO_MATCH);
                    } else {
                        writeClass(re.rune.a, re.runeCount());
                    }
                }
                case OP_ANY_CHAR_NOT_NL -> {
                    copiesRest(3);
                    out.append("[^\\n]"); // re2j parses with Perl flags: [^\n] excludes only \n
                }
                case OP_ANY_CHAR -> {
                    copiesRest(2);
                    out.append("(?s:.)");
                }
                case OP_BEGIN_LINE -> {
                    copiesRest(2);
                    out.append("(?m:^)");
                }
                case OP_END_LINE -> {
                    copiesRest(2);
                    out.append("(?m:$)");
                }
                case OP_BEGIN_TEXT -> out.append("\\A");
                case OP_END_TEXT -> out.append("\\z");
                case OP_WORD_BOUNDARY -> out.append("\\b");
                case OP_NO_WORD_BOUNDARY -> out.append("\\B");
                case OP_CAPTURE -> {
                    if (re.cap != nextCap) {
                        throw new IllegalStateException("capture " + re.cap + " written as " + nextCap);
                    }
                    nextCap++;
                    if (!dead) {
                        liveCaps = re.cap;
                    }
                    copiesRest(1);
                    out.append('(');
                    write(re.sub.get(0), dead);
                    out.append(')');
                }
                case OP_STAR, OP_PLUS, OP_QUEST, OP_REPEAT -> {
                    group(re.sub.get(0), dead || re.op == OP_REPEAT && re.min == 0 && re.max == 0);
                    switch (re.op) {
                        case OP_STAR -> out.append('*');
                        case OP_PLUS -> out.append('+');
                        case OP_QUEST -> out.append('?');
                        default -> {
                            out.append('{').append(re.min);
                            if (re.max != re.min) {
                                out.append(',');
                                if (re.max >= 0) {
                                    out.append(re.max);
                                }
                            }
                            out.append('}');
                        }
                    }
                    if ((re.flags & NON_GREEDY) != 0) {
                        out.append('?');
                    }
                }
                case OP_CONCAT -> {
                    for (Node sub : re.sub) {
                        if (sub.op == OP_ALTERNATE) {
                            group(sub, dead);
                        } else {
                            write(sub, dead);
                        }
                    }
                    if (re.sub.isEmpty()) {
                        copiesRest(2);
                        out.append("(?:)");
                    }
                }
                case OP_ALTERNATE -> {
                    copiesRest(2);
                    out.append("(?:");
                    for (int i = 0; i < re.sub.size(); i++) {
                        if (i > 0) {
                            out.append('|');
                        }
                        write(re.sub.get(i), dead);
                    }
                    out.append(')');
                }
                default -> throw new IllegalStateException("unexpected op " + re.op);
            }
        }

        /** {@code (?:re)}; a single rune or class needs no group, but a uniform form is simpler to check. */
        private void group(Node re, boolean dead) {
            copiesRest(2);
            out.append("(?:");
            write(re, dead);
            out.append(')');
        }

        /** A literal rune outside a class: itself, or escaped when it is a metacharacter or a surrogate. */
        private void writeRune(int r) {
            if (r >= 0xD800 && r <= 0xDFFF) {
                copiesRest(2);
                out.append("\\x{").append(Integer.toHexString(r)).append('}'); // raw, it could pair with a neighbour
            } else {
                if (r < 0x80 && "\\.+*?()|[]{}^$".indexOf(r) >= 0) {
                    copiesRest(2);
                    out.append('\\');
                }
                out.appendCodePoint(r);
            }
        }

        /** A rune inside a class: itself, or escaped when it is special there or a surrogate. */
        private void writeClassRune(int r) {
            if (r >= 0xD800 && r <= 0xDFFF) {
                out.append("\\x{").append(Integer.toHexString(r)).append('}');
            } else {
                if (r < 0x80 && "\\]-[^".indexOf(r) >= 0) {
                    out.append('\\');
                }
                out.appendCodePoint(r);
            }
        }

        /**
         * A class of explicit ranges. A class of exactly two code points gets {@link #DEAD_RUNE} too: re2j would
         * rewrite a case pair such as {@code [Oo]} into a case-folded literal, and re2j's {@code Regexp.equals}
         * ignores the fold flag (Go's does not), so its alternation factoring would merge {@code O|[Oo]} into
         * {@code O}. With a third code point re2j keeps it a class and never folds anything itself. (Raw: the
         * rune before it is never a lone high surrogate, those are escaped.)
         */
        private void writeClass(int[] ranges, int n) {
            out.append('[');
            for (int i = 0; i < n; i += 2) {
                copiesRest(3);
                writeClassRune(ranges[i]);
                if (ranges[i + 1] != ranges[i]) {
                    out.append('-');
                    writeClassRune(ranges[i + 1]);
                }
            }
            boolean twoRunes = n == 4 && ranges[0] == ranges[1] && ranges[2] == ranges[3]
                    || n == 2 && ranges[0] + 1 == ranges[1];
            if (twoRunes) {
                copiesRest(3);
                out.append((char) DEAD_RUNE);
            }
            out.append(']');
        }
    }
}
