package dev.mcpguard.core.obligations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObligationsGuardPathsTest {

    @Test
    void eachListOfPathsIsParsedAsItIsEvenWhenAnEqualOneWasParsedBefore() {
        List<String> texts = new ArrayList<>(List.of("customer.email", "orders.*.card"));

        List<RedactionPath> first = ObligationsGuard.paths(texts);
        texts.set(0, "customer.phone");
        List<RedactionPath> afterChange = ObligationsGuard.paths(texts);

        assertThat(first).extracting(RedactionPath::toString).containsExactly("customer.email", "orders.*.card");
        assertThat(afterChange).extracting(RedactionPath::toString).containsExactly("customer.phone", "orders.*.card");
    }

    @Test
    void aListThatDoesNotParseIsRefusedEveryTime() {
        List<String> bad = List.of("customer.email", "customer..phone");

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> ObligationsGuard.paths(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> ObligationsGuard.paths(List.of("a", 1))).isInstanceOf(IllegalArgumentException.class);
    }
}
