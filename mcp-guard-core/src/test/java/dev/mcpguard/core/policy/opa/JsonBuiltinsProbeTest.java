package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code json.patch} and {@code json.marshal_with_options} decide as the real {@code opa} does. */
class JsonBuiltinsProbeTest {

    private static Map<String, Object> op(String op, Object path, Object... rest) {
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("op", op);
        patch.put("path", path);
        for (int i = 0; i + 1 < rest.length; i += 2) {
            patch.put((String) rest[i], rest[i + 1]);
        }
        return patch;
    }

    private static Map<String, Object> object(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static List<Object> list(Object... elements) {
        return new ArrayList<>(Arrays.asList(elements));
    }

    /** Operand pairs, in order. */
    private static final class Cases {
        final List<Object[]> list = new ArrayList<>();

        Cases add(Object a, Object b) {
            list.add(new Object[] {a, b});
            return this;
        }
    }

    /** json.patch cases: {target, patches}; random ones first, then curated ones. */
    private static List<Object[]> patchCases() {
        Cases cases = new Cases();
        Random random = new Random(11_2031L);
        List<Object> targets = list(object(), object("a", 1), object("a", object("b", list(1, 2, 3)), "c", "x"),
                list(1, 2, 3), list(), list(object("a", 1), object("b", 2)), list(list(1, 2), list(3)),
                BuiltinProbes.set(1, 2, 3), BuiltinProbes.set("a", "b"), BuiltinProbes.set(list(0), "a"),
                object("s", BuiltinProbes.set(1, 2), "t", list(BuiltinProbes.set("x"))), "str", 1, null, true,
                object("a", null), object("~", 1, "/", 2, "a/b", 3, "m~n", 4, "", 5), object("é", 1, "😀", 2),
                object("a", list(object("k", 1), object("k", 2), object("k", 3))), list(1.5, 2.0, -0.0));
        List<Object> paths = list("", "/", "/a", "/a/b", "/a/b/0", "/a/b/-", "/0", "/1", "/2", "/-", "/01", "/1.0",
                "/.", "/+1", "/-1", "/a~1b", "/m~0n", "/~01", "//a", "a", "/a/", "/é", "/😀", "/99", "/4294967296",
                "/s/1", "/t/0/x", "/a/0/k", "/a/1", "/~", "/c", list(), list("a"), list("a", "b"), list(0), list(1),
                list("0"), list(1.0), list(-1), list("-"), list(list(0)), list("a", 0), list(list(0), 0),
                list("s", 1), list(1, 0), list(true), list((Object) null), 1, null, object("a", 1));
        List<Object> values = list(1, "x", "a", null, object("k", 1), list(1, 2), BuiltinProbes.set(1), true, 1.5,
                list(0), 2, 3, list());
        List<String> ops = List.of("add", "remove", "replace", "move", "copy", "test");

        for (Object target : targets) {
            List<Object> existing = new ArrayList<>(List.of(""));
            existingPaths(target, "", List.of(), existing);
            for (int i = 0; i < 30; i++) {
                List<Object> patch = new ArrayList<>();
                for (int k = 0, n = 1 + random.nextInt(random.nextInt(4) == 0 ? 4 : 2); k < n; k++) {
                    String name = random.nextInt(60) == 0 ? "bogus" : ops.get(random.nextInt(ops.size()));
                    List<Object> pool = random.nextInt(6) == 0 ? paths : existing;
                    Map<String, Object> operation = op(name, pool.get(random.nextInt(pool.size())));
                    if (random.nextInt(16) != 0) {
                        operation.put("value", values.get(random.nextInt(values.size())));
                    }
                    if (name.equals("move") || name.equals("copy") ? random.nextInt(16) != 0 : random.nextInt(4) == 0) {
                        pool = random.nextInt(6) == 0 ? paths : existing;
                        operation.put("from", pool.get(random.nextInt(pool.size())));
                    }
                    patch.add(operation);
                }
                cases.add(target, patch);
            }
        }
        // RFC 6902 appendix A, on OPA's terms.
        Map<String, Object> foo = object("foo", "bar");
        cases.add(foo, list(op("add", "/baz", "value", "qux")));
        cases.add(object("foo", list("bar", "baz")), list(op("add", "/foo/1", "value", "qux")));
        cases.add(object("baz", "qux", "foo", "bar"), list(op("remove", "/baz")));
        cases.add(object("foo", list("bar", "qux", "baz")), list(op("remove", "/foo/1")));
        cases.add(object("baz", "qux", "foo", "bar"), list(op("replace", "/baz", "value", "boo")));
        cases.add(object("foo", object("bar", "baz", "waldo", "fred"), "qux", object("corge", "grault")),
                list(op("move", "/qux/thud", "from", "/foo/waldo")));
        cases.add(object("foo", list("all", "grass", "cows", "eat")),
                list(op("move", "/foo/3", "from", "/foo/1")));
        cases.add(object("baz", "qux", "foo", list("a", 2, "c")),
                list(op("test", "/baz", "value", "qux"), op("test", "/foo/1", "value", 2)));
        cases.add(object("baz", "qux"), list(op("test", "/baz", "value", "bar")));
        cases.add(foo, list(op("add", "/child", "value", object("grandchild", object()))));
        cases.add(foo, list(op("add", "/baz", "value", "qux", "xyz", 123)));
        cases.add(foo, list(op("add", "/baz/bat", "value", "qux")));
        cases.add(object("/", 9, "~1", 10), list(op("test", "/~01", "value", 10)));
        cases.add(object("foo", list("bar")), list(op("add", "/foo/-", "value", list("abc", "def"))));
        cases.add(foo, list(op("add", "", "value", list(1))));
        cases.add(foo, list(op("copy", "/x", "from", "")));
        cases.add(list(1, 2), list(op("test", "/1.0", "value", 2.0)));
        // OPA's array bookkeeping: after an insertion, an original element is found by its old index.
        cases.add(list(object("a", 1), object("b", 2)),
                list(op("add", "/0", "value", "Z"), op("add", "/1/k", "value", 3)));
        cases.add(list(object("a", 1), object("b", 2), object("c", 3)),
                list(op("add", "/1", "value", "Z"), op("remove", "/2/c"), op("add", "/0", "value", 0)));
        cases.add(list(list(1), list(2), list(3)),
                list(op("remove", "/0"), op("add", "/0/-", "value", 9), op("copy", "/-", "from", "/1")));
        cases.add(list(1, 2, 3, 4), list(op("move", "/0", "from", "/3"), op("remove", "/1"),
                op("add", "/-", "value", 5), op("test", "/2", "value", 3)));
        // Sets: members address themselves.
        cases.add(BuiltinProbes.set(1, 2), list(op("add", list(3), "value", 3)));
        cases.add(BuiltinProbes.set(1, 2), list(op("add", list(3), "value", 4)));
        cases.add(BuiltinProbes.set(1, 2), list(op("remove", list(1))));
        cases.add(BuiltinProbes.set(1, 2), list(op("remove", list(1)), op("remove", list(1))));
        cases.add(BuiltinProbes.set(list(0), "a"), list(op("add", list(list(0), 1), "value", 1)));
        cases.add(BuiltinProbes.set(list(0), "a"),
                list(op("add", list(list(0), 1), "value", 1), op("add", list(list(0, 1), 2), "value", 3)));
        cases.add(BuiltinProbes.set(list(0), list(0, 1)), list(op("add", list(list(0), 1), "value", 1)));
        cases.add(object("s", BuiltinProbes.set("a")), list(op("add", "/s/b", "value", "b")));
        cases.add(object("s", BuiltinProbes.set("a")), list(op("test", "/s/a", "value", "a")));
        // Where OPA panics (no answer), the embedded evaluation fails.
        cases.add(BuiltinProbes.set(1), list(op("remove", list(1)), op("add", list(1, 0), "value", 2)));
        cases.add(BuiltinProbes.set(1), list(op("remove", list(1)), op("test", list(1), "value", 1)));
        cases.add(object("a", 1), list(op("replace", "", "value", object("a", 1)),
                op("add", "/b", "value", 2)));
        cases.add(object("a", 1), list(op("remove", "")));
        cases.add(5, list(op("add", "", "value", object()), op("add", "/a", "value", 1)));
        cases.add(list(1), list(op("add", "", "value", object()), op("add", "/a", "value", 1)));
        cases.add(list(1), list(op("replace", "", "value", list(1, 2)), op("remove", "/0")));
        cases.add(object("a", 1), list(op("move", "/x", "from", "")));
        for (Object bad : list(null, 1, "x", object(), BuiltinProbes.set(op("add", "/a", "value", 1)),
                list(1), list(object("op", 1, "path", "/a")), list(object("path", "/a")), list(object("op", "add")),
                list(object("op", "move", "path", "/a")), list(object("op", "add", "path", "/a")))) {
            cases.add(object("a", 1), bad);
        }
        return cases.list;
    }

    @Test
    void jsonPatchMatchesOpaOnEdgeCasesAndRandomPatches() {
        // A set in a result comes back from the module in its own order, so results are also compared as the text
        // sprintf prints inside the module (OPA's order); results without sets are compared as values too.
        BuiltinProbes probes = new BuiltinProbes().builtin("json.patch", 2)
                .builtinAsText("json.patch", 2);
        int panics = 0;
        for (Object[] c : patchCases()) {
            if (panicsInOpa(c)) {
                panics++; // kept away from the shared opa server: see the panic test below
                continue;
            }
            if (!BuiltinProbes.MAPPER.valueToTree(c).toString().contains("$set")) {
                probes.call("json.patch", c);
            }
            probes.call("json.patch" + BuiltinProbes.TEXT, c);
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.patch")).isGreaterThanOrEqualTo(350);
        assertThat(perBuiltin.get("json.patch" + BuiltinProbes.TEXT)).isGreaterThanOrEqualTo(450);
        assertThat(panics).isGreaterThanOrEqualTo(8);
    }

    /**
     * Where OPA's Go code panics, {@code opa} gives no answer (the process, or the HTTP request, dies), and a server
     * that survived a panic may answer later queries wrongly (seen: a stale operand), so each such input runs in a
     * fresh {@code opa eval}; the embedded evaluation fails on each.
     */
    @Test
    void jsonPatchFailsTheEvaluationWhereOpaPanics(@TempDir Path work) throws Exception {
        BuiltinProbes probes = new BuiltinProbes().builtin("json.patch", 2);
        // The curated cases (at the end) and the first random ones: each failed embedded evaluation discards a
        // policy instance, and making a new one is slow. Inputs first: the module holds the number literals they use.
        List<Object[]> panicking = new ArrayList<>(patchCases().stream().filter(JsonBuiltinsProbeTest::panicsInOpa)
                .toList());
        List<Object[]> chosen = new ArrayList<>(panicking.subList(0, Math.min(6, panicking.size())));
        chosen.addAll(panicking.subList(Math.max(6, panicking.size() - 10), panicking.size()));
        List<ObjectNode> inputs = chosen.stream().map(c -> probes.input("json.patch", c)).toList();
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("probe.rego"), probes.module());
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        int checked = 0;
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            for (ObjectNode input : inputs) {
                Path file = work.resolve("input-" + checked + ".json");
                Files.writeString(file, input.toString());
                assertThatThrownBy(() -> OpaBinary.run(work, List.of("eval", "-d", src.toString(), "-i",
                        file.toString(), "data.probe.out")))
                        .as("opa on %s", input).hasMessageContaining("panic: ");
                assertThatThrownBy(() -> embedded.evaluate(input)).as("embedded on %s", input)
                        .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(JsonPatch.OpaPanic.class));
                checked++;
            }
        }
        assertThat(checked).as("inputs on which opa panics").isEqualTo(16);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root;
    }

    /** Paths into {@code value} that exist (as pointers and as segment arrays), plus some just past its end. */
    private static void existingPaths(Object value, String pointer, List<Object> segments, List<Object> out) {
        if (value instanceof Map<?, ?> map && !map.containsKey("$set")) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = (String) e.getKey();
                List<Object> next = new ArrayList<>(segments);
                next.add(key);
                String p = pointer + "/" + key.replace("~", "~0").replace("/", "~1");
                out.add(p);
                out.add(next);
                existingPaths(e.getValue(), p, next, out);
            }
            out.add(pointer + "/new");
        } else if (value instanceof List<?> array) {
            for (int i = 0; i < array.size(); i++) {
                List<Object> next = new ArrayList<>(segments);
                next.add(i);
                out.add(pointer + "/" + i);
                out.add(next);
                existingPaths(array.get(i), pointer + "/" + i, next, out);
            }
            out.add(pointer + "/-");
            out.add(pointer + "/" + array.size());
        } else if (value instanceof Map<?, ?> set) {
            for (Object member : (List<?>) set.get("$set")) {
                List<Object> next = new ArrayList<>(segments);
                next.add(member);
                out.add(next);
            }
        }
    }

    /** What the embedded json.patch makes of a case: does it say OPA panics? */
    private static boolean panicsInOpa(Object[] c) {
        try {
            JsonPatch.apply(rego(BuiltinProbes.MAPPER.valueToTree(c[0])), rego(BuiltinProbes.MAPPER.valueToTree(c[1])));
            return false;
        } catch (JsonPatch.OpaPanic e) {
            return true;
        } catch (HostBuiltin.Undefined e) {
            return false;
        }
    }

    /** A probe operand as the module sees it: {@code {"$set": [...]}} markers at any depth are sets. */
    static RegoValue rego(JsonNode node) {
        if (node.isObject() && node.has("$set") && node.size() == 1) {
            List<RegoValue> members = new ArrayList<>();
            node.get("$set").forEach(e -> {
                RegoValue member = rego(e);
                if (members.stream().noneMatch(m -> RegoValue.compare(m, member) == 0)) {
                    members.add(member);
                }
            });
            return new RegoValue.RSet(List.copyOf(members));
        }
        if (node.isObject()) {
            List<RegoValue> keys = new ArrayList<>();
            List<RegoValue> values = new ArrayList<>();
            node.fields().forEachRemaining(f -> {
                keys.add(new RegoValue.Str(f.getKey()));
                values.add(rego(f.getValue()));
            });
            return new RegoValue.Obj(List.copyOf(keys), List.copyOf(values));
        }
        if (node.isArray()) {
            List<RegoValue> elements = new ArrayList<>();
            node.forEach(e -> elements.add(rego(e)));
            return new RegoValue.Arr(List.copyOf(elements));
        }
        return RegoValue.parse(node.toString());
    }

    @Test
    void jsonMarshalWithOptionsMatchesOpa() {
        List<Object> values = list(null, true, false, 0, 1, -7, new java.math.BigInteger("12345678901234567890"), 1.5, -0.0, 0.1, "", "plain",
                "<a href=\"x\">&amp;</a>", "\u2028\u2029", "\u0000\u0001\b\f\n\r\t\u001f\u007f", "é😀ﬁ",
                "\\/\"", list(), object(), list(1, list(), object(), list(list())),
                object("b", 1, "a", list(1, 2), "é", object("z", null, "y", "<")),
                object("ﬁ", 1, "😀", 2, "a", 3, "B", 4, "", 5, "é", 6), BuiltinProbes.set(3, 1, 2),
                BuiltinProbes.set("b", "a", 1, list(1), object("k", 1)), object("s", BuiltinProbes.set(list(2), list(1))),
                list(object("a", list(object("b", list(1, 2)))), "x"));
        List<Object> options = list(object(), object("pretty", true), object("pretty", false), object("indent", "  "),
                object("prefix", "> "), object("prefix", "-", "indent", "\t"), object("pretty", false, "indent", "x"),
                object("pretty", true, "prefix", "", "indent", ""), object("indent", "<&>"),
                object("prefix", "é", "indent", "😀"), object("pretty", "yes"), object("indent", 1),
                object("prefix", null), object("unknown", 1), "not an object", list(), BuiltinProbes.set());
        BuiltinProbes probes = new BuiltinProbes().builtin("json.marshal_with_options", 2)
                .template("json.marshal_with_options#keys", 1, "json.marshal_with_options({1: \"a\", \"1\": \"b\","
                        + " [1, \"<\"]: 2, null: 3, true: 4, 1.5: 5, {\"k\": \"&\", \"a\": [1]}: 6, {2, 1}: 7,"
                        + " \"x\": {false: {3: 4}}}, @0)");
        for (Object value : values) {
            for (Object option : options) {
                probes.call("json.marshal_with_options", value, option);
            }
        }
        for (Object option : options) {
            probes.call("json.marshal_with_options#keys", option);
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.marshal_with_options")).isGreaterThanOrEqualTo(400);
    }
}
