package dev.mcpguard.core.audit;

import dev.mcpguard.api.Secret;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArgumentSummarizerTest {

    private static final Secret KEY_A = key('a');
    private static final Secret KEY_B = key('b');

    private final ArgumentSummarizer summarizer = ArgumentSummarizer.builder(KEY_A).build();

    @Test
    void hashesTheSameValueEquallyUnderTheSameKey() {
        Map<String, String> first = summarizer.summarize(Map.of("email", "alice@example.com"));
        Map<String, String> second = ArgumentSummarizer.builder(KEY_A).build()
                .summarize(Map.of("email", "alice@example.com"));

        assertThat(first.get("email")).matches("hmac-sha256:[0-9a-f]{64}").isEqualTo(second.get("email"));
    }

    @Test
    void hashesTheSameValueDifferentlyUnderAnotherKey() {
        ArgumentSummarizer other = ArgumentSummarizer.builder(KEY_B).build();

        assertThat(other.hashOf("alice@example.com")).isNotEqualTo(summarizer.hashOf("alice@example.com"));
    }

    @Test
    void hashIsAPlainHmacOfTheCanonicalJsonSoItCanBeVerifiedOffline() throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(KEY_A.revealBytes(), "HmacSHA256"));
        String expected = "hmac-sha256:" + java.util.HexFormat.of()
                .formatHex(mac.doFinal("{\"a\":[1,true,null],\"b\":\"A-10017\"}".getBytes(StandardCharsets.UTF_8)));

        assertThat(summarizer.hashOf(Map.of("b", "A-10017", "a", Arrays.asList(1.0, true, null)))).isEqualTo(expected);
    }

    @Test
    void hashesDifferentValuesDifferently() {
        assertThat(summarizer.hashOf("a")).isNotEqualTo(summarizer.hashOf("b"));
        assertThat(summarizer.hashOf("1")).isNotEqualTo(summarizer.hashOf(1));
    }

    @Test
    void hashesNestedMapsWithDifferentKeyOrderEqually() {
        Map<String, Object> inner1 = new LinkedHashMap<>();
        inner1.put("b", 2);
        inner1.put("a", List.of(1, "x", Map.of("z", true, "y", false)));
        Map<String, Object> inner2 = new LinkedHashMap<>();
        inner2.put("a", List.of(1L, "x", new LinkedHashMap<>(Map.of("y", false, "z", true))));
        inner2.put("b", new BigDecimal("2.00"));

        assertThat(summarizer.summarize(Map.of("filter", inner1)))
                .isEqualTo(summarizer.summarize(Map.of("filter", inner2)));
    }

    @Test
    void hashesNumbersOfDifferentJavaTypesButEqualValueEqually() {
        assertThat(summarizer.hashOf(1)).isEqualTo(summarizer.hashOf(1L)).isEqualTo(summarizer.hashOf(1.0))
                .isEqualTo(summarizer.hashOf(new BigDecimal("1.000")));
        assertThat(summarizer.hashOf(0.1f)).isEqualTo(summarizer.hashOf(0.1));
        assertThat(summarizer.hashOf(1.5)).isNotEqualTo(summarizer.hashOf(1));
    }

    @Test
    void writesConfiguredRawScalarFieldsAsTheyAreAndHashesTheRest() {
        ArgumentSummarizer withRaw = ArgumentSummarizer.builder(KEY_A)
                .rawFields(Set.of("region", "count", "express", "filter")).build();
        Map<String, Object> args = new HashMap<>();
        args.put("region", "eu-west-1");
        args.put("count", 3);
        args.put("express", true);
        args.put("filter", Map.of("status", "open"));
        args.put("email", "alice@example.com");

        Map<String, String> summary = withRaw.summarize(args);

        assertThat(summary).containsEntry("region", "eu-west-1").containsEntry("count", "3")
                .containsEntry("express", "true");
        assertThat(summary.get("filter")).startsWith(ArgumentSummarizer.HASH_PREFIX);
        assertThat(summary.get("email")).startsWith(ArgumentSummarizer.HASH_PREFIX);
    }

    @Test
    void matchesRawFieldNamesExactly() {
        ArgumentSummarizer withRaw = ArgumentSummarizer.builder(KEY_A).rawFields(Set.of("region")).build();

        Map<String, String> summary = withRaw.summarize(Map.of("Region", "eu", "region\u0000", "us"));

        assertThat(summary.values()).allMatch(v -> v.startsWith(ArgumentSummarizer.HASH_PREFIX));
    }

    @Test
    void truncatesLongRawValues() {
        ArgumentSummarizer withRaw = ArgumentSummarizer.builder(KEY_A).rawFields(Set.of("note"))
                .maxRawValueLength(10).build();

        assertThat(withRaw.summarize(Map.of("note", "0123456789abcdef"))).containsEntry("note", "0123456789…");
    }

    @Test
    void rejectsASecretLookingRawFieldAtBuildTimeNamingIt() {
        for (String name : List.of("password", "db_Password", "clientSecret", "access_token", "api_key",
                "Authorization", "credentials", "cookie", "session_id")) {
            assertThatThrownBy(() -> ArgumentSummarizer.builder(KEY_A).rawFields(Set.of("region", name)).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + name + "'");
        }
    }

    @Test
    void rejectsAShortKeyShowingItsLength() {
        assertThatThrownBy(() -> ArgumentSummarizer.builder(Secret.ofUtf8("too-short")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 9 bytes");
    }

    @Test
    void rejectsOutOfRangeLimitsShowingTheValue() {
        assertThatThrownBy(() -> ArgumentSummarizer.builder(KEY_A).maxFields(0))
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> ArgumentSummarizer.builder(KEY_A).maxNameLength(2))
                .hasMessageContaining("got 2");
        assertThatThrownBy(() -> ArgumentSummarizer.builder(KEY_A).maxRawValueLength(-5))
                .hasMessageContaining("got -5");
    }

    @Test
    void neverWritesSecretValues() {
        Map<String, Object> args = Map.of("password", "hunter2-Pa55!", "api_key", "sk_live_51HxYz",
                "note", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig");

        String summary = summarizer.summarize(args).toString();

        assertThat(summary).doesNotContain("hunter2", "sk_live", "eyJhbGciOiJIUzI1NiJ9");
        assertThat(summarizer.toString()).doesNotContain("aaaa");
    }

    @Test
    void boundsTheNumberOfFieldsAndCountsTheRest() {
        ArgumentSummarizer bounded = ArgumentSummarizer.builder(KEY_A).maxFields(3).build();
        Map<String, Object> args = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            args.put("f" + i, i);
        }

        Map<String, String> summary = bounded.summarize(args);

        assertThat(summary).hasSize(4).containsKeys("f0", "f1", "f2")
                .containsEntry(ArgumentSummarizer.TRUNCATED_MARKER, "7");
    }

    @Test
    void boundsNameLengthAndStripsCharactersThatCouldForgeLines() {
        ArgumentSummarizer bounded = ArgumentSummarizer.builder(KEY_A).maxNameLength(16).build();
        Map<String, Object> args = new HashMap<>();
        args.put("x".repeat(10_000), 1);
        args.put("evil\n{\"event_id\":\"x\"}\u2028\u202e\u0000", 2);

        Map<String, String> summary = bounded.summarize(args);

        assertThat(summary.keySet()).allMatch(name -> name.length() <= 16)
                .allMatch(name -> name.codePoints().noneMatch(Character::isISOControl))
                .noneMatch(name -> name.contains("\u2028") || name.contains("\u202e"))
                .contains("x".repeat(16), "evil{\"event_id\":");
    }

    @Test
    void keepsDistinctNamesThatSanitizeToTheSameName() {
        Map<String, String> summary = summarizer.summarize(Map.of("a\nb", 1, "ab", 2));

        assertThat(summary).containsOnlyKeys("ab", "ab~2");
    }

    @Test
    void survivesDeeplyNestedAndCyclicValues() {
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        List<Object> deep = List.of();
        for (int i = 0; i < 5_000; i++) {
            deep = List.of(deep);
        }

        assertThat(summarizer.summarize(Map.of("cyclic", cyclic, "deep", deep)).values())
                .allMatch(v -> v.startsWith(ArgumentSummarizer.HASH_PREFIX));
    }

    @Test
    void correlatesHashesWithinOneRandomKeyedInstanceOnly() {
        ArgumentSummarizer first = ArgumentSummarizer.withRandomKey();
        ArgumentSummarizer second = ArgumentSummarizer.withRandomKey();

        assertThat(first.hashOf("v")).isEqualTo(first.hashOf("v")).isNotEqualTo(second.hashOf("v"));
    }

    @Test
    void hashesConsistentlyFromManyThreads() throws Exception {
        String expected = summarizer.hashOf(Map.of("k", List.of(1, 2, 3)));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Callable<Boolean> task = () -> {
                for (int i = 0; i < 2_000; i++) {
                    if (!summarizer.hashOf(Map.of("k", List.of(1, 2, 3))).equals(expected)) {
                        return false;
                    }
                }
                return true;
            };
            List<Future<Boolean>> results = pool.invokeAll(java.util.Collections.nCopies(8, task));
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Secret key(char c) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) c);
        return Secret.ofBytes(new String(bytes, StandardCharsets.US_ASCII).getBytes(StandardCharsets.US_ASCII));
    }
}
