package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Finding;
import dev.mcpguard.core.chain.ToolResultAccess;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SensitiveDataRedactorTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T09:00:00Z"), ZoneOffset.UTC);
    private static final String TOKEN = SecretDetectorTest.githubToken("ghp", "SyntheticTestToken0123456789ab");

    private final SensitiveDataRedactor redactor = SensitiveDataRedactor.of(SensitiveDataConfig.ofDefaults(), CLOCK);

    @Test
    void masksPersonalDataKeepingItsShapeAndSecretsWhole() {
        assertThat(redactor.redactText("card 4111 1111 1111 1111 ok")).isEqualTo("card **** **** **** 1111 ok");
        assertThat(redactor.redactText("mail jane.doe@example.com.")).isEqualTo("mail j*******@e******.com.");
        assertThat(redactor.redactText("IBAN CZ65 0800 0000 1920 0014 5399"))
                .isEqualTo("IBAN CZ** **** **** **** **** 5399");
        assertThat(redactor.redactText("SSN 078-05-1120")).isEqualTo("SSN ***-**-1120");
        assertThat(redactor.redactText("call (650) 253-0000")).isEqualTo("call (***) ***-**00");
        assertThat(redactor.redactText("rc 785101/1234")).isEqualTo("rc ******/****");
        assertThat(redactor.redactText("use " + TOKEN + " now")).isEqualTo("use [REDACTED:secret.github_token] now");
        assertThat(redactor.redactText("nothing here")).isEqualTo("nothing here");
    }

    @Test
    void mergesOverlappingSpansAndMasksAMixOfKindsWhole() {
        String text = "abcdefghij";
        List<TextMatch> overlapping = List.of(new TextMatch(0, 6, "pii.email", "r", 1),
                new TextMatch(4, 8, "pii.phone", "r", 1));
        assertThat(SensitiveDataMasks.mask(text, overlapping)).isEqualTo("********ij");
        List<TextMatch> withSecret = List.of(new TextMatch(0, 6, "pii.email", "r", 1),
                new TextMatch(2, 9, "secret.jwt", "r", 1));
        assertThat(SensitiveDataMasks.mask(text, withSecret)).isEqualTo("[REDACTED:secret.jwt]j");
        assertThat(SensitiveDataMasks.mask(text, List.of(new TextMatch(3, 5, "prompt_injection", "r", 1))))
                .isEqualTo("abc[REDACTED:prompt_injection]fghij");
    }

    @Test
    void redactsACopyOfATreeLeavingTheOriginalAndUnchangedBranchesAlone() {
        Map<String, Object> customer = new LinkedHashMap<>();
        customer.put("email", "jane.doe@example.com");
        customer.put("tier", "gold");
        Map<String, Object> unchanged = new LinkedHashMap<>(Map.of("sku", "A-1"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("customer", customer);
        result.put("items", new ArrayList<>(List.of(unchanged, "paid with 4111 1111 1111 1111")));
        result.put("total", 12.5);

        SensitiveDataRedactor.Redaction redaction = redactor.redact(result, "$", ContentWalker.Limits.DEFAULTS);

        assertThat(redaction.complete()).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) redaction.value();
        assertThat(copy).isNotSameAs(result);
        assertThat(((Map<?, ?>) copy.get("customer")).get("email")).isEqualTo("j*******@e******.com");
        assertThat(((List<?>) copy.get("items")).get(0)).isSameAs(unchanged);
        assertThat(((List<?>) copy.get("items")).get(1)).isEqualTo("paid with **** **** **** 1111");
        assertThat(copy.get("total")).isEqualTo(12.5);
        assertThat(customer.get("email")).isEqualTo("jane.doe@example.com"); // the handler's value is untouched
        assertThat(redaction.findings()).extracting(Finding::kind, Finding::path).containsExactly(
                org.assertj.core.groups.Tuple.tuple("pii.email", "$.customer.email"),
                org.assertj.core.groups.Tuple.tuple("pii.payment_card", "$.items[1]"));
        assertThat(redaction.keyFindings()).isEmpty();

        Map<String, Object> clean = Map.of("a", "b");
        assertThat(redactor.redact(clean, "$", ContentWalker.Limits.DEFAULTS).value()).isSameAs(clean);
    }

    @Test
    void reportsAKeyWithAFindingWithoutRewritingIt() {
        Map<String, Object> byEmail = Map.of("jane.doe@example.com", "gold");
        SensitiveDataRedactor.Redaction redaction = redactor.redact(byEmail, "$", ContentWalker.Limits.DEFAULTS);
        assertThat(redaction.value()).isSameAs(byEmail);
        assertThat(redaction.keyFindings()).extracting(Finding::kind).containsExactly("pii.email");
        assertThat(redaction.findings()).hasSize(1);
    }

    @Test
    void failsClosedWhenALimitStopsTheWalk() {
        List<String> big = List.of("jane@example.com", "john@example.com", "x");
        SensitiveDataRedactor.Redaction redaction = redactor.redact(big, "$", new ContentWalker.Limits(8, 2, 1000));
        assertThat(redaction.complete()).isFalse();
        assertThat(redaction.value()).isNull();
        assertThat(redactor.scan(big, "$", new ContentWalker.Limits(8, 2, 1000)).complete()).isFalse();
    }

    @Test
    void redactsToolResultPartsAtTheirResultPaths() {
        ToolResultAccess.Parts parts = new ToolResultAccess.Parts(Map.of("note", "jane@example.com"),
                java.util.Arrays.asList("{\"note\":\"jane@example.com\"}", null, "plain"));
        SensitiveDataRedactor.Redaction redaction = redactor.redact(parts, ContentWalker.Limits.DEFAULTS);
        ToolResultAccess.Parts masked = (ToolResultAccess.Parts) redaction.value();
        assertThat(masked.structuredContent()).isEqualTo(Map.of("note", "j***@e******.com"));
        assertThat(masked.texts()).containsExactly("{\"note\":\"j***@e******.com\"}", null, "plain");
        assertThat(redaction.findings()).extracting(Finding::path)
                .containsExactly("$.structuredContent.note", "$.content[0].text");
    }

    @Test
    void findingsNeverCarryTheMatchedText() {
        SensitiveDataRedactor.Scan scan = redactor.scan(Map.of("k", "token " + TOKEN + " and 4111111111111111"), "$",
                ContentWalker.Limits.DEFAULTS);
        assertThat(scan.findings()).hasSize(2);
        assertThat(scan.findings().toString()).doesNotContain(TOKEN).doesNotContain("4111111111111111");
    }

    @Test
    void aConfigRejectsUnknownKindsAndRegionsNamingThem() {
        assertThatThrownBy(() -> SensitiveDataConfig.custom().kinds(List.of("pii.shoe_size")))
                .hasMessageContaining("pii.shoe_size");
        assertThatThrownBy(() -> SensitiveDataConfig.custom().phoneRegion("XX")).hasMessageContaining("XX");
        SensitiveDataRedactor cardsOnly = SensitiveDataRedactor.of(
                SensitiveDataConfig.custom().kinds(List.of("pii.payment_card")).build(), CLOCK);
        assertThat(cardsOnly.redactText("jane@example.com 4111111111111111"))
                .isEqualTo("jane@example.com ************1111");
    }
}
