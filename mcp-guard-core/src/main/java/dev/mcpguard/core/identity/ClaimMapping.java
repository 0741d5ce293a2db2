package dev.mcpguard.core.identity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a {@link JwtIdentityResolver} finds roles, tenant, client id and scopes in a token's claims, so one
 * resolver serves the common identity providers.
 *
 * <p>A claim path is a claim name, a dotted path into nested JSON objects ({@code realm_access.roles}), or, when
 * it starts with {@code /}, a JSON pointer (RFC 6901) that can name keys containing dots or slashes:
 * {@code /resource_access/orders.api/roles} reads Keycloak's client roles of client {@code orders.api}, and
 * {@code /https:~1~1example.com~1roles} the namespaced claim {@code https://example.com/roles} ({@code ~1} stands
 * for {@code /}, {@code ~0} for {@code ~}). A pointer token that is a decimal index selects an array element.
 * Invalid paths are refused when the mapping is built. Roles
 * and scopes are the union over all their paths; tenant and client id come from the first path that is present.
 * A role claim may be a JSON array of strings or a single string; a scope claim may be a space-delimited string
 * ({@code scope}) or an array ({@code scp}). The subject always comes from {@code sub}, the token id from
 * {@code jti}, the expiry from {@code exp} and the actor from {@code act} (RFC 8693: {@code act.sub},
 * {@code act.client_id}).
 *
 * <p>Immutable and thread-safe. Lists are never null; use {@link #builder()} or a preset:
 * <pre>{@code
 * ClaimMapping mapping = ClaimMapping.keycloak();
 * ClaimMapping custom = ClaimMapping.builder().rolePaths("permissions").tenantPaths("org_id").build();
 * }</pre>
 *
 * @param rolePaths     where roles and groups are read from
 * @param tenantPaths   where the tenant is read from (first present wins); empty for no tenant
 * @param clientIdPaths where the OAuth client id is read from (first present wins)
 * @param scopePaths    where granted scopes are read from
 */
public record ClaimMapping(List<String> rolePaths, List<String> tenantPaths, List<String> clientIdPaths,
                           List<String> scopePaths) {

    /** Longest claim path accepted. */
    public static final int MAX_PATH_LENGTH = 1024;

    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_:$/-]+(\\.[A-Za-z0-9_:$/-]+)*");
    /** RFC 6901: {@code ~} only as {@code ~0} or {@code ~1}; no control characters. */
    private static final Pattern POINTER = Pattern.compile("(/([^~/\\p{Cntrl}]|~[01])*)+");
    private static final Pattern ARRAY_INDEX = Pattern.compile("0|[1-9][0-9]{0,8}");

    public ClaimMapping {
        rolePaths = validated(rolePaths, "rolePaths");
        tenantPaths = validated(tenantPaths, "tenantPaths");
        clientIdPaths = validated(clientIdPaths, "clientIdPaths");
        scopePaths = validated(scopePaths, "scopePaths");
    }

    /** Generic OAuth/OIDC: roles from {@code roles} and {@code groups}, tenant {@code tid}, client {@code azp}/{@code client_id}, scopes {@code scope}/{@code scp}. */
    public static ClaimMapping ofDefaults() {
        return new ClaimMapping(List.of("roles", "groups"), List.of("tid"), List.of("azp", "client_id"),
                List.of("scope", "scp"));
    }

    /** Keycloak: realm roles from {@code realm_access.roles}, plus {@code groups}; otherwise as {@link #ofDefaults()}. */
    public static ClaimMapping keycloak() {
        return new ClaimMapping(List.of("realm_access.roles", "groups"), List.of("tid"),
                List.of("azp", "client_id"), List.of("scope"));
    }

    /** Microsoft Entra ID: app roles {@code roles} and {@code groups}, tenant {@code tid}, client {@code azp} (v2) or {@code appid} (v1), scopes {@code scp}. */
    public static ClaimMapping entraId() {
        return new ClaimMapping(List.of("roles", "groups"), List.of("tid"), List.of("azp", "appid"),
                List.of("scp"));
    }

    /** Starts a builder initialised with {@link #ofDefaults()}. */
    public static Builder builder() {
        return new Builder(ofDefaults());
    }

    /** Splits a validated path into its segments: dotted, or the decoded reference tokens of a JSON pointer. */
    static String[] segments(String path) {
        if (!isPointer(path)) {
            return path.split("\\.");
        }
        String[] tokens = path.substring(1).split("/", -1);
        for (int i = 0; i < tokens.length; i++) {
            // RFC 6901 section 4: ~1 first, then ~0, so "~01" decodes to "~1".
            tokens[i] = tokens[i].replace("~1", "/").replace("~0", "~");
        }
        return tokens;
    }

    /** Whether {@code path} is a JSON pointer (it starts with {@code /}). */
    static boolean isPointer(String path) {
        return path.startsWith("/");
    }

    /** Whether a pointer token selects an array element, and which. */
    static int arrayIndex(String token) {
        return ARRAY_INDEX.matcher(token).matches() ? Integer.parseInt(token) : -1;
    }

    private static List<String> validated(List<String> paths, String name) {
        Objects.requireNonNull(paths, name);
        List<String> copy = new ArrayList<>(paths.size());
        for (String path : paths) {
            if (path == null || path.length() > MAX_PATH_LENGTH
                    || !(isPointer(path) ? POINTER : PATH).matcher(path).matches()) {
                throw new IllegalArgumentException(name + " contains an invalid claim path: '" + path
                        + "' (expected a claim name, a dotted path such as realm_access.roles, or a JSON pointer "
                        + "such as /resource_access/orders.api/roles, with ~0 for ~ and ~1 for /, at most "
                        + MAX_PATH_LENGTH + " characters)");
            }
            copy.add(path);
        }
        return List.copyOf(copy);
    }

    /** Builds a {@link ClaimMapping}. Not thread-safe. */
    public static final class Builder {
        private List<String> rolePaths;
        private List<String> tenantPaths;
        private List<String> clientIdPaths;
        private List<String> scopePaths;

        private Builder(ClaimMapping start) {
            this.rolePaths = start.rolePaths();
            this.tenantPaths = start.tenantPaths();
            this.clientIdPaths = start.clientIdPaths();
            this.scopePaths = start.scopePaths();
        }

        /** Replaces the role claim paths. */
        public Builder rolePaths(String... paths) {
            this.rolePaths = Arrays.asList(paths);
            return this;
        }

        /** Replaces the tenant claim paths; none means identities carry no tenant. */
        public Builder tenantPaths(String... paths) {
            this.tenantPaths = Arrays.asList(paths);
            return this;
        }

        /** Replaces the client id claim paths. */
        public Builder clientIdPaths(String... paths) {
            this.clientIdPaths = Arrays.asList(paths);
            return this;
        }

        /** Replaces the scope claim paths. */
        public Builder scopePaths(String... paths) {
            this.scopePaths = Arrays.asList(paths);
            return this;
        }

        /** Validates and builds; throws {@link IllegalArgumentException} naming a bad path. */
        public ClaimMapping build() {
            return new ClaimMapping(rolePaths, tenantPaths, clientIdPaths, scopePaths);
        }
    }
}
