package dev.mcpguard.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientTextTest {

    @Test
    void escapesLineBreaksSoAClientCannotForgeALogLine() {
        assertThat(ClientText.forLog("alice\n2026-01-01 ERROR AuditGuard forged", 200))
                .isEqualTo("alice\\u000a2026-01-01 ERROR AuditGuard forged")
                .doesNotContain("\n");
    }

    @Test
    void escapesBidiZeroWidthSeparatorsAndLoneSurrogates() {
        assertThat(ClientText.forLog("a\u202Eb\u200Bc\u2028d\ud800e", 200))
                .isEqualTo("a\\u202eb\\u200bc\\u2028d\\ud800e");
    }

    @Test
    void escapesBackslashSoEscapesCannotBeFaked() {
        assertThat(ClientText.forLog("a\\u000ab", 200)).isEqualTo("a\\\\u000ab");
    }

    @Test
    void keepsOrdinaryUnicodeIncludingSurrogatePairs() {
        assertThat(ClientText.forLog("Zoë 😀 東京", 200)).isEqualTo("Zoë 😀 東京");
    }

    @Test
    void cutsLongTextAndSaysHowMuchWasLeftOff() {
        String big = "x".repeat(1_000_000);
        assertThat(ClientText.forLog(big, 10)).isEqualTo("xxxxxxxxxx...(+999990 chars)");
    }

    @Test
    void neverCutsASurrogatePairInTwo() {
        assertThat(ClientText.forLog("abc😀def", 4)).isEqualTo("abc...(+5 chars)");
    }

    @Test
    void nullIsRenderedAsNull() {
        assertThat(ClientText.forLog(null, 10)).isEqualTo("null");
        assertThat(ClientText.forClient(null, 10)).isEmpty();
    }

    @Test
    void clientTextTurnsControlsIntoSpacesAndCuts() {
        assertThat(ClientText.forClient(" a\nb\u202Ec ", 200)).isEqualTo("a b c");
        assertThat(ClientText.forClient("abcdef", 3)).isEqualTo("abc");
    }

    @Test
    void clientTextTurnsLoneSurrogatesAndUnassignedCodePointsIntoSpacesButKeepsPairs() {
        assertThat(ClientText.forClient("a\uD800b\u0378c😀", 200)).isEqualTo("a b c😀");
    }

    @Test
    void clientTextNeverCutsASurrogatePairInTwo() {
        assertThat(ClientText.forClient("ab😀", 3)).isEqualTo("ab");
    }

    @Test
    void withoutInvisibleDeletesTheSameCharactersAndDoesNotStrip() {
        assertThat(ClientText.withoutInvisible(" rev\n\u202e4\u200b2\uDC00 ", 200)).isEqualTo(" rev42 ");
        assertThat(ClientText.withoutInvisible("abc😀", 4)).isEqualTo("abc");
        assertThat(ClientText.withoutInvisible(null, 4)).isEmpty();
    }

    @Test
    void quotedHeaderTextKeepsPrintableAsciiWithoutQuoteOrBackslash() {
        assertThat(ClientText.forQuotedHeader("bad \"quote\" \\ and\r\nnewline é", 200))
                .isEqualTo("bad quote  andnewline ");
        assertThat(ClientText.forQuotedHeader("abcdef", 3)).isEqualTo("abc");
    }

    @Test
    void logTextEscapesUnassignedCodePointsToo() {
        assertThat(ClientText.forLog("a\u0378b", 200)).isEqualTo("a\\u0378b");
    }
}
