package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo runs end to end on a free port and shows each control it promises. */
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void demoShowsAnAllowedAndADeniedReadTheRefreshTheThrottledCallAndTheRevocationAndLeaksNoToken() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path credentials = dir.resolve("credentials");
        Demo.run(OrdersServerSettings.builder().port(0).auditFile(dir.resolve("audit.jsonl"))
                .credentialsDir(credentials).build(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String output = bytes.toString(StandardCharsets.UTF_8);

        assertThat(output)
                .containsPattern("get_order +\\{\"order_id\":\"acme-1004\"\\}\\R +DENIED +reason=prompt_injection")
                .contains("**** **** **** 1111").doesNotContain("4111 1111 1111 1111", "accounts@acme-customer")
                .contains("resources/list -> orders://acme/")
                .containsPattern("resources/read +orders://acme/1001\\R +ALLOWED +\\{")
                .containsPattern("resources/read +orders://globex/2001\\R +DENIED +reason=cross_tenant decision_id=")
                .contains("resources/read orders://globex/2001")
                .contains("== downstream credential (payments-api)")
                .contains("credential payments-api refreshed (token request #1)")
                .doesNotContain("token request #2")
                .contains("token requests to the issuer: 1")
                .contains("== throttling")
                .contains("#4 DENIED      reason=rate_limited retry_after_seconds=")
                .contains("== revocation")
                .contains("REFUSED: HTTP 401")
                .contains("bob   list_orders -> ALLOWED")
                .contains("credential=cred-");
        // A JWT starts with the base64 of '{"' ; none may reach the output.
        assertThat(output).doesNotContain("eyJ");
        assertThat(Files.readString(dir.resolve("audit.jsonl"))).doesNotContain("eyJ");
        // (The store file holds random base64 ciphertext, so "eyJ" may occur there by chance; the exact tokens are
        // checked against it in PaymentsCredentialEndToEndTest.)
        assertThat(credentials.resolve("credentials.json")).exists();
    }
}
