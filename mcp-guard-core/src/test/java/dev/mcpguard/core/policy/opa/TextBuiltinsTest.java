package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of {@link TextBuiltins} on their own, and the limits where the host halts the evaluation. */
class TextBuiltinsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    @Test
    void replacesLeftToRightWithoutOverlapAsGosReplacerDoes() {
        assertThat(TextBuiltins.replace(utf8("aaaa"), utf8("aa"), utf8("b"))).isEqualTo(utf8("bb"));
        assertThat(TextBuiltins.replace(utf8("aaa"), utf8("aa"), utf8("a"))).isEqualTo(utf8("aa"));
        assertThat(TextBuiltins.replace(utf8("a.b.c"), utf8("."), utf8(""))).isEqualTo(utf8("abc"));
        assertThat(TextBuiltins.replace(utf8("aXbXc"), utf8("X"), utf8("YY"))).isEqualTo(utf8("aYYbYYc"));
    }

    @Test
    void anEmptyOldStringGoesBeforeEveryByteAndAtTheEndWithoutLooping() {
        assertThat(TextBuiltins.replace(utf8("ab"), new byte[0], utf8("x"))).isEqualTo(utf8("xaxbx"));
        assertThat(TextBuiltins.replace(new byte[0], new byte[0], utf8("x"))).isEqualTo(utf8("x"));
        // é is two bytes, which the insertion holds apart: not UTF-8, as in OPA.
        assertThat(TextBuiltins.replace(utf8("é"), new byte[0], utf8("x"))).isEqualTo(hex("78c378a978"));
        byte[] same = utf8("abc");
        assertThat(TextBuiltins.replace(same, new byte[0], new byte[0])).isSameAs(same);
        assertThat(TextBuiltins.replace(same, utf8("z"), utf8("y"))).isSameAs(same);
    }

    @Test
    void aReplacementOfMoreThanTheLimitHaltsInsteadOfBuildingIt() {
        byte[] s = new byte[4096];
        byte[] replacement = new byte[TextModuleValues.MAX_RESULT_BYTES / 4096 + 2];
        assertThatThrownBy(() -> TextBuiltins.replace(s, new byte[0], replacement))
                .isInstanceOf(HostBuiltin.Halt.class);
        assertThatThrownBy(() -> TextBuiltins.replace(s, new byte[] {0}, replacement))
                .isInstanceOf(HostBuiltin.Halt.class);
        assertThat(TextBuiltins.replace(s, new byte[] {0}, new byte[] {1})).hasSize(4096);
    }

    @Test
    void lowersAndUppersWithGosUnicode15TablesNotTheJdks() {
        // Cased since Unicode 14: Java 17's Character (Unicode 13) keeps them.
        assertThat(new String(TextBuiltins.toLower(utf8("\ua7c0")), StandardCharsets.UTF_8)).isEqualTo("\ua7c1");
        assertThat(new String(TextBuiltins.toUpper(utf8("\ua7c1")), StandardCharsets.UTF_8)).isEqualTo("\ua7c0");
        assertThat(new String(TextBuiltins.toLower(utf8("\ud801\udd70")), StandardCharsets.UTF_8))
                .isEqualTo("\ud801\udd97");
        // Simple (one to one) mappings only, with no context: not String.toLowerCase's İ -> i̇ or final sigma.
        assertThat(new String(TextBuiltins.toLower(utf8("İΣΣ")), StandardCharsets.UTF_8)).isEqualTo("iσσ");
        assertThat(new String(TextBuiltins.toUpper(utf8("ßǆﬁ")), StandardCharsets.UTF_8)).isEqualTo("ßǄﬁ");
        assertThat(TextBuiltins.toUpper(utf8("abc"))).isEqualTo(utf8("ABC"));
        // strings.Map reads a byte that is not UTF-8 as U+FFFD and so writes U+FFFD.
        assertThat(TextBuiltins.toUpper(hex("61c362"))).isEqualTo(hex("41efbfbd42"));
    }

    @Test
    void caseTablesAgreeWithTheJdkWhereUnicodeDidNotChange() {
        assertThat(TextCaseTables.toLower('A')).isEqualTo('a');
        assertThat(TextCaseTables.toUpper(0x1E922)).isEqualTo(0x1E900);
        int differing = 0;
        for (int cp = 0; cp <= 0x10FFFF; cp++) {
            if (TextCaseTables.toLower(cp) != Character.toLowerCase(cp)
                    || TextCaseTables.toUpper(cp) != Character.toUpperCase(cp)) {
                differing++;
            }
        }
        // Unicode 14 and 15 cased a few dozen letters (Latin, Glagolitic, Vithkuqi); anything more is a bad table.
        assertThat(differing).isBetween(1, 200);
    }

    @Test
    void stringsKeepBytesThatAreNotUtf8ThroughTheirJavaForm() {
        for (String hex : List.of("", "61", "c3a9", "c3", "78c378a978", "e282", "e282ac", "eda080", "f09f9880",
                "f09f98", "ff", "80", "c0af", "f4908080", "efbfbd", "f0a08080c3")) {
            byte[] bytes = hex(hex);
            String s = TextModuleValues.goString(bytes);
            assertThat(TextModuleValues.bytes(s)).as(hex).isEqualTo(bytes);
        }
        assertThat(TextModuleValues.goString(hex("c3"))).isEqualTo("\udcc3");
        assertThat(TextModuleValues.hasStrayBytes(TextModuleValues.goString(hex("61c3")))).isTrue();
        assertThat(TextModuleValues.hasStrayBytes("a😀é\ufffd")).isFalse();
        // Go's []rune: each byte that is not UTF-8 is one U+FFFD.
        assertThat(TextModuleValues.runes(hex("e282" + "78"))).containsExactly(0xFFFD, 0xFFFD, 'x');
        assertThat(TextModuleValues.runes(utf8("a😀"))).containsExactly('a', 0x1F600);
    }

    @Test
    void aResultBeyondTheLimitFailsTheEvaluationInsteadOfBeingUndefined(@TempDir Path work) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("p.rego"), """
                package probe

                default out := "not denied"

                out := "denied" if count(replace(input.s, "", input.r)) > 0
                """);
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            JsonNode small = BuiltinProbes.MAPPER.readTree("{\"s\": \"ab\", \"r\": \"x\"}");
            assertThat(embedded.evaluate(small)).hasValueSatisfying(v -> assertThat(v.asText()).isEqualTo("denied"));
            String r = "x".repeat(TextModuleValues.MAX_RESULT_BYTES / 1000);
            JsonNode beyond = BuiltinProbes.MAPPER.readTree("{\"s\": \"" + "a".repeat(1000) + "\", \"r\": \"" + r
                    + "\"}");
            assertThatThrownBy(() -> embedded.evaluate(beyond)).isNotNull();
            assertThat(embedded.evaluate(small)).as("the engine recovers").isPresent();
        }
    }
}
