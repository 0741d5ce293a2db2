package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ChainDecisionKeyDigestTest {

    private static String digestOf(Object value) throws ChainDecisionKeyDigest.Unencodable {
        ChainDecisionKeyDigest digest = new ChainDecisionKeyDigest();
        digest.writeValue(value);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String digestOfAll(Object... values) throws ChainDecisionKeyDigest.Unencodable {
        ChainDecisionKeyDigest digest = new ChainDecisionKeyDigest();
        for (Object value : values) {
            digest.writeValue(value);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void valuesThatDifferInTypeLoneSurrogatesOrNaNAllGetDistinctDigests() throws Exception {
        String chunk = "x".repeat(ChainDecisionKeyDigest.CHUNK);
        Map<String, Object> nullValue = new HashMap<>();
        nullValue.put("a", null);
        List<Object> values = List.of(
                "NaN", Double.NaN, "Infinity", Double.POSITIVE_INFINITY, "1", 1, 1.5, "1.5", "true", true, false,
                "null", List.of(), Map.of(), "", List.of(""), List.of("a"), "a", Map.of("a", ""), Map.of("", "a"),
                Map.of("ab", ""), Map.of("a", "b"), nullValue, Map.of("a", "null"),
                "A\uD800", "A\uD801", "A\uFFFD", "A?", "\uDC00", "\uDC01", "\uD800\uDC00",
                List.of("a", "b"), List.of("ab"), List.of(List.of("a"), "b"), List.of("a", List.of("b")),
                chunk + "é", chunk + "e", chunk + "\u00e9x", "é" + chunk, "e" + chunk,
                Map.of("a", Map.of("b", 1)), Map.of("a", List.of("b", 1)), Map.of("a", Map.of("b", "1")));

        Set<String> digests = new HashSet<>();
        for (Object value : values) {
            digests.add(digestOf(value));
        }

        assertThat(digests).hasSize(values.size());
    }

    @Test
    void aSequenceOfValuesCannotBeRegroupedIntoAnother() throws Exception {
        assertThat(digestOfAll("ab", "c")).isNotEqualTo(digestOfAll("a", "bc"));
        assertThat(digestOfAll(List.of("a"), "b")).isNotEqualTo(digestOfAll(List.of("a", "b")));
        assertThat(digestOfAll(null, "a")).isNotEqualTo(digestOfAll("a", null));
    }

    @Test
    void aLargeValueDifferingOnlyInItsLastCharacterGetsAnotherDigest() throws Exception {
        String big = "y".repeat(1024 * 1024);

        assertThat(digestOf(Map.of("note", big + "a"))).isNotEqualTo(digestOf(Map.of("note", big + "b")));
        assertThat(digestOf(Map.of("note", big + "a"))).isEqualTo(digestOf(Map.of("note", big + "a")));
    }

    @Test
    void mapEntryOrderAndCollectionTypesDoNotChangeTheDigest() throws Exception {
        Map<String, Object> ab = new LinkedHashMap<>();
        ab.put("a", 1);
        ab.put("b", new ArrayList<>(List.of("x", 2L)));
        Map<String, Object> ba = new TreeMap<>(java.util.Comparator.reverseOrder());
        ba.put("a", 1L);
        ba.put("b", new Object[] {"x", 2});

        assertThat(digestOf(ab)).isEqualTo(digestOf(ba));
    }

    @Test
    void numbersAreDistinguishedAsThePolicyInputWritesThem() throws Exception {
        // 1 and 1.0 are written differently into the policy input (Jackson), so they do not share a key.
        assertThat(digestOf(1)).isNotEqualTo(digestOf(1.0));
        assertThat(digestOf(new BigDecimal("1.0"))).isEqualTo(digestOf(1.0));
        assertThat(digestOf(Float.NaN)).isEqualTo(digestOf(Double.NaN));
    }

    @Test
    void valuesThatAreNoJsonAreRefused() {
        Map<Object, Object> integerKey = new HashMap<>();
        integerKey.put(1, "a");
        Map<String, Object> deep = new HashMap<>();
        Map<String, Object> current = deep;
        for (int i = 0; i <= ChainDecisionKeyDigest.MAX_DEPTH + 1; i++) {
            Map<String, Object> next = new HashMap<>();
            current.put("n", next);
            current = next;
        }
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);

        assertThatThrownBy(() -> digestOf(new Object())).isInstanceOf(ChainDecisionKeyDigest.Unencodable.class);
        assertThatThrownBy(() -> digestOf(new int[] {1})).isInstanceOf(ChainDecisionKeyDigest.Unencodable.class);
        assertThatThrownBy(() -> digestOf(integerKey)).isInstanceOf(ChainDecisionKeyDigest.Unencodable.class);
        assertThatThrownBy(() -> digestOf(deep)).isInstanceOf(ChainDecisionKeyDigest.Unencodable.class);
        assertThatThrownBy(() -> digestOf(cyclic)).isInstanceOf(ChainDecisionKeyDigest.Unencodable.class);
    }
}
