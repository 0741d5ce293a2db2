package dev.mcpguard.core.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/** Encodes credential material as the JSON plaintext that is encrypted. The one place that reveals stored secrets. */
final class MaterialCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MaterialCodec() {
    }

    static byte[] encode(CredentialMaterial material) {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", 1);
        if (material instanceof StaticSecret s) {
            node.put("type", "static");
            node.put("value", s.value().revealUtf8());
        } else {
            OAuthGrant g = (OAuthGrant) material;
            node.put("type", "oauth2");
            node.put("grant_type", g.grantType().name());
            node.put("token_endpoint", g.tokenEndpoint().toString());
            node.put("client_id", g.clientId());
            g.clientSecret().ifPresent(v -> node.put("client_secret", v.revealUtf8()));
            g.accessToken().ifPresent(v -> node.put("access_token", v.revealUtf8()));
            g.refreshToken().ifPresent(v -> node.put("refresh_token", v.revealUtf8()));
            g.expiresAt().ifPresent(v -> node.put("expires_at", v.toString()));
            ArrayNode scopes = node.putArray("scopes");
            g.scopes().stream().sorted().forEach(scopes::add);
            g.audience().ifPresent(v -> node.put("audience", v));
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("credential material could not be encoded", null);
        }
    }

    static CredentialMaterial decode(byte[] plaintext) {
        JsonNode node;
        try {
            node = JSON.readTree(plaintext);
        } catch (IOException e) {
            // Never attach the parser's exception: its message may quote the plaintext.
            throw new IllegalArgumentException("decrypted credential is not valid JSON");
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
        if (node == null || node.path("v").asInt() != 1) {
            throw new IllegalArgumentException("decrypted credential has an unknown format version");
        }
        String type = node.path("type").asText("");
        if (type.equals("static")) {
            return new StaticSecret(Secret.ofUtf8(required(node, "value")));
        }
        if (!type.equals("oauth2")) {
            throw new IllegalArgumentException("decrypted credential has an unknown type");
        }
        Set<String> scopes = new LinkedHashSet<>();
        node.path("scopes").forEach(s -> scopes.add(s.asText()));
        return new OAuthGrant(
                GrantType.valueOf(required(node, "grant_type")),
                URI.create(required(node, "token_endpoint")),
                required(node, "client_id"),
                secret(node, "client_secret"),
                secret(node, "access_token"),
                secret(node, "refresh_token"),
                text(node, "expires_at").map(Instant::parse),
                scopes,
                text(node, "audience"));
    }

    private static String required(JsonNode node, String field) {
        return text(node, field).orElseThrow(
                () -> new IllegalArgumentException("decrypted credential lacks field " + field));
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static Optional<Secret> secret(JsonNode node, String field) {
        return text(node, field).map(Secret::ofUtf8);
    }
}
