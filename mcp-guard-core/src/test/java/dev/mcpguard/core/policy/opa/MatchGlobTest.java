package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gobwas/glob v1.0.0 port: its syntax errors, its answers (each checked against the Go library), and the
 * bounds the embedded engine adds: steps, pending checkpoints, nesting, the cache.
 */
class MatchGlobTest {

    private static final int[] NONE = {};
    private static final int[] DOT = {'.'};
    private static final int[] SLASH = {'/'};

    @ParameterizedTest
    @ValueSource(strings = {"{a", "{a,b", "a{b,{c}", "a\\", "\\", "[!]", "[z-a]", "[a-", "[]", "[a-cx]", "[abc",
            "[a-b-c]", "[\\"})
    void malformedPatternsAreUndefinedAsInOpa(String pattern) {
        assertThatThrownBy(() -> MatchGlob.compile(pattern, NONE)).isInstanceOf(HostBuiltin.Undefined.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            ")|)|true", "}|}|true", "a,b|a,b|true", "{}|''|true", "{,}x|x|true", "*{*0,}|1|true",
            "{ab*}x|abzx|true", "{a,ab}c|abc|true", "a*ant|ant|false", "??|😀|false", "?|😀|true",
            "[é😀]|😀|true", "e?|e\u0301|true", "\ufffd|\ufffd|true", "a\u0000b|a\u0000b|true", "*|a.b|true"})
    void matchesAsGobwasGlobWithoutSeparators(String pattern, String text, boolean expected)
            throws HostBuiltin.Undefined {
        assertThat(MatchGlob.compile(pattern, NONE).matches(text)).isEqualTo(expected);
    }

    @Test
    void starsStopAtSeparatorsAndDoubleStarsDoNot() throws HostBuiltin.Undefined {
        assertThat(MatchGlob.compile("*.example.com", DOT).matches("api.example.com")).isTrue();
        assertThat(MatchGlob.compile("*.example.com", DOT).matches("a.b.example.com")).isFalse();
        assertThat(MatchGlob.compile("**.example.com", DOT).matches("a.b.example.com")).isTrue();
        assertThat(MatchGlob.compile("*", DOT).matches("a.b")).isFalse();
        MatchGlob upload = MatchGlob.compile("/uploads/*/*.{png,jpg,pdf}", SLASH);
        assertThat(upload.matches("/uploads/acme-eu/gateway-latency.png")).isTrue();
        assertThat(upload.matches("/uploads/a/b/c.png")).isFalse();
        assertThat(MatchGlob.compile("**/.*", SLASH).matches("x/.hidden")).isTrue();
        assertThat(MatchGlob.compile("a*a*a*a*b", NONE).matches("a".repeat(100) + "b")).isTrue();
        assertThat(MatchGlob.compile("a*a*a*a*b", NONE).matches("a".repeat(100))).isFalse();
    }

    @Test
    void aWalkOpaBacktracksThroughForSecondsFailsTheEvaluation() throws HostBuiltin.Undefined {
        // gobwas/glob v1.0.0 tries the separator stars' positions in turn: about 3 s in OPA for 40 a's.
        MatchGlob stars = MatchGlob.compile("*a*a*a*a*a*a*a*b*c", SLASH);
        assertThatThrownBy(() -> stars.matches("a".repeat(40) + "c")).isInstanceOf(HostBuiltin.Halt.class);
        assertThat(stars.matches("a".repeat(10) + "c")).isFalse();
        assertThat(stars.matches("a".repeat(40) + "bc")).isTrue();
        // Separator-free stars discard the restart points they cover: no backtracking to speak of.
        assertThat(MatchGlob.compile("**a**a**a**a**a**a**a**b**c", NONE).matches("a".repeat(2_000) + "c"))
                .isFalse();
    }

    @Test
    void aWalkThatKeepsPilingUpCheckpointsFailsTheEvaluation() throws HostBuiltin.Undefined {
        // Found by fuzzing gobwas/glob v1.0.0: it allocates without end on this input (OPA dies out of memory).
        MatchGlob nested = MatchGlob.compile("*{{{,}**?,c**}{c[a-c]{*c}\\*}{{[!/]aa,,}*{?,?,}{*,},{,[a-a]ab}"
                + "{[!ab]?**,},?[ab].c},*{\\,,*a,{,?*aa,?,}/}[!a-c]a,\\,{}}{/,*[!/],,}"
                + "{c?[!ab]{😀{[!a-c]aa.}b-,é**{\\{}},"
                + ",{*{.,***}**{,**,é?**},{***,[!a-c],}[.],{,[ab]?\\*[.]}}}{?x-?,{{}[.]**,}\\***\\{,{****?{*,}}[!/]"
                + "{{**\\*[!ab],[!a-c][!a-c][!a-c],b}[a-c]}é}", NONE);
        assertThatThrownBy(() -> nested.matches("-cax*,c*,aaxé*,-./*b,c-é😀b*é"))
                .isInstanceOf(HostBuiltin.Halt.class);
    }

    @Test
    void patternsNestedDeeperThanTheLimitFailTheEvaluation() throws HostBuiltin.Undefined {
        String fits = "{a,".repeat(MatchGlob.MAX_NESTING) + "b" + "}".repeat(MatchGlob.MAX_NESTING);
        assertThat(MatchGlob.compile(fits, NONE).matches("b")).isTrue();
        assertThat(MatchGlob.compile(fits, NONE).matches("c")).isFalse();
        String deeper = "{a,".repeat(MatchGlob.MAX_NESTING + 1) + "b" + "}".repeat(MatchGlob.MAX_NESTING + 1);
        assertThatThrownBy(() -> MatchGlob.compile(deeper, NONE)).isInstanceOf(HostBuiltin.Halt.class);
        // Unclosed, it is a syntax error first, as in OPA.
        assertThatThrownBy(() -> MatchGlob.compile("{".repeat(10_000), NONE))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void theCacheStaysBoundedWhateverThePatterns() throws HostBuiltin.Undefined {
        for (int i = 0; i < 1_000; i++) {
            assertThat(MatchGlob.cached("p" + i + "*", DOT).matches("p" + i + "x")).isTrue();
        }
        MatchGlob.cached("x".repeat(200_000), NONE);
        assertThat(MatchGlob.cachedEntries()).isLessThanOrEqualTo(MatchGlob.CACHE_MAX_WEIGHT);
    }

    @Test
    void theSameKeyWithOtherSeparatorsIsAnotherPattern() throws HostBuiltin.Undefined {
        // OPA's own cache key (pattern + "-" + delimiters) makes these two one entry; they are not.
        assertThat(MatchGlob.cached("a-", DOT).matches("a-")).isTrue();
        assertThat(MatchGlob.cached("a", new int[] {'-', '.'}).matches("a-")).isFalse();
        assertThat(List.of(MatchGlob.cached("*", DOT).matches("a.b"), MatchGlob.cached("*", NONE).matches("a.b")))
                .containsExactly(false, true);
    }
}
