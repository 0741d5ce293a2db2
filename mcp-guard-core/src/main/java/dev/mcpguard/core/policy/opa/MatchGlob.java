package dev.mcpguard.core.policy.opa;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A glob pattern with the semantics of gobwas/glob v1.0.0, the version OPA 1.22.2 links for {@code glob.match}
 * (its {@code parse.go} and {@code match.go}, ported step for step): the pattern is parsed with a stack of
 * operators into a tree of matchers (sequences, alternatives, literals, {@code ?}, {@code *}, {@code **},
 * character classes), simplified (nested sequences inlined, adjacent literals merged, adjacent stars coalesced),
 * its terminal sequences specialized (prefix, suffix, prefix-suffix, contains), and matched by v1.0.0's
 * backtracking walk: alternatives and non-terminal stars save checkpoints, a mismatch resumes the most recent
 * star restart point before the most recent alternative, a separator-free star discards the restart points its
 * alternative holds, a star followed by a literal jumps to that literal's next occurrence, and a pattern that
 * saves checkpoints first checks its minimum length and required suffix. Matching works on UTF-8 bytes, as Go
 * does, so lengths and offsets are Go's. A malformed pattern ({@code {a} unclosed, a trailing backslash,
 * {@code [!]}, {@code [z-a]}) is undefined, as in OPA.
 *
 * <p>Bounded where v1.0.0 is not: its walk can take time polynomial in the input with the number of stars as the
 * exponent when the stars have separators ({@code *a*a*a*a*a*a*a*b*c} with {@code ["/"]} over 40 {@code a}s
 * takes OPA 3 s; on some nested patterns it allocates until the process dies): more than {@value #MAX_WORK}
 * steps (a matcher call is one, {@value #BYTES_PER_STEP} bytes scanned another; about 0.1 s of OPA's walk) or more
 * than {@value #MAX_CHECKPOINTS} pending checkpoints fail the evaluation ({@link HostBuiltin.Halt}), and so does a
 * pattern nesting {@code {}} more than {@value #MAX_NESTING} deep (the tree is walked recursively). OPA's cache
 * keys ({@code pattern + "-" + delimiters}) can collide; these are kept apart. Compiled patterns are cached as OPA caches them, bounded: at most
 * {@value #CACHE_MAX_WEIGHT} weight units, one per {@value #WEIGHT_UNIT} characters of pattern (at most 100
 * ordinary patterns, as in OPA), a heavier pattern compiled per call and not kept. Immutable and thread-safe (a
 * match keeps its backtracking state on its own); the cache is thread-safe.
 */
final class MatchGlob {

    /** Steps (matcher calls plus bytes scanned) one match may take before the evaluation fails. */
    static final long MAX_WORK = 1L << 22;
    /** Checkpoints one match may keep pending before the evaluation fails. */
    static final int MAX_CHECKPOINTS = 1 << 18;
    /** Deepest nesting of {@code {}} groups compiled; deeper fails the evaluation. */
    static final int MAX_NESTING = 100;
    static final int BYTES_PER_STEP = 16;
    static final long CACHE_MAX_WEIGHT = 100;
    static final int WEIGHT_UNIT = 1024;

    private record Key(String pattern, String separators) {
    }

    private static final Cache<Key, MatchGlob> CACHE = Caffeine.newBuilder()
            .maximumWeight(CACHE_MAX_WEIGHT)
            .weigher((Key key, MatchGlob glob) -> glob.weight())
            .build();

    private static final int[] NO_PATH = new int[0];
    private static final int CHECKPOINT_STACK = 0;
    private static final int CHECKPOINT_STARS = 1;

    private final int weight;
    private final Node root;
    private final boolean stateful;
    private final int minLen;
    private final byte[] suffix;

    private MatchGlob(int weight, Node root, boolean stateful, int minLen, byte[] suffix) {
        this.weight = weight;
        this.root = root;
        this.stateful = stateful;
        this.minLen = minLen;
        this.suffix = suffix;
    }

    private int weight() {
        return weight;
    }

    /** {@link #compile} through the bounded cache (see the class comment). */
    static MatchGlob cached(String pattern, int[] separators) throws HostBuiltin.Undefined {
        Key key = new Key(pattern, new String(separators, 0, separators.length));
        MatchGlob glob = CACHE.getIfPresent(key);
        if (glob == null) {
            glob = compile(pattern, separators);
            if (glob.weight <= CACHE_MAX_WEIGHT) {
                CACHE.put(key, glob);
            }
        }
        return glob;
    }

    /** Entries currently cached (for tests). */
    static long cachedEntries() {
        CACHE.cleanUp();
        return CACHE.estimatedSize();
    }

    // ------------------------------------------------------------------ compiling (parse.go)

    private record Operator(boolean terms, int index) {
    }

    /** gobwas/glob's {@code Compile(pattern, separators...)}; a malformed pattern is undefined. */
    static MatchGlob compile(String pattern, int[] separators) throws HostBuiltin.Undefined {
        int[] sep = separators.clone();
        MatchGlobLexer lex = new MatchGlobLexer(pattern);
        List<Node> stack = new ArrayList<>();
        List<Operator> operators = new ArrayList<>();
        int nesting = 0;
        int deepest = 0;
        parsing:
        while (true) {
            MatchGlobLexer.Token token = lex.next();
            switch (token.type()) {
                case EOF -> {
                    break parsing;
                }
                case ERROR -> throw new HostBuiltin.Undefined("glob: " + token.data());
                case SINGLE -> stack.add(new Single(sep));
                case TEXT -> stack.add(new Text(token.data()));
                case RANGE_OPEN -> stack.add(parseRange(lex));
                case ANY -> stack.add(new Star(sep));
                case SUPER -> stack.add(new Star(new int[0]));
                case TERMS_OPEN -> {
                    operators.add(new Operator(true, stack.size()));
                    operators.add(new Operator(false, stack.size()));
                    deepest = Math.max(deepest, ++nesting);
                }
                case TERM_SEPARATOR -> {
                    int k = operators.size() - 1;
                    if (k < 0) {
                        throw new HostBuiltin.Undefined("glob: unexpected `,`");
                    }
                    Operator x = operators.get(k);
                    if (!x.terms()) {
                        operators.remove(k);
                    }
                    int i = x.index();
                    if (i == stack.size()) {
                        stack.add(new Void());
                    } else {
                        collapse(stack, i, new Multi(new ArrayList<>(stack.subList(i, stack.size()))));
                    }
                    operators.add(new Operator(false, stack.size()));
                }
                case TERMS_CLOSE -> {
                    while (true) {
                        int k = operators.size() - 1;
                        if (k < 0) {
                            throw new HostBuiltin.Undefined("glob: unexpected `}`");
                        }
                        Operator x = operators.remove(k);
                        int i = x.index();
                        List<Node> c = new ArrayList<>(stack.subList(i, stack.size()));
                        Node m = x.terms() ? new Alt(c) : new Multi(c);
                        if (i == stack.size()) {
                            stack.add(m);
                        } else {
                            collapse(stack, i, m);
                        }
                        if (x.terms()) {
                            nesting--;
                            break;
                        }
                    }
                }
                default -> throw new HostBuiltin.Undefined("glob: unexpected token " + token.type());
            }
        }
        if (!operators.isEmpty()) {
            throw new HostBuiltin.Undefined("glob: unclosed `{`");
        }
        if (deepest > MAX_NESTING) {
            throw new HostBuiltin.Halt("glob.match: a pattern nesting {} groups more than " + MAX_NESTING
                    + " deep is not matched by the embedded engine");
        }
        Node m = simplify(new Multi(stack));
        m = specialize(m, true);
        annotateStars(m, true);
        boolean stateful = needsState(m);
        int minLen = stateful ? minLength(m) : 0;
        byte[] suffix = stateful ? utf8(requiredSuffix(m)) : new byte[0];
        int weight = (int) Math.min(Integer.MAX_VALUE, pattern.length() / WEIGHT_UNIT + 1L);
        return new MatchGlob(weight, m, stateful, minLen, suffix);
    }

    /** {@code stack[i] = m; stack = stack[:i+1]}. */
    private static void collapse(List<Node> stack, int i, Node m) {
        stack.subList(i + 1, stack.size()).clear();
        stack.set(i, m);
    }

    /** parse.go's {@code parseRange}, called after the {@code [}. */
    private static Node parseRange(MatchGlobLexer lex) throws HostBuiltin.Undefined {
        boolean not = false;
        int lo = -1;
        int hi = -1;
        int[] chars = null;
        while (true) {
            MatchGlobLexer.Token token = lex.next();
            switch (token.type()) {
                case EOF -> throw new HostBuiltin.Undefined("glob: unclosed `[`");
                case ERROR -> throw new HostBuiltin.Undefined("glob: " + token.data());
                case NOT -> not = true;
                case RANGE_LO -> lo = token.data().codePointAt(0);
                case RANGE_HI -> {
                    hi = token.data().codePointAt(0);
                    if (hi < lo) {
                        throw new HostBuiltin.Undefined("glob: range hi character is less than lo");
                    }
                }
                case TEXT -> chars = token.data().codePoints().sorted().distinct().toArray();
                case RANGE_CLOSE -> {
                    boolean isRange = lo >= 0 && hi >= 0;
                    boolean isChars = chars != null;
                    if (isChars == isRange) {
                        throw new HostBuiltin.Undefined("glob: could not parse range");
                    }
                    return isRange ? new RuneRange(lo, hi, not) : new RuneSet(chars, not);
                }
                default -> {
                    // RANGE_BETWEEN: nothing to do; nothing else comes between [ and ].
                }
            }
        }
    }

    /** parse.go's {@code simplify}: sequences normalized, one child replaced by the child, none by a void. */
    private static Node simplify(Node m) {
        List<Node> ms;
        boolean isMulti;
        if (m instanceof Multi multi) {
            ms = multi.children;
            isMulti = true;
        } else if (m instanceof Alt alt) {
            ms = alt.children;
            isMulti = false;
        } else {
            return m;
        }
        for (int i = 0; i < ms.size(); i++) {
            ms.set(i, simplify(ms.get(i)));
        }
        if (isMulti) {
            ms = normalizeSequence(ms);
        }
        if (ms.isEmpty()) {
            return new Void();
        }
        if (ms.size() == 1) {
            return ms.get(0);
        }
        return isMulti ? new Multi(ms) : new Alt(ms);
    }

    private static List<Node> normalizeSequence(List<Node> ms) {
        if (!needsNormalize(ms)) {
            return ms;
        }
        List<Node> out = new ArrayList<>(ms.size());
        for (Node m : ms) {
            push(out, m);
        }
        return out;
    }

    private static void push(List<Node> out, Node m) {
        if (m instanceof Multi multi) {
            for (Node c : multi.children) {
                push(out, c);
            }
            return;
        }
        if (m instanceof Void) {
            return;
        }
        if (!out.isEmpty()) {
            Node prev = out.get(out.size() - 1);
            if (m instanceof Text v && prev instanceof Text p) {
                out.set(out.size() - 1, new Text(p.text + v.text));
                return;
            }
            if (m instanceof Star v && prev instanceof Star p) {
                // Adjacent stars are the most general of them: the one without separators, if any.
                if (p.sep.length > 0 && v.sep.length == 0) {
                    out.set(out.size() - 1, v);
                }
                return;
            }
        }
        out.add(m);
    }

    private static boolean needsNormalize(List<Node> ms) {
        for (int i = 0; i < ms.size(); i++) {
            Node m = ms.get(i);
            if (m instanceof Multi || m instanceof Void) {
                return true;
            }
            if (i > 0 && ((m instanceof Text && ms.get(i - 1) instanceof Text)
                    || (m instanceof Star && ms.get(i - 1) instanceof Star))) {
                return true;
            }
        }
        return false;
    }

    /** parse.go's {@code specialize}: terminal sequences folded into the shaped matchers. */
    private static Node specialize(Node m, boolean tail) {
        if (m instanceof Alt alt) {
            for (int i = 0; i < alt.children.size(); i++) {
                alt.children.set(i, specialize(alt.children.get(i), tail));
            }
            return alt;
        }
        if (m instanceof Multi multi) {
            List<Node> v = multi.children;
            for (int i = 0; i < v.size(); i++) {
                v.set(i, specialize(v.get(i), tail && i == v.size() - 1));
            }
            if (!tail) {
                return multi;
            }
            List<Node> ms = foldTail(v);
            return ms.size() == 1 ? ms.get(0) : new Multi(ms);
        }
        return m;
    }

    private static List<Node> foldTail(List<Node> ms) {
        while (ms.size() >= 2) {
            Node prev = ms.get(ms.size() - 2);
            Node last = ms.get(ms.size() - 1);
            Node folded = null;
            if (last instanceof Star star) {
                if (prev instanceof Text t) {
                    folded = new Prefix(t.text, star.sepText);
                }
            } else if (last instanceof Text text) {
                if (prev instanceof Star star) {
                    folded = new Suffix(text.text, star.sepText);
                }
            } else if (last instanceof Prefix prefix) {
                if (prev instanceof Text t) {
                    folded = new Prefix(t.text + prefix.text, prefix.sepText);
                } else if (prev instanceof Star star && star.sepText.isEmpty() && prefix.sepText.isEmpty()) {
                    folded = new Contains(prefix.text);
                }
            } else if (last instanceof Suffix suffix) {
                if (prev instanceof Text t) {
                    folded = new PrefixSuffix(t.text, suffix.text, suffix.sepText);
                }
            } else if (last instanceof Contains && prev instanceof Star star && star.sepText.isEmpty()) {
                folded = last;
            }
            if (folded == null) {
                break;
            }
            ms.remove(ms.size() - 1);
            ms.set(ms.size() - 1, folded);
        }
        return ms;
    }

    /** parse.go's {@code annotateStars}: the literal after each star, and which stars end the pattern. */
    private static void annotateStars(Node m, boolean tail) {
        if (m instanceof Multi multi) {
            List<Node> v = multi.children;
            for (int i = 0; i < v.size(); i++) {
                boolean last = i == v.size() - 1;
                if (!(v.get(i) instanceof Star star)) {
                    annotateStars(v.get(i), tail && last);
                    continue;
                }
                star.terminal = tail && last;
                if (!last) {
                    star.next = utf8(leadingLiteral(v.get(i + 1)));
                }
            }
        } else if (m instanceof Alt alt) {
            for (Node c : alt.children) {
                annotateStars(c, tail);
            }
        } else if (m instanceof Star star) {
            star.terminal = tail;
        }
    }

    private static String leadingLiteral(Node m) {
        if (m instanceof Text t) {
            return t.text;
        } else if (m instanceof Prefix p) {
            return p.text;
        } else if (m instanceof PrefixSuffix ps) {
            return ps.prefix;
        }
        return "";
    }

    /** The minimum length in bytes of a string {@code m} matches. */
    private static int minLength(Node m) {
        if (m instanceof Text t) {
            return t.bytes.length;
        } else if (m instanceof Single || m instanceof RuneRange || m instanceof RuneSet) {
            return 1;
        } else if (m instanceof Prefix p) {
            return p.bytes.length;
        } else if (m instanceof Suffix s) {
            return s.bytes.length;
        } else if (m instanceof PrefixSuffix ps) {
            return ps.prefixBytes.length + ps.suffixBytes.length;
        } else if (m instanceof Contains c) {
            return c.bytes.length;
        } else if (m instanceof Multi multi) {
            int n = 0;
            for (Node c : multi.children) {
                n += minLength(c);
            }
            return n;
        } else if (m instanceof Alt alt) {
            int n = minLength(alt.children.get(0));
            for (Node c : alt.children.subList(1, alt.children.size())) {
                n = Math.min(n, minLength(c));
            }
            return n;
        }
        return 0; // a star or a void
    }

    /** The literal every string {@code m} matches ends with. */
    private static String requiredSuffix(Node m) {
        if (m instanceof Text t) {
            return t.text;
        } else if (m instanceof Suffix s) {
            return s.text;
        } else if (m instanceof PrefixSuffix ps) {
            return ps.suffix;
        } else if (m instanceof Multi multi) {
            return requiredSuffix(multi.children.get(multi.children.size() - 1));
        } else if (m instanceof Alt alt) {
            String s = requiredSuffix(alt.children.get(0));
            for (Node c : alt.children.subList(1, alt.children.size())) {
                s = commonSuffix(s, requiredSuffix(c));
                if (s.isEmpty()) {
                    break;
                }
            }
            return s;
        }
        return "";
    }

    /** The longest common suffix of whole code points (Go: runes) of {@code a} and {@code b}. */
    private static String commonSuffix(String a, String b) {
        int i = a.length();
        int j = b.length();
        while (i > 0 && j > 0) {
            int ra = a.codePointBefore(i);
            int rb = b.codePointBefore(j);
            if (ra != rb) {
                break;
            }
            i -= Character.charCount(ra);
            j -= Character.charCount(rb);
        }
        return a.substring(i);
    }

    private static boolean needsState(Node m) {
        if (m instanceof Alt) {
            return true;
        } else if (m instanceof Multi multi) {
            for (Node c : multi.children) {
                if (needsState(c)) {
                    return true;
                }
            }
            return false;
        } else if (m instanceof Star star) {
            return !star.terminal;
        }
        return false;
    }

    // ------------------------------------------------------------------ matching (match.go)

    /** gobwas/glob's {@code Pattern.Match(s)}. */
    boolean matches(String s) {
        byte[] input = utf8(s);
        if (stateful && (input.length < minLen || !hasSuffix(input, 0, suffix))) {
            return false;
        }
        Walk w = new Walk(input, stateful);
        int offset = 0;
        int[] path = NO_PATH;
        while (true) {
            int n = root.match(w, offset, path, 0, 0);
            if (n >= 0 && n == input.length - offset) {
                return true;
            }
            if (!stateful) {
                return false;
            }
            Pile pile;
            if (w.stars.count > 0) {
                pile = w.stars;
                w.kind = CHECKPOINT_STARS;
            } else if (w.stack.count > 0) {
                pile = w.stack;
                w.kind = CHECKPOINT_STACK;
            } else {
                return false;
            }
            int last = --pile.count;
            offset = pile.offsets[last];
            path = pile.paths[last];
        }
    }

    /**
     * Checkpoints, last in first out: where the walk resumes, an input offset and the full path to the node that
     * saved it.
     */
    private static final class Pile {
        int[] offsets = new int[8];
        int[][] paths = new int[8][];
        int count;

        void add(int offset, int[] path) {
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, 2 * count);
                paths = Arrays.copyOf(paths, 2 * count);
            }
            offsets[count] = offset;
            paths[count++] = path;
        }
    }

    /*
     * A matcher is called with Go's matchContext spread out: where it matches from in the input (at), where it is
     * in the tree (the lazily recorded path and the depth: path[d] is the child taken at depth d, missing
     * entries are #0), and how many star restart points existed when the walk entered the current alternative
     * (floor). Which pile the resumed checkpoint came from is the walk's (Walk.kind): no matcher changes it.
     */

    /** The child to take at this node: the one the path leads to, #0 otherwise. */
    private static int index(int[] path, int depth) {
        return depth >= path.length ? 0 : path[depth];
    }

    /** The path turned to child {@code i} at {@code depth}, deeper levels dropped. */
    private static int[] branch(int[] path, int depth, int i) {
        int[] p = Arrays.copyOf(path, depth + 1);
        p[depth] = i;
        return p;
    }

    /** The backtracking state of one match ({@code matchState}), and its work budget. Not thread-safe. */
    private static final class Walk {
        final byte[] input;
        final boolean counted;
        final Pile stars = new Pile();
        final Pile stack = new Pile();
        int kind = CHECKPOINT_STACK;
        long work;

        Walk(byte[] input, boolean counted) {
            this.input = input;
            this.counted = counted;
        }

        /** Bytes scanned cost a step per {@value #BYTES_PER_STEP}: Go scans them many at a time. */
        void scanned(long bytes) {
            charge(bytes / BYTES_PER_STEP);
        }

        void charge(long steps) {
            if (counted && (work += steps) > MAX_WORK) {
                throw new HostBuiltin.Halt("glob.match: the match takes more than " + MAX_WORK
                        + " steps (OPA's matcher backtracks for as long)");
            }
        }

        /** An alternative checkpoint. */
        void push(int offset, int[] path) {
            pending();
            stack.add(offset, path);
        }

        private void pending() {
            if (stars.count + stack.count >= MAX_CHECKPOINTS) {
                throw new HostBuiltin.Halt("glob.match: the match keeps more than " + MAX_CHECKPOINTS
                        + " checkpoints (OPA's matcher keeps them all)");
            }
        }

        /** {@code storeStar}: a restart point {@code offset} bytes further, after discarding the pending ones. */
        void storeStar(int at, int[] path, int depth, int floor, int offset, boolean reset) {
            if (path.length < depth) {
                path = Arrays.copyOf(path, depth);
            }
            if (reset) {
                if (floor > stars.count) {
                    throw new IllegalStateException("glob star floor above the restart points");
                }
                stars.count = floor;
            }
            pending();
            stars.add(at + offset, path);
        }
    }

    /** A node of the matcher tree: how many bytes it consumes from {@code at}, or -1 for a mismatch. */
    private abstract static class Node {
        abstract int match(Walk w, int at, int[] path, int depth, int floor);
    }

    /** A sequence: the children one after another. */
    private static final class Multi extends Node {
        final List<Node> children;

        Multi(List<Node> children) {
            this.children = children;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            int n = 0;
            for (int i = index(path, depth); i < children.size(); i++) {
                if (i != index(path, depth) && w.counted) {
                    path = branch(path, depth, i);
                }
                int k = children.get(i).match(w, at + n, path, depth + 1, floor);
                if (k < 0) {
                    return -1;
                }
                n += k;
            }
            return n;
        }
    }

    /** Alternatives: the current one, with a checkpoint saved for the next. */
    private static final class Alt extends Node {
        final List<Node> children;

        Alt(List<Node> children) {
            this.children = children;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            int i = index(path, depth);
            if (i + 1 < children.size()) {
                int d = path.length;
                if (depth >= d || (depth == d - 1 && w.kind == CHECKPOINT_STACK)) {
                    w.push(at, branch(path, depth, i + 1));
                }
            }
            // The stars below may only discard the restart points born inside this alternative.
            return children.get(i).match(w, at, path, depth + 1, w.stars.count);
        }
    }

    private static final class Text extends Node {
        final String text;
        final byte[] bytes;

        Text(String text) {
            this.text = text;
            this.bytes = utf8(text);
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            return hasPrefix(w.input, at, bytes) ? bytes.length : -1;
        }
    }

    /** {@code ?}: any one character but a separator. */
    private static final class Single extends Node {
        final int[] sep;

        Single(int[] sep) {
            this.sep = sep;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            if (at == w.input.length) {
                return -1;
            }
            long rune = decode(w.input, at);
            return contains(sep, (int) rune) ? -1 : (int) (rune >>> 32);
        }
    }

    /** {@code *} (separators) or {@code **} (none). */
    private static final class Star extends Node {
        final int[] sep;
        final String sepText;
        byte[] next = new byte[0];
        boolean terminal;

        Star(int[] sep) {
            this.sep = sep;
            this.sepText = new String(sep, 0, sep.length);
        }

        /** How far the star may extend from {@code from}: up to the first separator. */
        int reach(Walk w, int from) {
            byte[] s = w.input;
            if (sep.length == 0) {
                return s.length - from;
            }
            int e = indexAny(s, from, s.length, sep);
            w.scanned((e < 0 ? s.length : e) - from);
            return e < 0 ? s.length - from : e - from;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            byte[] s = w.input;
            if (terminal) {
                return reach(w, at);
            }
            int len = s.length - at;
            if (len == 0) {
                return 0;
            }
            if (next.length > 0) {
                int reach = reach(w, at);
                int end = Math.min(reach + next.length, len);
                int j = indexOf(s, at + 1, at + end, next);
                w.scanned(j < 0 ? end : j - at);
                if (j >= 0 && j - at <= reach) {
                    w.storeStar(at, path, depth, floor, j - at, sep.length == 0);
                }
                return 0;
            }
            long rune = decode(s, at);
            if (!contains(sep, (int) rune)) {
                w.storeStar(at, path, depth, floor, (int) (rune >>> 32), sep.length == 0);
            }
            return 0;
        }
    }

    /** {@code [a-z]} or {@code [!a-z]}. */
    private static final class RuneRange extends Node {
        final int lo;
        final int hi;
        final boolean not;

        RuneRange(int lo, int hi, boolean not) {
            this.lo = lo;
            this.hi = hi;
            this.not = not;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            if (at == w.input.length) {
                return -1;
            }
            long rune = decode(w.input, at);
            int r = (int) rune;
            return (lo <= r && r <= hi) != not ? (int) (rune >>> 32) : -1;
        }
    }

    /** {@code [abc]} or {@code [!abc]}. */
    private static final class RuneSet extends Node {
        final int[] sorted;
        final boolean not;

        RuneSet(int[] sorted, boolean not) {
            this.sorted = sorted;
            this.not = not;
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            if (at == w.input.length) {
                return -1;
            }
            long rune = decode(w.input, at);
            return (Arrays.binarySearch(sorted, (int) rune) >= 0) != not ? (int) (rune >>> 32) : -1;
        }
    }

    /** The empty alternative. */
    private static final class Void extends Node {
        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            w.charge(1);
            return 0;
        }
    }

    /** A terminal {@code abc*}. */
    private static final class Prefix extends Node {
        final String text;
        final byte[] bytes;
        final String sepText;
        final int[] sep;

        Prefix(String text, String sepText) {
            this.text = text;
            this.bytes = utf8(text);
            this.sepText = sepText;
            this.sep = sepText.codePoints().toArray();
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            byte[] s = w.input;
            w.charge(1);
            w.scanned(s.length - at);
            return hasPrefix(s, at, bytes) && noSep(s, at + bytes.length, s.length, sep)
                    ? s.length - at : -1;
        }
    }

    /** A terminal {@code *abc}. */
    private static final class Suffix extends Node {
        final String text;
        final byte[] bytes;
        final String sepText;
        final int[] sep;

        Suffix(String text, String sepText) {
            this.text = text;
            this.bytes = utf8(text);
            this.sepText = sepText;
            this.sep = sepText.codePoints().toArray();
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            byte[] s = w.input;
            w.charge(1);
            w.scanned(s.length - at);
            return hasSuffix(s, at, bytes) && noSep(s, at, s.length - bytes.length, sep)
                    ? s.length - at : -1;
        }
    }

    /** A terminal {@code abc*def}. */
    private static final class PrefixSuffix extends Node {
        final String prefix;
        final String suffix;
        final byte[] prefixBytes;
        final byte[] suffixBytes;
        final int[] sep;

        PrefixSuffix(String prefix, String suffix, String sepText) {
            this.prefix = prefix;
            this.suffix = suffix;
            this.prefixBytes = utf8(prefix);
            this.suffixBytes = utf8(suffix);
            this.sep = sepText.codePoints().toArray();
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            byte[] s = w.input;
            int len = s.length - at;
            w.charge(1);
            w.scanned(len);
            // The length check keeps the prefix and the suffix from overlapping.
            return len >= prefixBytes.length + suffixBytes.length && hasPrefix(s, at, prefixBytes)
                    && hasSuffix(s, at, suffixBytes)
                    && noSep(s, at + prefixBytes.length, s.length - suffixBytes.length, sep) ? len : -1;
        }
    }

    /** A terminal {@code *abc*} with separator-free stars. */
    private static final class Contains extends Node {
        final byte[] bytes;

        Contains(String text) {
            this.bytes = utf8(text);
        }

        @Override
        int match(Walk w, int at, int[] path, int depth, int floor) {
            byte[] s = w.input;
            w.charge(1);
            w.scanned(s.length - at);
            return indexOf(s, at, s.length, bytes) >= 0 ? s.length - at : -1;
        }
    }

    // ------------------------------------------------------------------ bytes, as Go's strings package sees them

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean hasPrefix(byte[] s, int from, byte[] prefix) {
        return s.length - from >= prefix.length && Arrays.equals(s, from, from + prefix.length, prefix, 0,
                prefix.length);
    }

    private static boolean hasSuffix(byte[] s, int from, byte[] suffix) {
        return s.length - from >= suffix.length && Arrays.equals(s, s.length - suffix.length, s.length, suffix, 0,
                suffix.length);
    }

    /** The first index in {@code [from, to)} where {@code needle} occurs whole within {@code [from, to)}, or -1. */
    private static int indexOf(byte[] s, int from, int to, byte[] needle) {
        if (needle.length == 0) {
            return from <= to ? from : -1;
        }
        byte first = needle[0];
        for (int i = from, last = to - needle.length; i <= last; i++) {
            if (s[i] == first && Arrays.equals(s, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    /** The first index in {@code [from, to)} of a code point in {@code runes}, or -1 (Go's {@code IndexAny}). */
    private static int indexAny(byte[] s, int from, int to, int[] runes) {
        for (int i = from; i < to; ) {
            long rune = decode(s, i);
            if (contains(runes, (int) rune)) {
                return i;
            }
            i += (int) (rune >>> 32);
        }
        return -1;
    }

    private static boolean noSep(byte[] s, int from, int to, int[] sep) {
        return sep.length == 0 || indexAny(s, from, to, sep) < 0;
    }

    private static boolean contains(int[] runes, int r) {
        for (int x : runes) {
            if (x == r) {
                return true;
            }
        }
        return false;
    }

    /** The code point at {@code i} of valid UTF-8 (low 32 bits) and its width in bytes (high 32 bits). */
    private static long decode(byte[] s, int i) {
        int b = s[i] & 0xff;
        int cp;
        int width;
        if (b < 0x80) {
            cp = b;
            width = 1;
        } else if (b < 0xe0) {
            cp = (b & 0x1f) << 6 | (s[i + 1] & 0x3f);
            width = 2;
        } else if (b < 0xf0) {
            cp = (b & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
            width = 3;
        } else {
            cp = (b & 0x07) << 18 | (s[i + 1] & 0x3f) << 12 | (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
            width = 4;
        }
        return (long) width << 32 | (cp & 0xffffffffL);
    }
}
