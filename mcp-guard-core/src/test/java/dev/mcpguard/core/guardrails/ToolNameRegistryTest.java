package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tool name conflicts (issue 14): equal names, names equal but for case or separators, names of the same TR39
 * skeleton (ICU4J), and names restricted on their own; the first registered keeps its name.
 */
class ToolNameRegistryTest {

    static final String HASH_A = "sha256:" + "a".repeat(64);
    static final String HASH_B = "sha256:" + "b".repeat(64);

    @ParameterizedTest(name = "{0} then {1}: {2}")
    @CsvSource({
            "get_orders, get_orders, DUPLICATE",
            "get_orders, getOrders, CASE_OR_SEPARATORS",
            "get_orders, Get-Orders, CASE_OR_SEPARATORS",
            "get_orders, get.orders, CASE_OR_SEPARATORS",
            "'get orders', GETORDERS, CASE_OR_SEPARATORS",
            // Cyrillic о (U+043E) for Latin o
            "get_orders, get_\u043erders, CONFUSABLE",
            "read_file1, read_filel, CONFUSABLE",
            "read_fileI, read_filel, CONFUSABLE",
            "term_search, terrn_search, CONFUSABLE",
            // fullwidth letters fold to ASCII under NFKC
            "get, \uFF27\uFF45\uFF54, CASE_OR_SEPARATORS",
    })
    void theSecondOfTwoConflictingNamesIsRefusedAndTheFirstKeepsIt(String first, String second,
                                                                   ToolNames.Kind kind) {
        ToolNameRegistry names = ToolNameRegistry.create();

        assertThat(names.claim("orders", first, HASH_A)).isEmpty();
        Optional<ToolNameRegistry.Conflict> conflict = names.claim("orders", second, HASH_B);

        assertThat(conflict).hasValueSatisfying(c -> {
            assertThat(c.kind()).isEqualTo(kind);
            assertThat(c.with().name()).isEqualTo(first);
            assertThat(c.with().server()).isEqualTo("orders");
        });
        assertThat(names.size()).isEqualTo(1);
        assertThat(names.check("orders", first, HASH_A)).isEmpty();
    }

    @Test
    void theConflictIsFoundAcrossServersSharingTheRegistry() {
        ToolNameRegistry names = ToolNameRegistry.create();
        assertThat(names.claim("orders", "send_email", HASH_A)).isEmpty();

        assertThat(names.claim("mailer", "sendEmail", HASH_B)).hasValueSatisfying(c -> {
            assertThat(c.kind()).isEqualTo(ToolNames.Kind.CASE_OR_SEPARATORS);
            assertThat(c.with().server()).isEqualTo("orders");
        });
        assertThat(names.claim("mailer", "send_email", HASH_A)).hasValueSatisfying(c ->
                assertThat(c.kind()).isEqualTo(ToolNames.Kind.DUPLICATE));
    }

    @Test
    void distinctNamesDoNotConflict() {
        ToolNameRegistry names = ToolNameRegistry.create();
        for (String name : new String[] {"get_order", "get_orders", "list_orders", "refund_order", "get_customer",
                "search", "search_v2", "ping"}) {
            assertThat(names.claim("orders", name, HASH_A)).as(name).isEmpty();
        }
        assertThat(names.size()).isEqualTo(8);
    }

    @Test
    void theSameToolRegisteredAgainByItsServerIsNoConflictButAChangedOneIs() {
        ToolNameRegistry names = ToolNameRegistry.create();
        assertThat(names.claim("orders", "get_order", HASH_A)).isEmpty();

        assertThat(names.claim("orders", "get_order", HASH_A)).isEmpty();
        assertThat(names.claim("orders", "get_order", HASH_B)).hasValueSatisfying(c ->
                assertThat(c.kind()).isEqualTo(ToolNames.Kind.DUPLICATE));
        assertThat(names.claim("billing", "get_order", HASH_A)).isPresent();
    }

    @Test
    void aReleasedNameIsFreeAgainButOnlyForItsServer() {
        ToolNameRegistry names = ToolNameRegistry.create();
        names.claim("orders", "get_order", HASH_A);

        names.release("billing", "get_order");
        assertThat(names.claim("orders", "getOrder", HASH_B)).isPresent();

        names.release("orders", "get_order");
        assertThat(names.size()).isZero();
        assertThat(names.claim("orders", "getOrder", HASH_B)).isEmpty();
    }

    @Test
    void aFullRegistryRefusesFurtherNames() {
        ToolNameRegistry names = ToolNameRegistry.withCapacity(2);
        names.claim("orders", "a", HASH_A);
        names.claim("orders", "b", HASH_A);

        assertThat(names.claim("orders", "c", HASH_A)).hasValueSatisfying(c -> {
            assertThat(c.kind()).isEqualTo(ToolNames.Kind.REGISTRY_FULL);
            assertThat(c.with()).isNull();
        });
        assertThat(names.claim("orders", "a", HASH_A)).as("a name it holds").isEmpty();
        assertThatThrownBy(() -> ToolNameRegistry.withCapacity(0)).hasMessageContaining("got 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "get_\u043erders",          // Latin with a Cyrillic letter
            "\u0440\u0430ypal_send",    // Cyrillic р and а, then Latin
            "get\u200border",           // zero-width space
            "get\u202Eorder",           // right-to-left override
            "\u0669\u0661_count",       // Arabic-Indic digits with Latin
            ""})
    void aNonAsciiMixedScriptOrInvisibleNameIsRestricted(String name) {
        assertThat(ToolNames.isRestricted(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"get_orders", "Get Orders!", "a-b.c_d", "zak\u00e1zn\u00edk_objedn\u00e1vky",
            "\u043f\u043e\u043b\u0443\u0447\u0438\u0442\u044c_\u0437\u0430\u043a\u0430\u0437",
            "\u65e5\u672c\u8a9e_search"})
    void asciiAndSingleScriptNamesAreNotRestricted(String name) {
        assertThat(ToolNames.isRestricted(name)).isFalse();
    }

    @Test
    void anOverlongNameIsRestricted() {
        assertThat(ToolNames.isRestricted("a".repeat(ToolNames.MAX_NAME_LENGTH))).isFalse();
        assertThat(ToolNames.isRestricted("a".repeat(ToolNames.MAX_NAME_LENGTH + 1))).isTrue();
    }
}
