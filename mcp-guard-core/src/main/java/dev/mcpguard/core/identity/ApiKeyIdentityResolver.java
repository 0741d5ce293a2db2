package dev.mcpguard.core.identity;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates service callers by pre-shared API key. Handles {@link PresentedCredential.ApiKey}; any other
 * credential is {@link IdentityResult.NotApplicable}.
 *
 * <p>Keys are configured only as SHA-256 hashes, so a leaked configuration does not leak usable keys. Compute the
 * value an operator puts in configuration with {@link #hashOf(Secret)}. A presented key is hashed and compared
 * with {@link MessageDigest#isEqual} against every configured hash, without early exit, so response time does
 * not reveal which entry (or how much of one) matched. A matching key yields an identity with issuer
 * {@value #ISSUER}, the entry's subject, tenant, scopes and roles, the key id as client id and method
 * {@link CallerIdentity.AuthenticationMethod#API_KEY}; anything else is {@link IdentityResult.Rejected} with
 * {@link ReasonCode#INVALID_TOKEN}.
 *
 * <p>Thread-safe and immutable; build once and share. Arguments are never null.
 * <pre>{@code
 * // once, offline: String hash = ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(generatedKey));
 * IdentityResolver keys = ApiKeyIdentityResolver.builder()
 *     .addKey(ApiKeyIdentityResolver.KeyEntry.of("billing-batch", hashFromConfig, "svc-billing")
 *         .withTenant("acme").withScopes(Set.of("orders:read")))
 *     .build();
 * }</pre>
 */
public final class ApiKeyIdentityResolver implements IdentityResolver {

    /** The issuer of every identity this resolver creates. */
    public static final String ISSUER = "api-key";

    private static final Logger log = LoggerFactory.getLogger(ApiKeyIdentityResolver.class);
    private static final int SHA256_BYTES = 32;

    private final List<Entry> entries;

    private ApiKeyIdentityResolver(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The lowercase hex SHA-256 of {@code apiKey}: the value to configure in {@link KeyEntry#sha256()}.
     * The key itself is never stored.
     */
    public static String hashOf(Secret apiKey) {
        Objects.requireNonNull(apiKey, "apiKey");
        return HexFormat.of().formatHex(sha256(apiKey));
    }

    @Override
    public IdentityResult resolve(PresentedCredential credential) {
        Objects.requireNonNull(credential, "credential");
        if (!(credential instanceof PresentedCredential.ApiKey)) {
            return new IdentityResult.NotApplicable();
        }
        if (credential.value().length() == 0) {
            log.debug("Rejected empty API key");
            return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "api key invalid");
        }
        byte[] presented = sha256(credential.value());
        Entry match = null;
        for (Entry entry : entries) {
            // No early exit: every entry is compared, each in constant time.
            if (MessageDigest.isEqual(presented, entry.hash) && match == null) {
                match = entry;
            }
        }
        if (match == null) {
            log.debug("Rejected API key: no configured key matches");
            return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "api key invalid");
        }
        return new IdentityResult.Authenticated(match.identity);
    }

    @Override
    public String toString() {
        return "ApiKeyIdentityResolver[keys=" + entries.size() + "]";
    }

    private static byte[] sha256(Secret secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.revealBytes());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private record Entry(byte[] hash, CallerIdentity identity) {
    }

    /**
     * One configured key: its id (used as the identity's client id and in logs), its SHA-256 hash (64 hex digits
     * or 44 base64 characters), and the identity it stands for.
     *
     * <p>Immutable. {@code tenant} may be null (no tenant); other components are never null.
     *
     * @param keyId   the key's public id, for example {@code billing-batch-2025}
     * @param sha256  the SHA-256 of the key, hex or base64 (see {@link #hashOf(Secret)})
     * @param subject the principal the key authenticates
     * @param tenant  the principal's tenant, or null
     * @param scopes  the scopes the key grants
     * @param roles   the roles the principal holds
     */
    public record KeyEntry(String keyId, String sha256, String subject, String tenant, Set<String> scopes,
                           Set<String> roles) {

        public KeyEntry {
            requireText(keyId, "keyId");
            Objects.requireNonNull(sha256, "sha256");
            requireText(subject, "subject");
            scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
            roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
            decodeHash(keyId, sha256);
        }

        /** An entry without tenant, scopes or roles. */
        public static KeyEntry of(String keyId, String sha256, String subject) {
            return new KeyEntry(keyId, sha256, subject, null, Set.of(), Set.of());
        }

        /** A copy with {@code tenant}. */
        public KeyEntry withTenant(String tenant) {
            return new KeyEntry(keyId, sha256, subject, tenant, scopes, roles);
        }

        /** A copy with {@code scopes}. */
        public KeyEntry withScopes(Set<String> scopes) {
            return new KeyEntry(keyId, sha256, subject, tenant, scopes, roles);
        }

        /** A copy with {@code roles}. */
        public KeyEntry withRoles(Set<String> roles) {
            return new KeyEntry(keyId, sha256, subject, tenant, scopes, roles);
        }

        @Override
        public String toString() {
            return "KeyEntry[keyId=" + keyId + ", subject=" + subject + ", tenant=" + tenant + "]";
        }
    }

    /**
     * Decodes a configured hash. Error messages show the key id and the value's length but never the value: an
     * operator who pasted the raw key by mistake must not find it in a log.
     */
    private static byte[] decodeHash(String keyId, String sha256) {
        String value = sha256.trim();
        byte[] decoded = null;
        if (value.length() == 2 * SHA256_BYTES && value.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            decoded = HexFormat.of().parseHex(value);
        } else {
            try {
                decoded = value.indexOf('-') >= 0 || value.indexOf('_') >= 0
                        ? Base64.getUrlDecoder().decode(value) : Base64.getDecoder().decode(value);
            } catch (IllegalArgumentException e) {
                decoded = null;
            }
        }
        if (decoded == null || decoded.length != SHA256_BYTES) {
            throw new IllegalArgumentException("sha256 of key '" + keyId + "' must be a SHA-256 hash as 64 hex digits"
                    + " or base64, got a value of length " + value.length()
                    + " (configure ApiKeyIdentityResolver.hashOf(key), never the key itself)");
        }
        return decoded;
    }

    private static void requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank, got '" + value + "'");
        }
    }

    /** Builds an {@link ApiKeyIdentityResolver}. Not thread-safe. */
    public static final class Builder {
        private final List<KeyEntry> keys = new ArrayList<>();

        private Builder() {
        }

        /** Adds a key; key ids and hashes must be unique. */
        public Builder addKey(KeyEntry key) {
            keys.add(Objects.requireNonNull(key, "key"));
            return this;
        }

        /** Validates and builds; at least one key is required. */
        public ApiKeyIdentityResolver build() {
            if (keys.isEmpty()) {
                throw new IllegalStateException("at least one API key is required");
            }
            Set<String> ids = new LinkedHashSet<>();
            List<Entry> entries = new ArrayList<>();
            for (KeyEntry key : keys) {
                if (!ids.add(key.keyId())) {
                    throw new IllegalArgumentException("duplicate API key id '" + key.keyId() + "'");
                }
                byte[] hash = decodeHash(key.keyId(), key.sha256());
                for (Entry existing : entries) {
                    if (MessageDigest.isEqual(existing.hash, hash)) {
                        throw new IllegalArgumentException("API key '" + key.keyId() + "' has the same hash as key '"
                                + existing.identity.clientId().orElseThrow() + "'");
                    }
                }
                CallerIdentity identity = CallerIdentity.builder(ISSUER, key.subject())
                        .tenant(key.tenant())
                        .clientId(key.keyId())
                        .scopes(key.scopes())
                        .roles(key.roles())
                        .method(CallerIdentity.AuthenticationMethod.API_KEY)
                        .build();
                entries.add(new Entry(hash, identity));
            }
            return new ApiKeyIdentityResolver(entries);
        }
    }
}
