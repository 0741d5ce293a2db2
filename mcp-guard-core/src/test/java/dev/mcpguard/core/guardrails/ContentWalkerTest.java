package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Finding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContentWalkerTest {

    private final List<String> seen = new ArrayList<>();

    private boolean walk(Object value, ContentWalker.Limits limits) {
        return ContentWalker.walk(value, "$", limits, (path, text) -> seen.add(path + "=" + text));
    }

    @Test
    void visitsEveryStringValueAndKeyWithItsJsonPath() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("note", "hello");
        value.put("odd key's", List.of("a", 1, true, Map.of("x", "y")));
        value.put("n", 5);

        assertThat(walk(value, ContentWalker.Limits.DEFAULTS)).isTrue();

        assertThat(seen).containsExactly("$.note=note", "$.note=hello", "$['odd key\\'s']=odd key's",
                "$['odd key\\'s'][0]=a", "$['odd key\\'s'][3].x=x", "$['odd key\\'s'][3].x=y", "$.n=n");
    }

    @Test
    void stopsAtEachLimitAndSaysSo() {
        assertThat(walk(List.of(List.of(List.of("deep"))), new ContentWalker.Limits(2, 100, 100))).isFalse();
        assertThat(seen).isEmpty();

        assertThat(walk(List.of("a", "b", "c"), new ContentWalker.Limits(8, 2, 100))).isFalse();
        assertThat(seen).containsExactly("$[0]=a", "$[1]=b");

        seen.clear();
        assertThat(walk(List.of("abcd", "efgh"), new ContentWalker.Limits(8, 100, 6))).isFalse();
        assertThat(seen).containsExactly("$[0]=abcd", "$[1]=ef");
    }

    @Test
    void aValueThatIsNotJsonLikeMakesTheWalkIncomplete() {
        assertThat(walk(List.of("a", new Object()), ContentWalker.Limits.DEFAULTS)).isFalse();
        assertThat(walk(Map.of(1, "x"), ContentWalker.Limits.DEFAULTS)).isFalse();
        assertThat(walk("just text", ContentWalker.Limits.DEFAULTS)).isTrue();
    }

    @Test
    void pathsEscapeControlCharactersAndBoundLongKeys() {
        assertThat(ContentWalker.child("$", "a\nb")).isEqualTo("$['a\\u000ab']");
        assertThat(ContentWalker.child("$", "k".repeat(300))).hasSize(1 + 2 + 128 + 5).endsWith("...']");
    }

    @Test
    void aFindingNeverHoldsAnInvalidNameAndCutsLongPaths() {
        assertThat(new Finding("pii.email", "pii.email.rfc5322", "$." + "a".repeat(400), 1).path())
                .hasSize(Finding.MAX_PATH_LENGTH).endsWith("...");
        assertThatThrownBy(() -> new Finding("PII EMAIL", "r", "$", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("PII EMAIL");
        assertThatThrownBy(() -> new Finding("pii", "r", "$", 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Finding("pii", "r", "$", Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Finding("pii", "r", "x", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
