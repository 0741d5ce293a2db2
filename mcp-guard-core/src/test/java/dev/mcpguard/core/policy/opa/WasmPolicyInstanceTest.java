package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WasmPolicyInstance} keeps OPA's compiled-pattern caches across evaluations by starting each one from a
 * snapshot, and decides every input exactly as an instance evaluated the way OPA's SDKs do (every cache emptied
 * before each evaluation), whatever came before it. The module is built by the real {@code opa build -t wasm};
 * its patterns come from the policy, from the data document and from the input.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a safety net: a snapshot written back wrong can make the module loop
class WasmPolicyInstanceTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ENTRYPOINT = "cache/out";
    private static final String REGO = """
            package cache

            import rego.v1

            out := {
            	"id": regex.match(`^[A-Z]{2,5}-[0-9]{1,8}$`, input.id),
            	"mail": regex.match(`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$`, input.mail),
            	"path": glob.match("/uploads/*/*.{png,jpg,pdf}", ["/"], input.path),
            	"under_uploads": glob.match("/uploads/**", ["/"], input.path),
            	"shell": regex.match("[`$]\\\\(|&&|\\\\|\\\\|", input.text),
            	"numbered_words": regex.find_all_string_submatch_n(`([a-z]+)([0-9]+)`, input.text, -1),
            	"flagged": [name | some name, pattern in data.cache.flags; regex.match(pattern, input.text)],
            	"dynamic": dynamic,
            	"dynamic_glob": dynamic_glob,
            }

            default dynamic := "undefined"

            dynamic := regex.match(input.pattern, input.text)

            default dynamic_glob := "undefined"

            dynamic_glob := glob.match(input.glob, input.delimiters, input.path)
            """;
    private static final String DATA = """
            {"cache": {"flags": {
              "secret": "(?i)(password|api[_-]?key)\\\\s*[:=]",
              "card": "\\\\b(?:\\\\d[ -]?){13,16}\\\\b",
              "ipv4": "\\\\b\\\\d{1,3}(\\\\.\\\\d{1,3}){3}\\\\b",
              "unicode": "[\\\\p{Greek}\\\\p{Han}]"
            }}}""";

    private static byte[] wasm;
    private static byte[] wasmWithoutCaches;
    private static String dataJson;

    @BeforeAll
    static void buildModules(@TempDir Path work) throws IOException {
        dataJson = MAPPER.writeValueAsString(MAPPER.readTree(DATA));
        wasm = build(work.resolve("cache"), REGO, DATA);
        wasmWithoutCaches = build(work.resolve("plain"), """
                package cache

                import rego.v1

                out := {"upper": upper(input.id), "long": count(input.text) > 40}
                """, "{}");
    }

    @Test
    void keepsTheCompiledPatternsOfTheFirstEvaluationForEveryLaterOne() throws Exception {
        WasmPolicyInstance kept = instance(wasm, true);
        WasmPolicyInstance reset = instance(wasm, false);
        String input = MAPPER.writeValueAsString(fixedInput());

        String first = kept.evaluate(input);
        for (int i = 0; i < 20; i++) {
            assertThat(kept.evaluate(input)).isEqualTo(first);
        }

        assertThat(first).isEqualTo(reset.evaluate(input)).contains("\"id\":true").contains("\"path\":true");
        assertThat(kept.keepsCaches()).isTrue();
        assertThat(kept.snapshots()).as("one snapshot: no later evaluation compiled a new pattern").isEqualTo(1);
        assertThat(reset.snapshots()).isZero();
    }

    @Test
    void decidesEveryInputAsAnInstanceThatKeepsNoCachesWhateverTheOrder() throws Exception {
        Random random = new Random(11_4242L);
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            inputs.add(MAPPER.writeValueAsString(generatedInput(random)));
        }
        List<String> expected = evaluateAll(instance(wasm, false), inputs);

        WasmPolicyInstance inOrder = instance(wasm, true);
        assertThat(evaluateAll(inOrder, inputs)).isEqualTo(expected);

        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            order.add(i);
        }
        Collections.reverse(order);
        assertOrderGivesExpected(order, inputs, expected);
        Collections.shuffle(order, random);
        assertOrderGivesExpected(order, inputs, expected);

        assertThat(inOrder.snapshots()).as("new patterns came with the inputs").isGreaterThan(1)
                .isLessThanOrEqualTo(WasmPolicyInstance.MAX_SNAPSHOTS);
        assertThat(expected).anySatisfy(result -> assertThat(result).contains("\"dynamic\":true"))
                .anySatisfy(result -> assertThat(result).contains("\"dynamic\":false"))
                .anySatisfy(result -> assertThat(result).contains("\"dynamic\":\"undefined\""))
                .anySatisfy(result -> assertThat(result).contains("\"dynamic_glob\":true"))
                .anySatisfy(result -> assertThat(result).contains("\"flagged\":[\"card\""));
    }

    @Test
    void takesNoMoreThanItsSnapshotsWhenEveryInputBringsANewPattern() throws Exception {
        WasmPolicyInstance kept = instance(wasm, true);
        WasmPolicyInstance reset = instance(wasm, false);

        for (int i = 0; i < 3 * WasmPolicyInstance.MAX_SNAPSHOTS; i++) {
            ObjectNode input = fixedInput();
            input.put("pattern", "^acme-" + i + "[a-z]*$");
            input.put("text", "acme-" + i + "x");
            String json = MAPPER.writeValueAsString(input);
            assertThat(kept.evaluate(json)).as("input %d", i).isEqualTo(reset.evaluate(json)).contains("\"dynamic\":true");
        }

        assertThat(kept.snapshots()).isEqualTo(WasmPolicyInstance.MAX_SNAPSHOTS);
        assertThat(kept.keepsCaches()).isTrue();
    }

    @Test
    void keepsItsSnapshotInStepWithMemoryALaterEvaluationGrew() throws Exception {
        WasmPolicyInstance kept = instance(wasm, true);
        WasmPolicyInstance reset = instance(wasm, false);
        String small = MAPPER.writeValueAsString(fixedInput());
        ObjectNode bigInput = fixedInput();
        bigInput.put("text", "plain text without numbers ".repeat(40_000));
        String big = MAPPER.writeValueAsString(bigInput);

        kept.evaluate(small);
        int before = kept.memoryPages();
        String bigResult = kept.evaluate(big);
        int grown = kept.memoryPages();
        for (int i = 0; i < 5; i++) {
            assertThat(kept.evaluate(big)).isEqualTo(bigResult);
            assertThat(kept.evaluate(small)).isEqualTo(reset.evaluate(small));
        }

        assertThat(grown).as("the big input made the module grow its memory").isGreaterThan(before);
        assertThat(kept.memoryPages()).as("and later evaluations of it did not grow it again").isEqualTo(grown);
        assertThat(bigResult).isEqualTo(reset.evaluate(big));
        assertThat(kept.keepsCaches()).isTrue();
        assertThat(kept.snapshots()).isEqualTo(1);
    }

    @Test
    void evaluatesAModuleWithoutPatternCachesAsOpasSdksDo() throws Exception {
        WasmPolicyInstance plain = instance(wasmWithoutCaches, true);
        String input = MAPPER.writeValueAsString(fixedInput());

        assertThat(plain.evaluate(input)).isEqualTo("[{\"result\":{\"long\":true,\"upper\":\"OPS-4711\"}}]");
        assertThat(plain.evaluate(input)).isEqualTo("[{\"result\":{\"long\":true,\"upper\":\"OPS-4711\"}}]");
        assertThat(plain.keepsCaches()).isFalse();
        assertThat(plain.snapshots()).isZero();
    }

    private void assertOrderGivesExpected(List<Integer> order, List<String> inputs, List<String> expected) {
        WasmPolicyInstance kept = instance(wasm, true);
        for (int index : order) {
            assertThat(kept.evaluate(inputs.get(index))).as("input %d: %s", index, inputs.get(index))
                    .isEqualTo(expected.get(index));
        }
    }

    private static List<String> evaluateAll(WasmPolicyInstance instance, List<String> inputs) {
        List<String> results = new ArrayList<>();
        for (String input : inputs) {
            results.add(instance.evaluate(input));
        }
        return results;
    }

    private static WasmPolicyInstance instance(byte[] module, boolean keepCaches) {
        return new WasmPolicyInstance(module, MAPPER, 1024, WasmBuiltins.forInstance(() -> 0L, new BuiltinCache()), ENTRYPOINT,
                dataJson, keepCaches);
    }

    private static ObjectNode fixedInput() {
        ObjectNode input = MAPPER.createObjectNode();
        input.put("id", "OPS-4711");
        input.put("mail", "alice.smith@acme.example.com");
        input.put("path", "/uploads/acme/latency.png");
        input.put("text", "Checkout fails for eu1 and us2 since 09:40; see ticket abc123.");
        return input;
    }

    /** Inputs with strings that do and do not match, unicode, empty ones, and patterns and globs of their own. */
    private static ObjectNode generatedInput(Random random) {
        IntFunction<String> pick = n -> Integer.toString(random.nextInt(n));
        List<String> texts = List.of("", "password: hunter2", "card 4111 1111 1111 1111 ok", "from 10.0.0.1 to 10.0.0.2",
                "Ωmega 漢字 mixed", "a1 b22 c333", "rm -rf $(pwd) && echo", "plain words only", "é".repeat(50),
                "x".repeat(2000) + "y9", "API-KEY=abc", "\u0000\u001f control", "😀 emoji 1");
        List<String> patterns = List.of("^a", "[0-9]+$", "(?i)PASSWORD", "^$", "é+", "\\p{Han}", "(", "[a-", "a{2,}",
                "^(a|b)+c$", "\\bword\\b", "x*y9", "😀", ".*");
        List<String> globs = List.of("/uploads/*/*", "/uploads/**", "*.png", "/{uploads,tmp}/**", "[", "/uploads/?cme/*");
        ObjectNode input = MAPPER.createObjectNode();
        input.put("id", random.nextBoolean() ? "OPS-" + pick.apply(100_000) : "ops-" + pick.apply(100));
        input.put("mail", random.nextBoolean() ? "user" + pick.apply(1000) + "@acme.example.com" : "not-a-mail@");
        input.put("path", random.nextBoolean() ? "/uploads/acme/f" + pick.apply(50) + ".png"
                : "/uploads/acme/" + pick.apply(9) + "/deep.txt");
        StringBuilder text = new StringBuilder(texts.get(random.nextInt(texts.size())));
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            text.append(' ').append((char) ('a' + random.nextInt(26))).append(pick.apply(1000));
        }
        input.put("text", text.toString());
        switch (random.nextInt(4)) {
            case 0 -> input.put("pattern", patterns.get(random.nextInt(patterns.size())));
            case 1 -> input.put("pattern", "^[a-z]" + pick.apply(30) + "|" + (char) ('a' + random.nextInt(26)));
            default -> { }
        }
        if (random.nextBoolean()) {
            input.put("glob", globs.get(random.nextInt(globs.size())));
            input.putArray("delimiters").add(random.nextBoolean() ? "/" : ".");
        }
        return input;
    }

    private static byte[] build(Path dir, String rego, String data) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("policy.rego"), rego);
        Files.writeString(src.resolve("data.json"), data);
        Path bundle = dir.resolve("bundle.tar.gz");
        OpaBinary.run(dir, List.of("build", "-t", "wasm", "-e", ENTRYPOINT, "-b", src.toString(), "-o", bundle.toString()));
        try {
            return OpaBundle.read(Files.readAllBytes(bundle), BundleVerification.insecureUnsigned()).policyWasm();
        } catch (BundleException e) {
            throw new IllegalStateException(e);
        }
    }
}
