package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code net.cidr_is_valid}, {@code net.cidr_expand}, {@code net.cidr_contains_matches} and {@code net.cidr_merge}
 * decide as the real {@code opa} does: IPv4, IPv6, IPv4-mapped IPv6 in both forms, zones, leading zeroes,
 * whitespace, unicode digits, out-of-range prefixes, wrong operand types, and seeded random addresses and
 * mutations of them. Set results are compared as the text {@code sprintf("%v")} gives (members sorted), because
 * the wasm runtime keeps sets in hash order.
 */
class NetBuiltinsProbeTest {

    private static final String IS_VALID = "net.cidr_is_valid";
    private static final String EXPAND = "net.cidr_expand" + BuiltinProbes.TEXT;
    private static final String MATCHES = "net.cidr_contains_matches" + BuiltinProbes.TEXT;
    private static final String MERGE = "net.cidr_merge" + BuiltinProbes.TEXT;

    static final List<String> IPV4 = List.of("0.0.0.0", "255.255.255.255", "10.1.2.3", "192.168.0.1", "1.2.3.4",
            "127.0.0.1", "169.254.169.254", "172.16.5.4", "100.64.0.1", "224.0.0.1", "01.2.3.4", "1.2.3.04", "1.2.3.0",
            "256.1.1.1", "1.2.3.255", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", " 1.2.3.4",
            "1.2.3.4 ", "1.2.3.4\n", "1.2.3.4\u0000", "\u0661.\u0662.\u0663.\u0664", "\uff11.2.3.4", "1.2.3.-4",
            "+1.2.3.4", "0x1.2.3.4", "1.2.3.4%eth0", "", ".", "localhost", "example.com", "1e3.2.3.4", "00.0.0.0",
            "0.0.0.00", "1.2.3.4:80", "1.2.3.4/");
    static final List<String> IPV6 = List.of("::", "::1", "fe80::1", "fe80::1%eth0", "fe80::1%", "%eth0",
            "fe80::1%25eth0", "2001:db8::1", "2001:DB8::A", "2001:0db8:0000:0000:0000:0000:0000:0001",
            "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
            "1::2::3", ":::", "1:::2", ":1::", "1:", "12345::", "0000a::", "::ffff:1.2.3.4", "::FFFF:1.2.3.4",
            "::ffff:a9fe:a9fe", "0:0:0:0:0:ffff:a9fe:a9fe", "::ffff:169.254.169.254", "::ffff:01.2.3.4", "::1.2.3.4",
            "1::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3",
            "::ffff:1.2.3.4.5", "64:ff9b::1.2.3.4", "::ffff:0:0", "ff02::1", "[::1]", " ::1", "::1 ", "::g",
            "fe80::1%eth0%1", "::ffff:1.2.3.4%eth0", "fe80::\u0661", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:ffff:ffff", "::fffe:ffff:ffff", "1:2:3:4:5:6:7:8%", "2001:db8::");
    static final List<String> PREFIXES = List.of("0", "1", "7", "8", "15", "16", "24", "25", "31", "32", "33", "48",
            "64", "96", "104", "112", "120", "127", "128", "129", "08", "008", "0032", "000000000008", "-0", "+8",
            " 8", "8 ", "", "1e1", "8.0", "99999999", "16777215", "16777216", "0x8", "\u0668", "\uff18", "/8", "8/8",
            "1\u0000");

    @TempDir
    Path work;

    @Test
    void netBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_0011L);
        BuiltinProbes probes = new BuiltinProbes().builtin(IS_VALID, 1).builtinAsText("net.cidr_expand", 1)
                .builtinAsText("net.cidr_contains_matches", 2).builtinAsText("net.cidr_merge", 1);

