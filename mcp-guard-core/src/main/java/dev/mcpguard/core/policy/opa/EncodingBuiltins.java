package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * OPA's JSON, base64, object and CIDR builtins that the wasm module compiles in, supplied by the host in place of
 * the module's own runtime functions ({@link CompiledBuiltinOverrides}), with OPA 1.22.2's Go semantics:
 * <ul>
 *   <li>{@code json.marshal}: Go's encoder over {@code ast.JSON} ({@link GoJsonEncoder}: keys sorted by UTF-8
 *   bytes, {@code <} {@code >} {@code &} U+2028 U+2029 escaped, sets as sorted arrays, numbers as their text);
 *   {@code json.unmarshal} and {@code json.is_valid}: Go's {@code encoding/json} ({@link GoJson}: RFC 8259
 *   syntax, at most 10,000 levels, numbers kept exact, a lone {@code &#92;u} surrogate becomes U+FFFD, the last of
 *   duplicate keys wins); {@code json.is_valid} wants only whitespace after the value and is false, never
 *   undefined, for a non-string; {@code json.unmarshal} also takes one {@code null} after it (see
 *   {@link #unmarshal});</li>
 *   <li>{@code base64.decode}, {@code base64.is_valid}: Go's {@code StdEncoding} (padding required, CR and LF
 *   skipped); {@code base64url.decode}: padding added by length first, then Go's {@code URLEncoding}
 *   ({@link GoBase64}); decoded bytes that are not UTF-8 become one U+FFFD each (see {@link HexBuiltins});</li>
 *   <li>{@code object.union_n}: merged back to front, a non-object value freezing its key;</li>
 *   <li>{@code json.filter}, {@code json.remove}: OPA's path object ({@code pathsToObject}: an empty path is
 *   skipped, a shorter path wins over a longer one), array elements addressed by decimal strings only;</li>
 *   <li>{@code net.cidr_contains}, {@code net.cidr_intersects}: Go's {@code net.ParseCIDR} and
 *   {@code IPNet.Contains} ({@link GoNet}: an IPv4-mapped IPv6 address is the IPv4 address), plain IPv6
 *   networks in one another by prefix, as OPA 1.22.2 compares them.</li>
 * </ul>
 * Operands are read as {@link RegoValue}s, so sets, object keys of any type and the exact text of numbers
 * survive the trip. Undefined where OPA errors; an operand or result nested deeper than {@link #MAX_DEPTH}
 * fails the evaluation ({@link HostBuiltin.Halt}). Thread-safe (stateless).
 */
final class EncodingBuiltins {

    /**
     * The deepest operand or result (arrays, objects and sets nested in one another) these builtins take: the
     * module's value functions and the host's readers recurse, and some hundreds of levels down exhaust the wasm or
     * the Java call stack, depending on what is already on it. OPA answers (up to 10,000 levels); beyond this the
     * evaluation fails ({@link HostBuiltin.Halt}) instead of answering one time and failing another.
     */
    static final int MAX_DEPTH = 128;

    private EncodingBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                valueFn("json.marshal", args -> new RegoValue.Str(GoJsonEncoder.marshal(args[0]))),
                valueFn("json.unmarshal", args -> unmarshal(args[0])),
                valueFn("json.is_valid", args -> new RegoValue.Bool(args[0] instanceof RegoValue.Str s
                        && isJson(utf8(s.value())))),
                valueFn("base64.decode", args -> goString(GoBase64.stdDecode(utf8(text(args[0]))))),
                valueFn("base64.is_valid", args -> new RegoValue.Bool(args[0] instanceof RegoValue.Str s
                        && isBase64(utf8(s.value())))),
                valueFn("base64url.decode", args -> goString(GoBase64.opaUrlDecode(utf8(text(args[0]))))),
                valueFn("object.union_n", args -> unionN(args[0])),
                valueFn("json.filter", args -> filter(args[0], args[1])),
                valueFn("json.remove", args -> remove(args[0], args[1])),
                valueFn("net.cidr_contains", args -> new RegoValue.Bool(contains(text(args[0]), text(args[1])))),
                valueFn("net.cidr_intersects", args -> new RegoValue.Bool(intersects(text(args[0]),
                        text(args[1])))));
    }

    // ------------------------------------------------------------------ json.unmarshal, json.is_valid, base64

    private static String text(RegoValue value) throws HostBuiltin.Undefined {
        if (!(value instanceof RegoValue.Str s)) {
            throw new HostBuiltin.Undefined("operand must be a string");
        }
        return s.value();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RegoValue.Str goString(byte[] bytes) {
        return new RegoValue.Str(HexBuiltins.goString(bytes));
    }

    /** Go's {@code json.Valid}: the decoder's syntax and depth rules, nothing after the value but whitespace. */
    private static boolean isJson(byte[] text) {
        try {
            GoJson.parse(text);
            return true;
        } catch (HostBuiltin.Undefined e) {
            return false;
        }
    }

    private static boolean isBase64(byte[] text) {
        try {
            GoBase64.stdDecode(text);
            return true;
        } catch (HostBuiltin.Undefined e) {
            return false;
        }
    }

    /** {@code ast.InterfaceToValue} of what Go's decoder gives: a map keeps the last value of a repeated key. */
    static RegoValue toRego(GoJson.Value value) {
        if (value instanceof GoJson.Obj obj) {
            Map<String, RegoValue> members = new LinkedHashMap<>();
            for (int i = 0; i < obj.keys().size(); i++) {
                members.put(obj.keys().get(i), toRego(obj.values().get(i)));
            }
            List<RegoValue> keys = new ArrayList<>(members.size());
            members.keySet().forEach(key -> keys.add(new RegoValue.Str(key)));
            return new RegoValue.Obj(keys, List.copyOf(members.values()));
        } else if (value instanceof GoJson.Arr arr) {
            List<RegoValue> elements = new ArrayList<>(arr.elements().size());
            arr.elements().forEach(element -> elements.add(toRego(element)));
            return new RegoValue.Arr(elements);
        } else if (value instanceof GoJson.Str str) {
            return new RegoValue.Str(str.value());
        } else if (value instanceof GoJson.Num num) {
            return new RegoValue.Num(num.text());
        } else if (value instanceof GoJson.Bool bool) {
            return new RegoValue.Bool(bool.value());
        }
        return new RegoValue.Null();
    }

    // ------------------------------------------------------------------ net.cidr_contains, net.cidr_intersects

    /** {@code net.cidr_contains} of OPA 1.22.2 ({@link NetBuiltins#cidrContains}). */
    static boolean contains(String cidr, String cidrOrIp) throws HostBuiltin.Undefined {
        return NetBuiltins.cidrContains(TextNode.valueOf(cidr), TextNode.valueOf(cidrOrIp));
    }

    /** Either network holds the other's network number. */
    private static boolean intersects(String a, String b) throws HostBuiltin.Undefined {
        GoNet.Cidr x = GoNet.parseCidr(a);
        GoNet.Cidr y = x == null ? null : GoNet.parseCidr(b);
        if (y == null) {
            throw new HostBuiltin.Undefined("invalid CIDR address");
        }
        return GoNet.contains(x.net(), y.net().ip()) || GoNet.contains(y.net(), x.net().ip());
    }

    // ------------------------------------------------------------------ object.union_n

    /**
     * An object while it is merged: keys in Rego's order (the first key written stays, as {@code Object.Insert}
     * keeps it), values either a {@link RegoValue} or, for objects, a nested {@code Merging} that later
     * (earlier in the array) objects merge into.
     */
    private static final class Merging {
        final TreeMap<RegoValue, Object> members = new TreeMap<>(RegoValue::compare);

        static Merging of(RegoValue.Obj object) {
            Merging copy = new Merging();
            for (int i = 0; i < object.keys().size(); i++) {
                RegoValue value = object.values().get(i);
                copy.members.put(object.keys().get(i), value instanceof RegoValue.Obj nested ? of(nested) : value);
            }
            return copy;
        }

        RegoValue.Obj build() {
            List<RegoValue> keys = new ArrayList<>(members.size());
            List<RegoValue> values = new ArrayList<>(members.size());
            for (Map.Entry<RegoValue, Object> member : members.entrySet()) {
                keys.add(member.getKey());
                values.add(member.getValue() instanceof Merging nested ? nested.build() : (RegoValue) member.getValue());
            }
            return new RegoValue.Obj(keys, values);
        }
    }

    /** {@code object.union_n(objects)}: later objects win, objects under one key merge until a non-object. */
    static RegoValue unionN(RegoValue operand) throws HostBuiltin.Undefined {
        if (!(operand instanceof RegoValue.Arr array)) {
            throw new HostBuiltin.Undefined("operand 1 must be an array");
        }
        Merging result = new Merging();
        Set<Merging> frozen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = array.elements().size() - 1; i >= 0; i--) {
            if (!(array.elements().get(i) instanceof RegoValue.Obj object)) {
                throw new HostBuiltin.Undefined("operand 1 must be an array of objects");
            }
            mergeInPlace(result, object, frozen);
        }
        return result.build();
    }

    /** {@code mergewithOverwriteInPlace}: keys new to {@code into} are added, objects on both sides merged. */
    private static void mergeInPlace(Merging into, RegoValue.Obj other, Set<Merging> frozen) {
        for (int i = 0; i < other.keys().size(); i++) {
            RegoValue key = other.keys().get(i);
            RegoValue value = other.values().get(i);
            Object existing = into.members.get(key);
            if (existing == null) {
                into.members.put(key, value instanceof RegoValue.Obj nested ? Merging.of(nested) : value);
            } else if (existing instanceof Merging original && value instanceof RegoValue.Obj update) {
                if (!frozen.contains(original)) {
                    mergeInPlace(original, update, frozen);
                }
            } else if (existing instanceof Merging original) {
                frozen.add(original); // an earlier value under this key no longer merges in
            }
        }
    }

    // ------------------------------------------------------------------ json.filter, json.remove

    /** {@code json.filter(object, paths)}: only what the paths reach, with everything below where a path ends. */
    static RegoValue filter(RegoValue object, RegoValue paths) throws HostBuiltin.Undefined {
        if (!(object instanceof RegoValue.Obj)) {
            throw new HostBuiltin.Undefined("operand 1 must be an object");
        }
        return filter(object, pathsToObject(paths));
    }

    /** {@code json.remove(object, paths)}: everything but what the paths name, arrays closed up. */
    static RegoValue remove(RegoValue object, RegoValue paths) throws HostBuiltin.Undefined {
        if (!(object instanceof RegoValue.Obj)) {
            throw new HostBuiltin.Undefined("operand 1 must be an object");
        }
        return remove(object, (Object) pathsToObject(paths));
    }

    /** A node of OPA's path object: a map of segment to node, or {@link #LEAF} (Go's {@code null}: a path ends). */
    private static final Object LEAF = new Object();

    /** {@code getJSONPaths} and {@code pathsToObject}. */
    @SuppressWarnings("unchecked")
    private static TreeMap<RegoValue, Object> pathsToObject(RegoValue operand) throws HostBuiltin.Undefined {
        List<RegoValue> elements;
        if (operand instanceof RegoValue.Arr array) {
            elements = array.elements();
        } else if (operand instanceof RegoValue.RSet set) {
            elements = set.elements();
        } else {
            throw new HostBuiltin.Undefined("operand 2 must be a set or an array");
        }
        List<List<RegoValue>> paths = new ArrayList<>(elements.size());
        for (RegoValue element : elements) {
            paths.add(JsonPatch.parsePath(element));
        }
        TreeMap<RegoValue, Object> root = new TreeMap<>(RegoValue::compare);
        for (List<RegoValue> path : paths) {
            if (path.isEmpty()) {
                continue; // an empty path is skipped
            }
            TreeMap<RegoValue, Object> node = root;
            boolean done = false;
            for (int i = 0; i < path.size() - 1 && !done; i++) {
                Object child = node.get(path.get(i));
                if (child == null) {
                    TreeMap<RegoValue, Object> created = new TreeMap<>(RegoValue::compare);
                    node.put(path.get(i), created);
                    node = created;
                } else if (child == LEAF) {
                    done = true; // a shorter path already takes everything below
                } else {
                    node = (TreeMap<RegoValue, Object>) child;
                }
            }
            if (!done) {
                putKeepingKey(node, path.get(path.size() - 1), LEAF);
            }
        }
        return root;
    }

    /** {@code Object.Insert}: an equal key keeps the text it was first written with, its value is replaced. */
    private static void putKeepingKey(TreeMap<RegoValue, Object> node, RegoValue key, Object value) {
        RegoValue existing = node.ceilingKey(key);
        node.put(existing != null && RegoValue.compare(existing, key) == 0 ? existing : key, value);
    }

    /** {@code filterObject}. */
    @SuppressWarnings("unchecked")
    private static RegoValue filter(RegoValue value, Object filter) {
        if (filter == LEAF) {
            return value;
        }
        TreeMap<RegoValue, Object> keep = (TreeMap<RegoValue, Object>) filter;
        if (value instanceof RegoValue.Arr array) {
            List<RegoValue> out = new ArrayList<>();
            for (int i = 0; i < array.elements().size(); i++) {
                Object sub = keep.get(new RegoValue.Str(Integer.toString(i)));
                if (sub != null) {
                    out.add(filter(array.elements().get(i), sub));
                }
            }
            return new RegoValue.Arr(out);
        } else if (value instanceof RegoValue.RSet set) {
            TreeSet<RegoValue> out = new TreeSet<>(RegoValue::compare);
            for (RegoValue element : set.elements()) {
                Object sub = keep.get(element);
                if (sub != null) {
                    out.add(filter(element, sub));
                }
            }
            return new RegoValue.RSet(List.copyOf(out));
        } else if (value instanceof RegoValue.Obj object) {
            // OPA iterates the smaller of the two and inserts its key, so of two equal keys (1, 1.0) that one.
            boolean iterateFilter = object.keys().size() < keep.size();
            TreeMap<RegoValue, RegoValue> values = new TreeMap<>(RegoValue::compare);
            for (int i = 0; i < object.keys().size(); i++) {
                values.put(object.keys().get(i), object.values().get(i));
            }
            List<RegoValue> keys = new ArrayList<>();
            List<RegoValue> kept = new ArrayList<>();
            for (RegoValue key : iterateFilter ? keep.keySet() : values.keySet()) {
                Object sub = keep.get(key);
                RegoValue member = values.get(key);
                if (sub != null && member != null) {
                    keys.add(key);
                    kept.add(filter(member, sub));
                }
            }
            return new RegoValue.Obj(keys, kept);
        }
        return value;
    }

    /** {@code jsonRemove}: {@code null} when the value is removed. */
    @SuppressWarnings("unchecked")
    private static RegoValue remove(RegoValue value, Object paths) {
        if (paths == null) {
            return value;
        }
        if (paths == LEAF) {
            return null;
        }
        TreeMap<RegoValue, Object> drop = (TreeMap<RegoValue, Object>) paths;
        if (value instanceof RegoValue.Obj object) {
            List<RegoValue> keys = new ArrayList<>();
            List<RegoValue> kept = new ArrayList<>();
            for (int i = 0; i < object.keys().size(); i++) {
                RegoValue member = remove(object.values().get(i), drop.get(object.keys().get(i)));
                if (member != null) {
                    keys.add(object.keys().get(i));
                    kept.add(member);
                }
            }
            return new RegoValue.Obj(keys, kept);
        } else if (value instanceof RegoValue.RSet set) {
            TreeSet<RegoValue> out = new TreeSet<>(RegoValue::compare);
            for (RegoValue element : set.elements()) {
                RegoValue member = remove(element, drop.get(element));
                if (member != null) {
                    out.add(member);
                }
            }
            return new RegoValue.RSet(List.copyOf(out));
        } else if (value instanceof RegoValue.Arr array) {
            List<RegoValue> out = new ArrayList<>();
            for (int i = 0; i < array.elements().size(); i++) {
                RegoValue member = remove(array.elements().get(i), drop.get(new RegoValue.Str(Integer.toString(i))));
                if (member != null) {
                    out.add(member);
                }
            }
            return new RegoValue.Arr(out);
        }
        return value;
    }

    // ------------------------------------------------------------------ results

    /** A builtin of this family: an operand nested deeper than {@link #MAX_DEPTH} fails the evaluation. */
    private static RegoValueBuiltin valueFn(String name, RegoValueBuiltin.Fn fn) {
        return RegoValueBuiltin.halting(name, fn, value -> depth(value) > MAX_DEPTH,
                "a value nested deeper than " + MAX_DEPTH + " arrays, objects and sets");
    }

    private static HostBuiltin.Halt tooDeep() {
        return new HostBuiltin.Halt("a value nested deeper than " + MAX_DEPTH + " arrays, objects and sets");
    }

    /**
     * {@code json.unmarshal}, which is {@code util.UnmarshalJSON}: a {@code json.Decoder} reads the first value,
     * then asks for one more token and fails unless there is none or it is {@code nil}. A JSON {@code null} is
     * the nil token, so one {@code null} after the value is accepted, and whatever follows that {@code null} is
     * never read ({@code "1 null"} and {@code "0nullx"} are {@code 1} and {@code 0}). Deeper than the module
     * takes, the evaluation fails.
     */
    static RegoValue unmarshal(RegoValue operand) throws HostBuiltin.Undefined {
        byte[] text = utf8(text(operand));
        GoJson.Value value;
        try {
            value = GoJson.parse(text);
        } catch (HostBuiltin.Undefined notOneValue) {
            int end = endOfFirstValue(text);
            if (end < 0 || !startsWithNullAfterSpace(text, end)) {
                throw notOneValue;
            }
            value = GoJson.parse(java.util.Arrays.copyOf(text, end));
        }
        if (depth(value) > MAX_DEPTH) {
            throw tooDeep();
        }
        return toRego(value);
    }

    private static boolean space(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static boolean startsWithNullAfterSpace(byte[] text, int from) {
        int i = from;
        while (i < text.length && space(text[i])) {
            i++;
        }
        return i + 4 <= text.length && text[i] == 'n' && text[i + 1] == 'u' && text[i + 2] == 'l' && text[i + 3] == 'l';
    }

    /**
     * Where the first JSON value of {@code text} ends if it is well formed (the matching bracket of a container,
     * the closing quote of a string, the longest run of number characters, a literal's length), or -1. Only a
     * candidate: {@link GoJson#parse} then decides whether that prefix is one value.
     */
    private static int endOfFirstValue(byte[] text) {
        int i = 0;
        while (i < text.length && space(text[i])) {
            i++;
        }
        if (i == text.length) {
            return -1;
        }
        byte c = text[i];
        if (c == '"') {
            return endOfString(text, i);
        }
        if (c == '[' || c == '{') {
            int depth = 0;
            while (i < text.length) {
                byte b = text[i];
                if (b == '"') {
                    i = endOfString(text, i);
                    if (i < 0) {
                        return -1;
                    }
                    continue;
                }
                if (b == '[' || b == '{') {
                    depth++;
                } else if ((b == ']' || b == '}') && --depth == 0) {
                    return i + 1;
                }
                i++;
            }
            return -1;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            while (i < text.length && "+-.0123456789eE".indexOf(text[i]) >= 0) {
                i++;
            }
            return i;
        }
        int length = c == 't' || c == 'n' ? 4 : c == 'f' ? 5 : -1;
        return length < 0 || i + length > text.length ? -1 : i + length;
    }

    /** The index after the quote closing the string that starts at {@code open}, or -1. */
    private static int endOfString(byte[] text, int open) {
        for (int i = open + 1; i < text.length; i++) {
            if (text[i] == '\\') {
                i++;
            } else if (text[i] == '"') {
                return i + 1;
            }
        }
        return -1;
    }

    /** How many arrays, objects and sets are nested in {@code value} (0 for a scalar); iterative. */
    static int depth(RegoValue value) {
        int max = 0;
        Deque<Map.Entry<RegoValue, Integer>> pending = new ArrayDeque<>();
        pending.push(Map.entry(value, 0));
        while (!pending.isEmpty()) {
            Map.Entry<RegoValue, Integer> top = pending.pop();
            RegoValue node = top.getKey();
            List<RegoValue> children;
            if (node instanceof RegoValue.Arr a) {
                children = a.elements();
            } else if (node instanceof RegoValue.RSet s) {
                children = s.elements();
            } else if (node instanceof RegoValue.Obj o) {
                children = new ArrayList<>(o.keys());
                children.addAll(o.values());
            } else {
                continue;
            }
            int level = top.getValue() + 1;
            max = Math.max(max, level);
            for (RegoValue child : children) {
                pending.push(Map.entry(child, level));
            }
        }
        return max;
    }

    /** As {@link #depth(RegoValue)}, of a decoded JSON value. */
    private static int depth(GoJson.Value value) {
        int max = 0;
        Deque<Map.Entry<GoJson.Value, Integer>> pending = new ArrayDeque<>();
        pending.push(Map.entry(value, 0));
        while (!pending.isEmpty()) {
            Map.Entry<GoJson.Value, Integer> top = pending.pop();
            List<GoJson.Value> children = top.getKey() instanceof GoJson.Obj o ? o.values()
                    : top.getKey() instanceof GoJson.Arr a ? a.elements() : null;
            if (children == null) {
                continue;
            }
            int level = top.getValue() + 1;
            max = Math.max(max, level);
            for (GoJson.Value child : children) {
                pending.push(Map.entry(child, level));
            }
        }
        return max;
    }
}
