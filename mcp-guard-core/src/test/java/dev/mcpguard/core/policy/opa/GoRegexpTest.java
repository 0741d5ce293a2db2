package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the probes against {@code opa} cannot show: the regexp cache stays bounded, the embedded engine's size
 * limits hold, the workarounds for re2j's own behaviour stay in place, and the glob search gives up instead of
 * running away.
 */
class GoRegexpTest {

    @Test
    void theRegexpCacheStaysBoundedWhateverPatternsThePolicyIsFed() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            assertThat(GoRegexp.cached("hostile-" + i + "[a-z]*").matches("hostile-" + i + "abc")).isTrue();
        }
        assertThat(GoRegexp.cachedEntries()).isLessThanOrEqualTo(GoRegexp.CACHE_MAX_WEIGHT);
    }

    @Test
    void aPatternWhoseProgramExceedsTheLimitIsUndefinedThoughGoWouldCompileIt() throws Exception {
        String justUnder = "(?:abcdefghij){1000}".repeat(26); // Go's size estimate 260,000
        String over = "(?:abcdefghij){1000}".repeat(27); // 270,000 > 2^18
        assertThat(GoRegexp.compile(justUnder).matches("abc")).isFalse();
        assertThatThrownBy(() -> GoRegexp.compile(over)).isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void aPatternTooCostlyForRe2jsParserIsUndefined() throws Exception {
        assertThat(GoRegexp.compile("[\\pL\\pN]".repeat(6)).matches("a1b2c3")).isTrue();
        assertThatThrownBy(() -> GoRegexp.compile("[\\pL\\pN]".repeat(7))).isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> GoRegexp.compile("a".repeat(70_000))).isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void goRejectsWhatItsParserRejectsIncludingItsOwnLimits() {
        for (String pattern : List.of("a{1001}", "((a{100}){100}){100}", "(".repeat(1001) + "a" + ")".repeat(1001),
                "\\p{Old_Italic}", "x**", "(?P<>a)")) {
            assertThatThrownBy(() -> GoRegexp.compile(pattern)).as(pattern).isInstanceOf(HostBuiltin.Undefined.class);
        }
    }

    @Test
    void aCaseFoldedAlternativeIsNotMergedAwayByRe2jsFactoring() throws Exception {
        // re2j's Regexp.equals ignores the fold flag; Go matches both cases of the second alternative.
        GoRegexp re = GoRegexp.compile("xO|(?i)xO");
        assertThat(re.findAllStrings("xo xO XO", -1)).containsExactly("xo", "xO", "XO");
    }

    @Test
    void aGroupGoSimplifiesAwayIsUnmatchedNotEmpty() throws Exception {
        GoRegexp re = GoRegexp.compile("(a){0}b");
        List<int[]> matches = re.findAll("b", -1, true);
        assertThat(matches).hasSize(1);
        assertThat(matches.get(0)).containsExactly(0, 1, -1, -1);
        assertThat(re.replaceAll("b", "[$1]")).isEqualTo("[]");
    }

    @Test
    void caseFoldingAndUnicodeClassesFollowGosTablesNotTheJdksOrRe2js() throws Exception {
        // U+1C90 GEORGIAN MTAVRULI (Unicode 11) folds with U+10D0; re2j's tables are Unicode 6.
        assertThat(GoRegexp.compile("(?i)\u10d0").matches("\u1c90")).isTrue();
        assertThat(GoRegexp.compile("^\\p{Lu}$").matches("\u1c90")).isTrue();
        assertThat(GoRegexp.compile("^\\p{Letter}+$").matches("héllo")).isTrue();
    }

    @Test
    void aReplaceResultBeyondTheLimitIsUndefined() throws Exception {
        GoRegexp re = GoRegexp.compile("");
        assertThatThrownBy(() -> re.replaceAll("a".repeat(5_000), "x".repeat(4_000)))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void aGlobSearchThatWouldTakeExponentialTimeGivesUpAsUndefined() {
        // opa takes 1.4 s for 12 repetitions and about five times longer for each one more.
        assertThatThrownBy(() -> GlobIntersection.nonEmpty(".*a".repeat(16) + ".*b", "a".repeat(32) + "c*"))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void aLongGlobIsSearchedWithoutOverflowingTheStack() throws Exception {
        assertThat(GlobIntersection.nonEmpty("ab*".repeat(20_000), "ab".repeat(20_000))).isTrue();
    }
}