        isValidProbes(probes, random);
        expandProbes(probes, random);
        matchesProbes(probes, random);
        List<JsonNode> panicking = mergeProbes(probes, random);
        assertThat(panicking).as("merges predicted to panic OPA are left to mergesThatPanicOpaAreUndefined").isNotEmpty();

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa(
                pair -> pair.input().contains("\"10.0.0.0/15\"") && pair.embedded().kind()
                        == OpaDifferential.Outcome.Kind.UNDEFINED && pair.opa().kind() == OpaDifferential.Outcome.Kind.VALUE,
                1);
        System.out.printf("net probes: %s%n", perBuiltin);
        assertThat(perBuiltin).hasSize(4).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(200));
    }

    private static void isValidProbes(BuiltinProbes probes, Random random) {
        List<String> addresses = new ArrayList<>(IPV4);
        addresses.addAll(IPV6);
        for (String address : addresses) {
            probes.call(IS_VALID, address + "/" + pick(random, PREFIXES));
        }
        for (String prefix : PREFIXES) {
            probes.call(IS_VALID, "10.0.0.0/" + prefix).call(IS_VALID, "2001:db8::/" + prefix)
                    .call(IS_VALID, "::ffff:10.0.0.0/" + prefix);
        }
        for (int i = 0; i < 120; i++) {
            String cidr = randomCidr(random);
            probes.call(IS_VALID, cidr).call(IS_VALID, mutate(random, cidr));
        }
        for (String s : List.of("10.0.0.0", "::1", "", "/", "/8", "10.0.0.0/8/8", "10.0.0.0//8", "10.0.0.0/8%eth0",
                "fe80::%eth0/64", "fe80::%/64", "::ffff:1.2.3.4/96", "::ffff:1.2.3.4/97", "::ffff:1.2.3.4/33")) {
            probes.call(IS_VALID, s);
        }
        for (Object wrong : List.of(8, true, List.of("10.0.0.0/8"), Map.of("a", "10.0.0.0/8"))) {
            probes.call(IS_VALID, wrong);
        }
        probes.call(IS_VALID, BuiltinProbes.NODES.nullNode()).call(IS_VALID, BuiltinProbes.set("10.0.0.0/8"));
    }

    private static void expandProbes(BuiltinProbes probes, Random random) {
        for (int i = 0; i < 60; i++) {
            probes.call(EXPAND, randomV4(random) + "/" + (24 + random.nextInt(9)));
            probes.call(EXPAND, randomV6(random) + "/" + (120 + random.nextInt(9)));
            probes.call(EXPAND, "::ffff:" + randomV4(random) + "/" + (120 + random.nextInt(9)));
        }
        for (String s : List.of("0.0.0.0/30", "255.255.255.252/30", "255.255.255.255/32", "255.255.255.0/24",
                "10.0.0.1/30", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/+8", "10.0.0.0/ 30", "::/126", "::/128",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", "::ffff:255.255.255.252/126", "::ffff:0.0.0.0/126",
                "::ffff:1.2.3.4/128", "::fffe:ffff:ffff/127", "::fffe:ffff:fffe/127", "fe80::1%eth0/126",
                "2001:db8::/129", "10.0.0.0", "::1", "", "x/8", "1.2.3.4/32 ", "10.0.0.0/22", "2001:db8::/118",
                "10.0.0.0/16")) {
            probes.call(EXPAND, s);
        }
        probes.call(EXPAND, "10.0.0.0/15"); // the one documented difference: beyond NetBuiltins.MAX_EXPANSION
        for (Object wrong : List.of(32, false, List.of("10.0.0.0/30"), Map.of())) {
            probes.call(EXPAND, wrong);
        }
        probes.call(EXPAND, BuiltinProbes.set("10.0.0.0/30"));
    }

    private static void matchesProbes(BuiltinProbes probes, Random random) {
        List<String> cidrs = List.of("10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "::/0", "169.254.0.0/16",
                "2001:db8::/32", "fe80::/10", "::ffff:0:0/96", "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/100",
                "1.2.3.4/32", "10.0.0.0/33", "bad", "10.0.0.0", "fe80::/10%eth0", "::ffff:1.2.3.0/120");
        List<String> targets = new ArrayList<>(List.of("10.1.2.3", "192.168.1.1", "8.8.8.8", "::ffff:10.1.2.3",
                "::ffff:a01:203", "::ffff:a9fe:a9fe", "169.254.169.254", "2001:db8::1", "fe80::1", "fe80::1%eth0",
                "10.0.0.0/7", "10.0.0.0/8", "10.0.0.0/9", "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/100", "1.2.3.4",
                "1.2.3.4/24", "::/0", "0.0.0.0/0", "::", "010.1.2.3", "10.1.2.3 ", "", "x", "1.2.3.4/33",
                "::ffff:0:0/96"));
        for (int i = 0; i < 10; i++) {
            targets.add(randomV4(random));
            targets.add(randomV6(random));
        }
        for (String cidr : cidrs) {
            for (int i = 0; i < 4; i++) {
                probes.call(MATCHES, cidr, pick(random, targets));
            }
        }
        for (int i = 0; i < 140; i++) {
            probes.call(MATCHES, operand(random, cidrs, 3), operand(random, targets, 4));
        }
        Object[][] shapes = {
                {List.of(), List.of(5)}, {List.of("10.0.0.0/8"), List.of(List.of())}, {BuiltinProbes.set(), List.of("bad")},
                {List.of("bad/8"), List.of()}, {List.of("bad/8"), List.of("1.2.3.4")}, {5, "1.2.3.4"}, {"10.0.0.0/8", 5},
                {true, List.of("1.2.3.4")}, {"10.0.0.0/8", BuiltinProbes.NODES.nullNode()}, {List.of(5), List.of()},
                {List.of("10.0.0.0/8"), List.of(List.of(5))}, {List.of(List.of("10.0.0.0/8", "meta", 1)), "10.9.9.9"},
                {Map.of("office", "10.0.0.0/8", "lab", List.of("192.168.0.0/16", "x")), BuiltinProbes.set("10.1.2.3",
                        List.of("192.168.1.1", 1))}, {Map.of(), List.of("bad")}, {Map.of("k", 5), List.of("1.2.3.4")},
                {Map.of("k", List.of()), List.of()}, {List.of("10.0.0.0/8"), Map.of("a", "10.1.1.1", "b", "::ffff:10.2.2.2")},
                {BuiltinProbes.set(List.of("10.0.0.0/8", 1), "192.168.0.0/16"), BuiltinProbes.set("192.168.3.3", "10.0.0.1")},
                {List.of("10.0.0.0/8", "10.0.0.0/8"), List.of("10.1.1.1", "10.1.1.1")},
                {List.of(List.of(7)), List.of("1.2.3.4")}, {List.of("::ffff:0:0/96"), List.of("1.2.3.4", "::ffff:1.2.3.4")},
                // plain IPv6 networks compare by prefix in OPA 1.22.2 (::/80 ends in an IPv4-mapped address)
                {List.of("::/80"), List.of("::/80", "::fffe:0:0/95", "::ffff:0:0/96")},
                {List.of("2001:db8::/32", "::/0"), List.of("2001:db8::/48", "::/80", "::ffff:0:0/120")}};
        for (Object[] shape : shapes) {
            probes.call(MATCHES, shape);
        }
    }

    /** Adds merge probes, and returns the merges the port predicts to panic OPA (not sent to its server). */
    private List<JsonNode> mergeProbes(BuiltinProbes probes, Random random) {
        List<String> pool = List.of("10.0.0.0/24", "10.0.1.0/24", "10.0.0.0/23", "10.0.2.0/23", "10.0.0.128/25",
                "10.0.3.0/24", "10.0.3.255/32", "10.0.4.0/22", "10.1.2.3", "10.200.0.1", "172.16.1.1", "192.168.1.7",
                "223.1.1.1", "0.0.0.0/0", "255.255.255.255/32", "2001:db8::/120", "2001:db8::100/120",
                "2001:db8::/119", "2001:db8::ff/128", "2001:db8::200/121", "2001:db8::/32", "2001:db9::/32", "::/0",
                "::ffff:10.0.0.0/120", "::ffff:10.0.1.0/120", "::ffff:10.0.0.0/104", "1.2.3.4", "::1", "bad",
                "10.0.0.0/33", "", "10.0.0.1/24", "2001:db8::1/120", "ff00::/8");
        List<JsonNode> panicking = new ArrayList<>();
        int sent = 0;
        for (int i = 0; i < 330; i++) {
            List<Object> elements = new ArrayList<>();
            int n = random.nextInt(7);
            for (int k = 0; k < n; k++) {
                elements.add(random.nextInt(4) == 0 ? randomMergeElement(random) : pick(random, pool));
            }
            Object operand = random.nextInt(3) == 0 ? BuiltinProbes.set(elements.toArray()) : elements;
            if (panicsOpa(probeOperand(operand))) {
                panicking.add(probeOperand(operand));
                continue;
            }
            probes.call(MERGE, operand);
            sent++;
        }
        for (Object special : List.of(List.of("10.1.2.3"), List.of("128.1.2.3", "200.1.2.3"), List.of("::ffff:1.2.3.4"),
                List.of("1.2.3.4", "::1"), List.of("1.2.3.4", 5), List.of("1.2.3.0/25", "1.2.3.128/26", "1.2.3.192/26"),
                List.of("1.2.3.1/32", "1.2.3.2/31", "1.2.3.4/30"), List.of("0.0.0.0/0", "::/0"), "10.0.0.0/8", 5,
                Map.of("a", "10.0.0.0/8"), List.of("2001:db8::/33", "2001:db8:8000::/33"), List.of(List.of("10.0.0.0/8")),
                List.of("10.0.0.0/8", "10.0.0.0/8"), List.of("2001:db8::1/128", "2001:db8::2/128"))) {
            probes.call(MERGE, special);
        }
        for (Object wrong : List.of(true, "x")) {
            probes.call(MERGE, wrong);
        }
        probes.call(MERGE, BuiltinProbes.NODES.nullNode()).call(MERGE, BuiltinProbes.set());
        assertThat(sent).isGreaterThan(200);
        return panicking;
    }

    /**
     * Where OPA's cidr merge panics (Go indexes a shortened address), {@code opa eval} crashes with a panic and
     * the embedded engine's builtin is undefined. Each predicted panic is checked against the real opa.
     */
    @Test
    void mergesThatPanicOpaAreUndefined() throws Exception {
        List<JsonNode> operands = new ArrayList<>();
        for (String s : List.of("[\"::2/128\", \"::3/128\"]", "[\"::ffff:0:0/96\", \"1.2.3.4/32\"]",
                "[\"::ffff:0:0/97\", \"::ffff:128.0.0.0/97\"]", "[\"1::/128\", \"1::1/128\"]")) {
            operands.add(BuiltinProbes.MAPPER.readTree(s));
        }
        List<JsonNode> predicted = mergeProbes(new BuiltinProbes().builtinAsText("net.cidr_merge", 1),
                new Random(11_0011L));
        operands.addAll(predicted.subList(0, Math.min(4, predicted.size())));
        for (JsonNode operand : operands) {
            assertThat(panicsOpa(operand)).as("the port predicts a panic for %s", operand).isTrue();
            String output = opaEval("net.cidr_merge(" + rego(operand) + ")");
            assertThat(output).as("opa eval of %s", operand).contains("panic:");
        }
        BuiltinProbes probe = new BuiltinProbes().builtinAsText("net.cidr_merge", 1);
        probe.call(MERGE, List.of("::4/126", "::8/126")); // merged and split again without a panic: as opa
        assertThat(probe.assertSameAsOpa()).containsEntry(MERGE, 1);
    }

    /** Beyond {@link NetBuiltins#MAX_EXPANSION} addresses (OPA: any size) {@code net.cidr_expand} is undefined. */
    @Test
    void expansionsBeyondTheLimitAreUndefined() throws Exception {
        assertThat(NetBuiltins.expand(TextNode.valueOf("10.0.0.0/16")).size()).isEqualTo(NetBuiltins.MAX_EXPANSION);
        assertThat(NetBuiltins.expand(TextNode.valueOf("2001:db8::/112")).size()).isEqualTo(NetBuiltins.MAX_EXPANSION);
        for (String huge : List.of("10.0.0.0/15", "0.0.0.0/0", "::/0", "2001:db8::/111", "::ffff:0.0.0.0/96")) {
            assertThatThrownBy(() -> NetBuiltins.expand(TextNode.valueOf(huge))).as(huge)
                    .isInstanceOf(HostBuiltin.Undefined.class);
        }
    }

    // ------------------------------------------------------------------ generators

    private static String randomV4(Random random) {
        int[] firsts = {10, 192, 172, 1, 127, 169, 255, 0, 100, 224};
        int first = random.nextBoolean() ? firsts[random.nextInt(firsts.length)] : random.nextInt(256);
        return first + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256);
    }

    private static String randomV6(Random random) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(16);
                default -> random.nextInt(0x10000);
            };
        }
        if (random.nextInt(4) == 0) {
            groups[0] = 0x2001;
            groups[1] = 0xdb8;
        }
        String text = random.nextBoolean() ? GoNet.ipString(bytes(groups)) : full(groups);
        return random.nextInt(5) == 0 ? text.toUpperCase(Locale.ROOT) : text;
    }

    private static byte[] bytes(int[] groups) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[2 * i] = (byte) (groups[i] >> 8);
            b[2 * i + 1] = (byte) groups[i];
        }
        return b;
    }

    private static String full(int[] groups) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            out.append(i > 0 ? ":" : "").append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static String randomCidr(Random random) {
        return switch (random.nextInt(5)) {
            case 0, 1 -> randomV4(random) + "/" + random.nextInt(34);
            case 2, 3 -> randomV6(random) + "/" + random.nextInt(130);
            default -> "::ffff:" + randomV4(random) + "/" + (90 + random.nextInt(40));
        };
    }

    private static final String ALPHABET = "0123456789abcdefABCDEF:.%/ x\u0661\u0000-+";

    private static String mutate(Random random, String s) {
        StringBuilder out = new StringBuilder(s);
        for (int edits = 1 + random.nextInt(2); edits > 0; edits--) {
            int at = out.length() == 0 ? 0 : random.nextInt(out.length());
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            switch (random.nextInt(3)) {
                case 0 -> out.insert(at, c);
                case 1 -> {
                    if (out.length() > 0) {
                        out.deleteCharAt(at);
                    }
                }
                default -> {
                    if (out.length() > 0) {
                        out.setCharAt(at, c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static Object randomMergeElement(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> "10.0." + random.nextInt(4) + "." + random.nextInt(256) + "/" + (22 + random.nextInt(11));
            case 1 -> "2001:db8::" + Integer.toHexString(random.nextInt(0x400)) + "/" + (118 + random.nextInt(11));
            case 2 -> randomV4(random);
            case 3 -> "::ffff:10.0." + random.nextInt(4) + "." + random.nextInt(256) + "/" + (118 + random.nextInt(11));
            case 4 -> randomCidr(random);
            default -> random.nextInt(10) == 0 ? (Object) 7 : randomV6(random) + "/" + (100 + random.nextInt(29));
        };
    }

    /** A string, array, array of [cidr, extra], set or object of values from {@code pool}, or an odd operand. */
    private static Object operand(Random random, List<String> pool, int max) {
        List<Object> values = new ArrayList<>();
        for (int k = random.nextInt(max + 1); k > 0; k--) {
            values.add(random.nextInt(5) == 0 ? List.of(pick(random, pool), "meta") : pick(random, pool));
        }
        return switch (random.nextInt(8)) {
            case 0 -> pick(random, pool);
            case 1, 2, 3 -> values;
            case 4, 5 -> BuiltinProbes.set(values.toArray());
            case 6 -> {
                Map<String, Object> object = new java.util.TreeMap<>();
                for (int k = 0; k < values.size(); k++) {
                    object.put("k" + k, values.get(k));
                }
                yield object;
            }
            default -> random.nextBoolean() ? List.of(pick(random, pool), 3) : List.of(List.of());
        };
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    // ------------------------------------------------------------------ panics

    /** The operand as the probe's module hands it to the builtin: a {@code {"$set": [..]}} marker becomes a set. */
    private static JsonNode probeOperand(Object operand) {
        JsonNode node = operand instanceof JsonNode json ? json : BuiltinProbes.MAPPER.valueToTree(operand);
        if (node.isObject() && node.has("$set")) {
            RegoValues.RegoSet set = RegoValues.set();
            for (JsonNode e : node.get("$set")) {
                boolean present = false;
                for (JsonNode m : set) {
                    present |= ObjectBuiltins.regoEquals(m, e);
                }
                if (!present) {
                    set.add(e);
                }
            }
            return set;
        }
        return node;
    }

    /** Whether the port says OPA panics on this merge: an exception that is not an ordinary undefined. */
    private static boolean panicsOpa(JsonNode operand) {
        try {
            NetBuiltins.merge(operand);
            return false;
        } catch (HostBuiltin.Undefined e) {
            return false;
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static String rego(JsonNode value) {
        return RegoValues.write(value);
    }

    private String opaEval(String expression) throws Exception {
        Process process = new ProcessBuilder(OpaBinary.locate().toString(), "eval", "-f", "raw", expression)
                .directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Files.writeString(work.resolve("last-eval.txt"), output);
        return output;
    }
}
