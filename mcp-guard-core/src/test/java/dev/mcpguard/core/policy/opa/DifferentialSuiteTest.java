package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import dev.mcpguard.core.testing.OpaServer;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The differential suite of issue 11: four realistic policies written for it ({@code src/test/resources/differential/}:
 * RBAC with role inheritance, argument hygiene with regex/glob/sprintf, time windows and egress with CIDRs,
 * data-driven quotas), 1,000 seeded generated decision requests each with edge cases (unicode, lone surrogates, big
 * and long-decimal numbers, IPv4-mapped IPv6, DST and week boundaries), decided by the real {@code opa} (the
 * reference), by the embedded engine and by the remote engine:
 * <ul>
 *   <li>the rule's raw value, embedded vs {@code opa}, through {@link OpaDifferential} (one opa process);</li>
 *   <li>the {@link Decision} of {@link OpaWasmPolicyEngine} (loaded with the DEFAULT rules: no divergent builtin
 *       accepted, so the policy must be one the engine accepts) and of {@link OpaRemotePolicyEngine} (against a
 *       second opa process) vs the decision {@link PolicyResultReader} reads from opa's raw value.</li>
 * </ul>
 * The policies use no builtin the embedded engine refuses: egress checks addresses with the host-provided
 * {@code net.cidr_is_valid} and {@code net.cidr_contains_matches} (OPA's semantics, IPv4-mapped IPv6 included)
 * instead of the refused {@code net.cidr_contains}/{@code net.cidr_intersects}; quotas round up with {@code round}
 * instead of the refused {@code ceil}, and decode the cursor with {@code base64url.decode} instead of the refused
 * {@code base64.decode}/{@code json.unmarshal}.
 */
class DifferentialSuiteTest {

    private static final int INPUTS = 1000;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Map<String, Object> ENVIRONMENT = Map.of("name", "prod");

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"rbac", "hygiene", "egress", "quotas"})
    void embeddedAndRemoteDecideAsOpaOnGeneratedInputs(String policy) throws Exception {
        String rego = resource(policy + ".rego");
        Optional<String> data = resourceIfPresent(policy + ".json");
        String rule = "diff/" + policy + "/decision";
        List<PolicyRequest> requests = generate(policy, new Random(policy.hashCode() * 31L + 11));
        PolicyInputDocument documents = new PolicyInputDocument(MAPPER, ENVIRONMENT);
        List<JsonNode> inputs = new ArrayList<>();
        for (PolicyRequest request : requests) {
            inputs.add(documents.build(request));
        }

        OpaDifferential harness = OpaDifferential.module(rego).rule(rule);
        if (data.isPresent()) {
            harness = harness.data(MAPPER.readTree(data.get()));
        }
        List<OpaDifferential.Pair> pairs = harness.compare(inputs);
        assertThat(OpaDifferential.mismatches(pairs)).as("raw value, embedded vs opa (%s)", policy).isEmpty();

        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("policy.rego"), rego);
        if (data.isPresent()) {
            Files.writeString(src.resolve("data.json"), data.get());
        }
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", rule, "-b", src.toString(), "-o", bundle.toString()));
        PolicyResultReader reader = new PolicyResultReader(MAPPER);
        List<String> embeddedMismatches = new ArrayList<>();
        List<String> remoteMismatches = new ArrayList<>();
        Map<String, Integer> outcomes = new java.util.TreeMap<>();
        try (OpaServer opa = OpaServer.startWithFiles(src);
                OpaWasmPolicyEngine embedded = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                        .bundleSource(BundleSource.file(bundle)).verification(BundleVerification.insecureUnsigned())
                        .entrypoint(rule).environment(ENVIRONMENT).poolSize(1)
                        // The suite's policies use divergent builtins (regex.match, glob.match, concat, arithmetic)
                        // away from the inputs where they diverge; it measures that they then decide as opa.
                        .acceptDivergentBuiltins(DivergentBuiltins.NAMES).build()) {
            OpaRemotePolicyEngine remote = OpaRemotePolicyEngine.builder(opa.baseUri()).decisionPath(rule)
                    .environment(ENVIRONMENT).allowPlainHttpOnLoopback()
                    .requestTimeout(java.time.Duration.ofSeconds(10)).build();
            assertThat(embedded.pollNow()).as("the embedded engine accepts %s with its default rules: %s", policy,
                    embedded.lastLoadError().orElse("")).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            for (int i = 0; i < requests.size(); i++) {
                PolicyRequest request = requests.get(i);
                OpaDifferential.Outcome reference = pairs.get(i).opa();
                Decision expected = switch (reference.kind()) {
                    case VALUE -> reader.read(reference.value(), request.decisionId(), Optional.empty());
                    case UNDEFINED -> new Decision.Deny(request.decisionId(), ReasonCode.POLICY_UNDEFINED, "");
                    // opa's outcome is never unfinished (only an embedded evaluation can be)
                    case ERROR, UNFINISHED -> new Decision.Deny(request.decisionId(), ReasonCode.POLICY_ERROR, "");
                };
                boolean withMessage = reference.kind() == OpaDifferential.Outcome.Kind.VALUE;
                String want = summary(expected, withMessage);
                outcomes.merge(want.startsWith("allow") ? "allow" : want.split(" ")[1], 1, Integer::sum);
                String fromEmbedded = summary(embedded.decide(request), withMessage);
                String fromRemote = summary(remote.decide(request), withMessage);
                if (!want.equals(fromEmbedded)) {
                    embeddedMismatches.add("#" + i + " " + inputs.get(i) + ": opa " + want + ", embedded " + fromEmbedded);
                }
                if (!want.equals(fromRemote)) {
                    remoteMismatches.add("#" + i + " " + inputs.get(i) + ": opa " + want + ", remote " + fromRemote);
                }
            }
        }
        System.out.printf("differential %s: %d inputs, outcomes %s, mismatches raw %d, embedded %d, remote %d%n",
                policy, requests.size(), outcomes, OpaDifferential.mismatches(pairs).size(),
                embeddedMismatches.size(), remoteMismatches.size());
        assertThat(embeddedMismatches).as("embedded decisions (%s)", policy).isEmpty();
        assertThat(remoteMismatches).as("remote decisions (%s)", policy).isEmpty();
        // The generator reaches more than one outcome, so agreement is not agreement on one constant answer.
        assertThat(outcomes.size()).as("distinct outcomes of %s: %s", policy, outcomes).isGreaterThanOrEqualTo(2);
    }

    /** Allow with canonical obligations, or deny with its reason (and message when the policy wrote one). */
    private static String summary(Decision decision, boolean withMessage) {
        if (decision instanceof Decision.Allow allow) {
            return "allow " + canonical(MAPPER.valueToTree(allow.obligations()));
        }
        Decision.Deny deny = (Decision.Deny) decision;
        return "deny " + deny.reason().value() + (withMessage ? " " + deny.message() : "");
    }

    /** JSON text with numbers written by value (1 and 1.0 alike), object keys sorted. */
    private static String canonical(JsonNode node) {
        if (node.isNumber()) {
            BigDecimal value = node.decimalValue().stripTrailingZeros();
            return value.signum() == 0 ? "0" : value.toPlainString();
        }
        if (node.isObject()) {
            List<String> fields = new ArrayList<>();
            node.fieldNames().forEachRemaining(fields::add);
            fields.sort(null);
            StringBuilder out = new StringBuilder("{");
            for (String field : fields) {
                out.append(JsonNodeFactory.instance.textNode(field)).append(':').append(canonical(node.get(field))).append(',');
            }
            return out.append('}').toString();
        }
        if (node.isArray()) {
            StringBuilder out = new StringBuilder("[");
            node.forEach(element -> out.append(canonical(element)).append(','));
            return out.append(']').toString();
        }
        return node.toString();
    }

    // ---- generated requests ----

    private static final String[] TENANTS = {"acme", "globex", "initech", "umbrella", "", "ACME", "acme\u0000", "ac\ud800me", "äcme"};
    private static final String[] ROLES = {"viewer", "support", "pii-reader", "senior-support", "tenant-admin",
            "platform-admin", "cyclic-a", "cyclic-b", "unknown", "Support", "viewer ", "rôle", "\ud83d\ude00", "\udc00"};
    private static final String[] TOOLS = {"get_order", "list_orders", "refund_order", "cancel_order", "admin.rotate_keys",
            "admin.", "export_orders", "bulk_refund", "fetch_url", "delete_repo", "get_", "GET_ORDER", "get_order\u2028",
            "列出订单"};
    private static final Object[] NUMBERS = {0, 1, -1, 3, 5, 6, 20, 21, 100, 499.9, 500, 500.0000000000001, 750.5,
            1e3, 5000.5, 5000.500000000001, 1e21, -0.0, 0.1, 2.5, Long.MAX_VALUE, Long.MIN_VALUE,
            new BigInteger("9007199254740993"), new BigInteger("123456789012345678901234567890"),
            new BigInteger("-18446744073709551616"), 1.7976931348623157e308, 4.9e-324, 123456789.123456789};

    private static List<PolicyRequest> generate(String policy, Random random) {
        Function<Random, Map<String, Object>> arguments = switch (policy) {
            case "rbac" -> DifferentialSuiteTest::rbacArguments;
            case "hygiene" -> DifferentialSuiteTest::hygieneArguments;
            case "egress" -> DifferentialSuiteTest::egressArguments;
            case "quotas" -> DifferentialSuiteTest::quotaArguments;
            default -> throw new IllegalArgumentException(policy);
        };
        List<PolicyRequest> requests = new ArrayList<>();
        for (int i = 0; i < INPUTS; i++) {
            Set<String> roles = new LinkedHashSet<>();
            for (int r = random.nextInt(4); r > 0; r--) {
                roles.add(pick(random, ROLES));
            }
            String tenant = random.nextInt(8) == 0 ? null : pick(random, TENANTS);
            CallerIdentity caller = CallerIdentity.builder("https://login.example.com", "user-" + random.nextInt(50))
                    .tenant(tenant).clientId(random.nextBoolean() ? "agent" : null).scopes(Set.of("orders.read"))
                    .roles(roles).build();
            String toolName = policy.equals("egress") && random.nextInt(3) > 0 ? "fetch_url" : pick(random, TOOLS);
            ToolDescriptor tool = new ToolDescriptor(toolName, random.nextBoolean() ? "" : "desc \u00e9",
                    random.nextBoolean(), random.nextInt(3) > 0, random.nextBoolean(), random.nextBoolean());
            Operation operation = random.nextInt(5) == 0 ? Operation.LIST : Operation.CALL;
            Map<String, Object> args = operation == Operation.LIST ? Map.of() : arguments.apply(random);
            requests.add(new PolicyRequest(operation, "d-" + i, caller, "orders", tool, args,
                    random.nextBoolean() ? Optional.of("s-" + i) : Optional.empty(), instant(random)));
        }
        return requests;
    }

    /** Times around business-hour edges, weekends, DST changes (Berlin, New York) and the change windows. */
    private static Instant instant(Random random) {
        Instant[] anchors = {Instant.parse("2026-11-22T10:00:00Z"), Instant.parse("2026-11-23T07:00:00Z"),
                Instant.parse("2026-11-23T16:59:59.999999999Z"), Instant.parse("2026-11-21T22:00:00Z"),
                Instant.parse("2026-11-22T07:30:00Z"), Instant.parse("2026-03-29T01:00:00Z"),
                Instant.parse("2026-03-08T07:00:00Z"), Instant.parse("2026-10-25T00:59:59Z"),
                Instant.parse("2026-11-27T12:29:59Z"), Instant.parse("2026-11-27T23:00:00Z")};
        Instant anchor = anchors[random.nextInt(anchors.length)];
        return switch (random.nextInt(4)) {
            case 0 -> anchor;
            case 1 -> anchor.plusNanos(random.nextInt(3) - 1);
            case 2 -> anchor.plusSeconds(random.nextInt(7200) - 3600);
            default -> anchor.plusSeconds(random.nextInt(7 * 86400));
        };
    }

    private static Map<String, Object> rbacArguments(Random random) {
        Map<String, Object> args = new HashMap<>();
        if (random.nextInt(5) > 0) {
            args.put("tenant", random.nextInt(6) == 0 ? pickNumber(random) : pick(random, TENANTS));
        }
        args.put("order_id", "acme-" + random.nextInt(2000));
        return args;
    }

    private static final String[] ORDER_IDS = {"acme-1", "acme-123456789", "acme-1234567890", "a-1", "ab-1", "abcdefghij-1",
            "abcdefghijk-1", "ACME-1", "acme-1\n", "acme-", "acme--1", "acme-1 ", " acme-1", "acme-١", "acme-1\ud800",
            "äcme-1", "", "acme-0010"};
    private static final String[] PATHS = {"/workspace/a.txt", "/workspace/", "/workspace", "/workspace/src/.git/config",
            "/workspace/.git/HEAD", "/workspace/keys/server.pem", "/workspace/.env", "/workspace/app/.env",
            "/workspace/secrets/x", "/workspace/../etc/passwd", "/workspace/a/..", "/workspace/a..b", "/etc/passwd",
            "/workspace/ü/ß.txt", "/workspace/\ud83d\ude00", "/workspace/a\ud800b", "/workspace//x", "workspace/a",
            "/workspace/a\u0000b", "/workspace/*", "/workspace/[a]", "/workspace/{a,b}", "/WORKSPACE/a"};
    private static final String[] EMAILS = {"a@example.com", "a@example.org", "a@example.net", "@example.com",
            "a@b@example.com", "a@EXAMPLE.com", "ü@example.com", "a@example.com ", "a.b+c@example.org", "a@sub.example.com",
            "a\ud800@example.com"};

    private static Map<String, Object> hygieneArguments(Random random) {
        Map<String, Object> args = new HashMap<>();
        if (random.nextInt(6) > 0) {
            args.put("order_id", random.nextInt(8) == 0 ? pickNumber(random) : pick(random, ORDER_IDS));
        }
        if (random.nextBoolean()) {
            args.put("path", random.nextInt(10) == 0 ? List.of("/workspace/a") : pick(random, PATHS));
        }
        if (random.nextBoolean()) {
            args.put("note", note(random));
        }
        if (random.nextBoolean()) {
            args.put("amount", random.nextInt(8) == 0 ? pick(random, new Object[] {"120", true, null, List.of(1)})
                    : pickNumber(random));
        }
        if (random.nextInt(3) == 0) {
            args.put("email", pick(random, EMAILS));
        }
        return args;
    }

    private static String note(Random random) {
        String[] pieces = {"ok", "refund please", "\u00e9t\u00e9", "\ud83d\ude00", "\t", "\u007f", "\u0085", "\ud800",
                "\udfff", "x".repeat(30), "日本語", "\u200b", "%s%d", "\"q\""};
        StringBuilder out = new StringBuilder();
        for (int n = random.nextInt(6); n >= 0; n--) {
            out.append(pick(random, pieces));
        }
        return out.toString();
    }

    private static final String[] HOSTS = {"203.0.113.7", "198.51.100.255", "203.0.114.1", "169.254.169.254",
            "::ffff:169.254.169.254", "::FFFF:169.254.169.254", "::ffff:a9fe:a9fe", "::ffff:203.0.113.7", "127.0.0.1",
            "10.1.2.3", "172.31.255.255", "172.32.0.1", "192.168.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1",
            "2001:db8::1", "2001:db9::1", " 203.0.113.7 ", "203.0.113.7\u00a0", "203.0.113", "256.1.1.1",
            "203.0.113.07", "example.com", "", "::ffff:1.2.3", "::ffff:999.1.1.1", "0:0:0:0:0:ffff:a9fe:a9fe",
            "2001:DB8::A", "203.0.113.7/24", "١٢٣.0.113.7"};

    private static Map<String, Object> egressArguments(Random random) {
        Map<String, Object> args = new HashMap<>();
        if (random.nextInt(10) > 0) {
            args.put("host", random.nextInt(15) == 0 ? pickNumber(random) : pick(random, HOSTS));
        }
        return args;
    }

    private static Map<String, Object> quotaArguments(Random random) {
        Map<String, Object> args = new HashMap<>();
        if (random.nextInt(6) > 0) {
            args.put("quantity", random.nextInt(10) == 0 ? "7" : pickNumber(random));
        }
        if (random.nextBoolean()) {
            String[] cursors = {"0:10", "0:20", "0:21", "40:100", "0:101", "0:1000", "0:1001", "0:1e3", "0:-1",
                    "0:0010", "0:10:1", "x", "0:" + "9".repeat(30), "0:1.5", "0: 10", "ü:5"};
            String cursor = java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(pick(random, cursors).getBytes(StandardCharsets.UTF_8));
            String[] raw = {cursor, cursor + "=", cursor + "==", "!!", "", " " + cursor, cursor.toUpperCase(java.util.Locale.ROOT)};
            args.put("cursor", raw[random.nextInt(4) == 0 ? random.nextInt(raw.length) : 0]);
        }
        return args;
    }

    private static Object pickNumber(Random random) {
        return random.nextInt(3) == 0 ? (Object) (random.nextInt(2000) - 500) : NUMBERS[random.nextInt(NUMBERS.length)];
    }

    private static <T> T pick(Random random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    private static String resource(String name) throws IOException {
        return resourceIfPresent(name).orElseThrow(() -> new IllegalStateException("missing differential/" + name));
    }

    private static Optional<String> resourceIfPresent(String name) throws IOException {
        try (InputStream in = DifferentialSuiteTest.class.getResourceAsStream("/differential/" + name)) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

}
