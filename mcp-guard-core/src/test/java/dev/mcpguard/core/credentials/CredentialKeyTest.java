package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.credentials.CredentialKey.Owner;
import org.junit.jupiter.api.Test;

class CredentialKeyTest {

    @Test
    void aUserOwnerNamesTheIssuerAndTheSubject() {
        Owner parsed = Owner.parse("user:https://login.example.com|alice");

        assertThat(parsed).isEqualTo(Owner.user("https://login.example.com", "alice"));
        assertThat(parsed.id()).isEqualTo("https://login.example.com|alice");
        assertThat(parsed.toString()).isEqualTo("user:https://login.example.com|alice");
        assertThat(Owner.parse("user:api-key|billing-bot")).isEqualTo(Owner.user("api-key", "billing-bot"));
        assertThat(Owner.parse("service:orders")).isEqualTo(Owner.service("orders"));
    }

    @Test
    void aUserOwnerWithoutAnIssuerIsRefusedWithAHint() {
        for (String text : new String[] {"user:alice", "user:|alice", "user:https://login.example.com|", "robot:x"}) {
            assertThatThrownBy(() -> Owner.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("user:<issuer>|<subject>").hasMessageContaining(text);
        }
    }

    @Test
    void anIssuerContainingTheSeparatorCannotOwnUserCredentials() {
        assertThatThrownBy(() -> Owner.user("https://a|b", "c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("https://a|b");
    }
}
