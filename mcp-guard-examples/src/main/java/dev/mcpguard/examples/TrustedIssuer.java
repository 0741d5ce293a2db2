package dev.mcpguard.examples;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.identity.ClaimMapping;
import dev.mcpguard.core.identity.TokenIntrospection;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One token issuer an {@link OrdersServer} trusts, with what its tokens must carry and where their claims are: its
 * exact {@code iss}, where its keys are (explicit, or its metadata's {@code jwks_uri}, found by OIDC discovery or
 * RFC 8414 at start-up), the audiences accepted besides the server's resource URI, its {@link ClaimMapping}
 * (claim names, dotted paths or JSON pointers such as {@code /resource_access/orders.api/roles}) and, optionally,
 * RFC 7662 introspection ({@link Introspection}).
 *
 * <p>Read from settings with {@link #fromSettings}: the single issuer from {@code mcp.guard.demo.issuer} and the
 * keys beside it ({@code mcp.guard.demo.role-claims}, ...), a named one from {@code mcp.guard.demo.issuer.<name>}
 * and the keys under it ({@code mcp.guard.demo.issuer.<name>.role-claims}, ...); see {@link OrdersServerSettings}.
 * Holds no secret: the introspection client secret is named by where it is ({@link SecretSource}) and read when
 * the server starts, so {@code toString} (a record's, listing every component) shows a file name or a variable
 * name, never the secret.
 *
 * <p>Immutable and thread-safe.
 * <pre>{@code
 * TrustedIssuer keycloak = TrustedIssuer.builder(URI.create("http://localhost:8080/realms/orders"))
 *         .name("kc")
 *         .claimMapping(ClaimMapping.builder().rolePaths("/resource_access/orders.api/roles")
 *                 .tenantPaths("tenant").build())
 *         .build();
 * }</pre>
 *
 * @param name        the name in the settings keys ({@code mcp.guard.demo.issuer.<name>}); {@value #UNNAMED} for
 *                    the single issuer of {@code mcp.guard.demo.issuer}
 * @param issuer      the exact {@code iss} accepted (no trailing-slash normalisation)
 * @param jwksUri     where its keys are; empty: its metadata's {@code jwks_uri}, checked at start-up
 * @param audiences   {@code aud} values accepted besides the server's resource URI (which is always accepted)
 * @param claims      where roles, tenant, client id and scopes are in its tokens
 * @param introspection RFC 7662 introspection of its tokens; empty: none (opaque tokens refused)
 */
public record TrustedIssuer(String name, URI issuer, Optional<URI> jwksUri, List<String> audiences,
                            ClaimMapping claims, Optional<Introspection> introspection) {

    /** The name of the single issuer configured with {@code mcp.guard.demo.issuer}. */
    public static final String UNNAMED = "";
    /** Longest comma-separated list (of claim paths or audiences) read from one setting. */
    static final int MAX_LIST_ENTRIES = 16;

    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,32}");
    private static final Pattern DURATION_SECONDS = Pattern.compile("[0-9]{1,6}");

    public TrustedIssuer {
        Objects.requireNonNull(name, "name");
        if (!name.equals(UNNAMED) && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("an issuer name must be 1 to 32 lower-case letters or digits, got '"
                    + name + "'");
        }
        requireHttp(issuer, settingName(name, ""));
        Objects.requireNonNull(jwksUri, "jwksUri").ifPresent(uri -> requireHttp(uri, settingName(name, "jwks-uri")));
        audiences = List.copyOf(audiences);
        Objects.requireNonNull(claims, "claims");
        Objects.requireNonNull(introspection, "introspection");
    }

    /** A builder for an unnamed issuer with the generic claim mapping and no introspection. */
    public static Builder builder(URI issuer) {
        return new Builder(issuer);
    }

    /**
     * The issuer {@code issuer} (the value of {@link #settingName settingName(name, "")}) with the settings beside
     * it, read through {@code setting} from the key's suffix ({@code jwks-uri}, {@code role-claims}, ...):
     * <table>
     *   <caption>Per-issuer settings</caption>
     *   <tr><th>suffix</th><th>value</th><th>default</th></tr>
     *   <tr><td>{@code jwks-uri}</td><td>the JWKS URL</td><td>the {@code jwks_uri} of its metadata</td></tr>
     *   <tr><td>{@code audiences}</td><td>comma-separated {@code aud} values accepted besides the resource URI</td><td>none</td></tr>
     *   <tr><td>{@code role-claims}, {@code tenant-claims}, {@code client-id-claims}, {@code scope-claims}</td>
     *       <td>comma-separated claim paths (name, dotted path or JSON pointer)</td><td>those of {@link ClaimMapping#ofDefaults()}</td></tr>
     *   <tr><td>{@code introspection-client-id}</td><td>turns introspection on: the client id</td><td>none: no introspection</td></tr>
     *   <tr><td>{@code introspection-client-secret-file}</td><td>a file holding the client secret</td><td>one of the two</td></tr>
     *   <tr><td>{@code introspection-client-secret-env}</td><td>the name of an environment variable holding it</td><td>one of the two</td></tr>
     *   <tr><td>{@code introspection-endpoint}</td><td>the RFC 7662 endpoint</td><td>the {@code introspection_endpoint} of its metadata</td></tr>
     *   <tr><td>{@code introspection-also-for-jwts}</td><td>{@code true} or {@code false}</td><td>{@code false}</td></tr>
     *   <tr><td>{@code introspection-cache-ttl}</td><td>seconds, or ISO-8601 ({@code PT30S})</td><td>30 s</td></tr>
     * </table>
     *
     * @throws IllegalArgumentException naming the setting and showing the value (never a secret: none is read)
     */
    static TrustedIssuer fromSettings(String name, String issuer, Function<String, Optional<String>> setting) {
        Builder builder = builder(parseUri(issuer, settingName(name, ""))).name(name);
        setting.apply("jwks-uri").ifPresent(value -> builder.jwksUri(parseUri(value, settingName(name, "jwks-uri"))));
        setting.apply("audiences").ifPresent(value -> list(name, "audiences", value).forEach(builder::audience));
        ClaimMapping defaults = ClaimMapping.ofDefaults();
        try {
            builder.claimMapping(new ClaimMapping(
                    paths(name, "role-claims", setting, defaults.rolePaths()),
                    paths(name, "tenant-claims", setting, defaults.tenantPaths()),
                    paths(name, "client-id-claims", setting, defaults.clientIdPaths()),
                    paths(name, "scope-claims", setting, defaults.scopePaths())));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a claim path of issuer " + issuer + " ("
                    + settingName(name, "*-claims") + "): " + e.getMessage(), e);
        }
        Optional<String> clientId = setting.apply("introspection-client-id");
        Optional<String> secretFile = setting.apply("introspection-client-secret-file");
        Optional<String> secretVariable = setting.apply("introspection-client-secret-env");
        Optional<String> endpoint = setting.apply("introspection-endpoint");
        Optional<String> alsoForJwts = setting.apply("introspection-also-for-jwts");
        Optional<String> cacheTtl = setting.apply("introspection-cache-ttl");
        if (clientId.isEmpty()) {
            if (secretFile.isPresent() || secretVariable.isPresent() || endpoint.isPresent()
                    || alsoForJwts.isPresent() || cacheTtl.isPresent()) {
                throw new IllegalArgumentException("introspection settings of issuer " + issuer + " need "
                        + settingName(name, "introspection-client-id") + ", which is not set");
            }
            return builder.build();
        }
        if (secretFile.isPresent() == secretVariable.isPresent()) {
            throw new IllegalArgumentException("introspection of issuer " + issuer + " needs exactly one of "
                    + settingName(name, "introspection-client-secret-file") + " and "
                    + settingName(name, "introspection-client-secret-env"));
        }
        SecretSource secret = secretFile.isPresent() ? SecretSource.file(Path.of(secretFile.get()))
                : SecretSource.environmentVariable(secretVariable.get());
        builder.introspection(new Introspection(
                endpoint.map(value -> parseUri(value, settingName(name, "introspection-endpoint"))),
                clientId.get(), secret,
                alsoForJwts.map(value -> parseBoolean(value, settingName(name, "introspection-also-for-jwts")))
                        .orElse(false),
                cacheTtl.map(value -> parseDuration(value, settingName(name, "introspection-cache-ttl")))
                        .orElse(TokenIntrospection.DEFAULT_CACHE_TTL)));
        return builder.build();
    }

    /**
     * The system property a setting of the issuer {@code name} is read from: {@code mcp.guard.demo.issuer} and
     * {@code mcp.guard.demo.<suffix>} for the unnamed one, {@code mcp.guard.demo.issuer.<name>[.<suffix>]} for a
     * named one. The environment variable is the same in upper case with {@code _} for {@code .} and {@code -}.
     */
    static String settingName(String name, String suffix) {
        if (name.equals(UNNAMED)) {
            return "mcp.guard.demo." + (suffix.isEmpty() ? "issuer" : suffix);
        }
        return "mcp.guard.demo.issuer." + name + (suffix.isEmpty() ? "" : "." + suffix);
    }

    /** {@link #settingName} with its environment variable, for messages: {@code mcp.guard.demo.issuer (MCP_GUARD_DEMO_ISSUER)}. */
    static String describeSetting(String name, String suffix) {
        String property = settingName(name, suffix);
        return property + " (" + property.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_") + ")";
    }

    /** Whether this issuer's keys are found through its metadata ({@code jwks_uri}), no JWKS URI being configured. */
    boolean discoversKeys() {
        return jwksUri.isEmpty();
    }

    /** Whether this issuer's metadata must name an {@code introspection_endpoint}. */
    boolean discoversIntrospectionEndpoint() {
        return introspection.isPresent() && introspection.get().endpoint().isEmpty();
    }

    private static List<String> paths(String name, String suffix, Function<String, Optional<String>> setting,
                                      List<String> defaults) {
        return setting.apply(suffix).map(value -> list(name, suffix, value)).orElse(defaults);
    }

    private static List<String> list(String name, String suffix, String value) {
        List<String> entries = new ArrayList<>();
        for (String entry : value.split(",", -1)) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException(describeSetting(name, suffix)
                        + " must be a comma-separated list without empty entries, got '" + value + "'");
            }
            entries.add(trimmed);
        }
        if (entries.size() > MAX_LIST_ENTRIES) {
            throw new IllegalArgumentException(describeSetting(name, suffix) + " may list at most "
                    + MAX_LIST_ENTRIES + " entries, got " + entries.size());
        }
        return entries;
    }

    private static URI parseUri(String value, String setting) {
        try {
            return new URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(setting + " must be an absolute http(s) URI, got '" + value + "'", e);
        }
    }

    private static boolean parseBoolean(String value, String setting) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(setting + " must be true or false, got '" + value + "'");
        };
    }

    private static Duration parseDuration(String value, String setting) {
        try {
            return DURATION_SECONDS.matcher(value).matches() ? Duration.ofSeconds(Long.parseLong(value))
                    : Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(setting + " must be seconds or an ISO-8601 duration such as PT30S, got '"
                    + value + "'", e);
        }
    }

    private static URI requireHttp(URI uri, String setting) {
        Objects.requireNonNull(uri, setting);
        String scheme = uri.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
            throw new IllegalArgumentException(setting + " must be an absolute http(s) URI, got '" + uri + "'");
        }
        return uri;
    }

    /**
     * RFC 7662 introspection of an issuer's tokens: opaque ones always, JWTs too with {@code alsoForJwts}, so a
     * token revoked at the issuer (a Keycloak logout) is refused within {@code cacheTtl}.
     *
     * @param endpoint     the introspection endpoint; empty: the issuer metadata's {@code introspection_endpoint}
     * @param clientId     the client the server authenticates as ({@code client_secret_basic})
     * @param clientSecret where that client's secret is; read at start-up, never shown
     * @param alsoForJwts  whether JWTs are introspected too, after their local checks
     * @param cacheTtl     how long an active answer is remembered, 0 to {@link TokenIntrospection#MAX_CACHE_TTL}
     */
    public record Introspection(Optional<URI> endpoint, String clientId, SecretSource clientSecret,
                                boolean alsoForJwts, Duration cacheTtl) {

        public Introspection {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(clientSecret, "clientSecret");
            // The core builder's checks, so a bad value fails when the settings are read, not at start-up.
            TokenIntrospection.builder().clientId(Objects.requireNonNull(clientId, "clientId"))
                    .cacheTtl(Objects.requireNonNull(cacheTtl, "cacheTtl"));
            endpoint.ifPresent(uri -> requireHttp(uri, "introspection endpoint"));
        }

        /**
         * The core configuration, with the secret read from its source now ({@code environment} looks variables
         * up).
         *
         * @throws IllegalStateException naming the file or variable when the secret cannot be read
         */
        TokenIntrospection toTokenIntrospection(Function<String, String> environment) {
            TokenIntrospection.Builder builder = TokenIntrospection.builder()
                    .clientId(clientId)
                    .clientSecret(clientSecret.read(environment))
                    .cacheTtl(cacheTtl);
            endpoint.ifPresent(builder::endpoint);
            if (alsoForJwts) {
                builder.alsoForJwts();
            }
            return builder.build();
        }
    }

    /**
     * Where a client secret is: a file (its content, without surrounding white space, e.g. a mounted Kubernetes or
     * Docker secret) or an environment variable. Never the secret itself, so it can be printed and logged.
     *
     * @param file     the file holding the secret, or empty
     * @param variable the environment variable holding it, or empty; exactly one of the two is present
     */
    public record SecretSource(Optional<Path> file, Optional<String> variable) {

        /** Largest secret file read. */
        static final int MAX_SECRET_BYTES = 4096;

        public SecretSource {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(variable, "variable");
            if (file.isPresent() == variable.isPresent()) {
                throw new IllegalArgumentException("a secret comes from exactly one file or environment variable");
            }
        }

        /** The secret is the content of {@code file}. */
        public static SecretSource file(Path file) {
            return new SecretSource(Optional.of(Objects.requireNonNull(file, "file")), Optional.empty());
        }

        /** The secret is the value of the environment variable {@code name}. */
        public static SecretSource environmentVariable(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
                throw new IllegalArgumentException("an environment variable name must be letters, digits and '_', "
                        + "got '" + name + "'");
            }
            return new SecretSource(Optional.empty(), Optional.of(name));
        }

        /** Where the secret is, for messages: {@code file /run/secrets/x} or {@code environment variable X}. */
        String describe() {
            return file.map(path -> "file " + path).orElseGet(() -> "environment variable " + variable.get());
        }

        /**
         * Reads the secret now.
         *
         * @throws IllegalStateException naming the file or variable (never any content) when it is missing, empty
         *                               or larger than {@value #MAX_SECRET_BYTES} bytes
         */
        Secret read(Function<String, String> environment) {
            String value;
            if (file.isPresent()) {
                byte[] bytes;
                try {
                    if (Files.size(file.get()) > MAX_SECRET_BYTES) {
                        throw new IllegalStateException("the client secret " + describe() + " is larger than "
                                + MAX_SECRET_BYTES + " bytes");
                    }
                    bytes = Files.readAllBytes(file.get());
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read the client secret " + describe() + " ("
                            + e.getClass().getSimpleName() + ")");
                }
                value = new String(bytes, StandardCharsets.UTF_8).strip();
                java.util.Arrays.fill(bytes, (byte) 0);
            } else {
                String fromEnvironment = environment.apply(variable.get());
                value = fromEnvironment == null ? "" : fromEnvironment.strip();
            }
            if (value.isEmpty()) {
                throw new IllegalStateException("the client secret " + describe() + " is missing or empty");
            }
            return Secret.ofUtf8(value);
        }
    }

    /** Builds a {@link TrustedIssuer}; setters reject bad values with a message showing the value. Not thread-safe. */
    public static final class Builder {
        private final URI issuer;
        private String name = UNNAMED;
        private URI jwksUri;
        private final Set<String> audiences = new LinkedHashSet<>();
        private ClaimMapping claims = ClaimMapping.ofDefaults();
        private Introspection introspection;

        private Builder(URI issuer) {
            this.issuer = requireHttp(issuer, "issuer");
        }

        /** The name in the settings keys, 1 to 32 lower-case letters or digits; default {@value #UNNAMED}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where the issuer's keys are, when not its metadata's {@code jwks_uri}. */
        public Builder jwksUri(URI jwksUri) {
            this.jwksUri = requireHttp(jwksUri, "jwksUri");
            return this;
        }

        /** An {@code aud} value accepted besides the server's resource URI. */
        public Builder audience(String audience) {
            Objects.requireNonNull(audience, "audience");
            if (audience.isBlank() || audience.length() > 1024) {
                throw new IllegalArgumentException("an audience must be 1 to 1024 characters and not blank, got '"
                        + audience + "'");
            }
            audiences.add(audience);
            return this;
        }

        /** Where roles, tenant, client id and scopes are in this issuer's tokens. */
        public Builder claimMapping(ClaimMapping claims) {
            this.claims = Objects.requireNonNull(claims, "claims");
            return this;
        }

        /** Introspects this issuer's tokens. */
        public Builder introspection(Introspection introspection) {
            this.introspection = Objects.requireNonNull(introspection, "introspection");
            return this;
        }

        public TrustedIssuer build() {
            return new TrustedIssuer(name, issuer, Optional.ofNullable(jwksUri), List.copyOf(audiences), claims,
                    Optional.ofNullable(introspection));
        }
    }
}
