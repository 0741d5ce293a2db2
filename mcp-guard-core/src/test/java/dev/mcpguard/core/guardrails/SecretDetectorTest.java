package dev.mcpguard.core.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretDetectorTest {

    private final SecretDetector detector = new SecretDetector(SecretDetector.KINDS);

    /** A synthetic GitHub-shaped token with a correct checksum (never a real one). */
    static String githubToken(String prefix, String random30) {
        return prefix + "_" + random30 + SecretDetector.githubChecksum(random30);
    }

    private List<String> kindsIn(String text) {
        return detector.scan(text).stream().map(TextMatch::kind).toList();
    }

    private String matched(String text) {
        List<TextMatch> matches = detector.scan(text);
        assertThat(matches).hasSize(1);
        return text.substring(matches.get(0).start(), matches.get(0).end());
    }

    @Test
    void findsGithubTokensOnlyWithTheirCrc32Checksum() {
        String token = githubToken("ghp", "SyntheticTestToken0123456789ab");
        assertThat(matched("export GH=" + token + ";")).isEqualTo(token);
        assertThat(detector.scan(token).get(0).confidence()).isEqualTo(1.0);
        assertThat(kindsIn(githubToken("ghs", "SyntheticTestToken0123456789cd"))).containsExactly("secret.github_token");
        String wrong = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
        assertThat(kindsIn(wrong)).isEmpty();
        assertThat(SecretDetector.githubChecksum("")).isEqualTo("000000");
        assertThat(kindsIn("github_pat_" + "A".repeat(11) + "b".repeat(11) + "_" + "C1".repeat(29) + "d"))
                .containsExactly("secret.github_token");
    }

    @Test
    void findsCloudKeys() {
        assertThat(matched("key AKIAIOSFODNN7EXAMPLE")).isEqualTo("AKIAIOSFODNN7EXAMPLE");
        assertThat(matched("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
                .isEqualTo("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assertThat(kindsIn("checksum wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).isEmpty(); // no AWS keyword
        assertThat(kindsIn("aws commit 3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c")).isEmpty(); // a SHA, one case
        assertThat(matched("maps AIzaSyDsyntheticTestKey_0123456789abcde, ok"))
                .isEqualTo("AIzaSyDsyntheticTestKey_0123456789abcde");
    }

    @Test
    void findsGitlabAndSlackTokensAndWebhooks() {
        assertThat(kindsIn("GITLAB=glpat-SyntheticTest12345678")).containsExactly("secret.gitlab_token");
        assertThat(kindsIn("bot xoxb-123456789012-1234567890123-SyntheticTestValue"))
                .containsExactly("secret.slack_token");
        assertThat(kindsIn("post to https://hooks.slack.com/services/T00000000/B00000000/SyntheticTestXXXXXXXXXXXX"))
                .containsExactly("secret.slack_token");
    }

    @Test
    void findsJwtsWhoseHeaderDecodesToJsonWithAlg() {
        String header = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        String jwt = header + "." + b64("{\"sub\":\"synthetic\"}") + ".c2lnbmF0dXJl";
        assertThat(matched("Authorization: Bearer " + jwt)).isEqualTo(jwt);
        assertThat(kindsIn(b64("{\"typ\":\"JWT\"}") + "." + b64("{}") + ".abc")).isEmpty(); // no alg
        assertThat(kindsIn("eyJub3QganNvbg.eyJhYmMi.abc")).isEmpty(); // header is not JSON
    }

    @Test
    void findsPemPrivateKeyBlocksWholeAndWhenCutOff() {
        String key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
                + "-----END OPENSSH PRIVATE KEY-----";
        assertThat(matched("id_ed25519:\n" + key + "\nthanks")).isEqualTo(key);
        String encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQww";
        assertThat(matched(encrypted)).isEqualTo(encrypted);
        assertThat(kindsIn("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n")).isEmpty();
    }

    @Test
    void findsHighEntropyValuesRightAfterASecretKeyword() {
        assertThat(matched("db_password=Xk9$qL2vR7pZ4mW8sT1nB6")).isEqualTo("Xk9$qL2vR7pZ4mW8sT1nB6");
        assertThat(matched("{\"api_key\": \"q8ZrT2mK9vL4xW7pN3sB6yH1\"}")).isEqualTo("q8ZrT2mK9vL4xW7pN3sB6yH1");
        assertThat(matched("my token is 7fG2kL9pQ4rT8vX1zB5nM3c")).isEqualTo("7fG2kL9pQ4rT8vX1zB5nM3c");
        assertThat(kindsIn("password=aaaaaaaaaaaaaaaaaaaaaaaa1")).isEmpty(); // low entropy
        assertThat(kindsIn("password_reset_link_was_sent_to_you")).isEmpty();
        assertThat(kindsIn("a random Xk9qL2vR7pZ4mW8sT1nB6 without a keyword")).isEmpty();
        assertThat(SecretDetector.entropy("abcd")).isEqualTo(2.0);
    }

    @Test
    void aKnownShapeWinsOverTheGenericRule() {
        String token = githubToken("ghp", "SyntheticTestToken0123456789ef");
        assertThat(kindsIn("token=" + token)).containsExactly("secret.github_token");
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
