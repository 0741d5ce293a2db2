package dev.mcpguard.examples;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * How to run an {@link OrdersServer}: where it listens, which token issuers it trusts (each with its keys, audiences,
 * claim map and, optionally, token introspection: {@link TrustedIssuer}), which resource URI tokens must be issued
 * for (their audience), where the audit file goes, which deployment environment the policy is told
 * it runs in, (optionally) a policy bundle of your own instead of the one shipped in the jar, where refunds are paid
 * out and where the encrypted downstream credentials live, how many calls a caller may make per tool and minute, and
 * how many HTTP requests in all.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()}, or read from system properties and environment
 * variables with {@link #fromEnvironment()} (a system property wins over an environment variable):
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>system property</th><th>environment variable</th><th>default</th></tr>
 *   <tr><td>{@code mcp.guard.demo.port}</td><td>{@code MCP_GUARD_DEMO_PORT}</td><td>{@value #DEFAULT_PORT}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.issuer}</td><td>{@code MCP_GUARD_DEMO_ISSUER}</td><td>none (the demo uses its own)</td></tr>
 *   <tr><td>{@code mcp.guard.demo.jwks-uri}</td><td>{@code MCP_GUARD_DEMO_JWKS_URI}</td><td>the issuer metadata's {@code jwks_uri}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.issuers}</td><td>{@code MCP_GUARD_DEMO_ISSUERS}</td><td>none: names of further issuers, comma-separated</td></tr>
 *   <tr><td>{@code mcp.guard.demo.issuer.<name>}</td><td>{@code MCP_GUARD_DEMO_ISSUER_<NAME>}</td><td>required for each name</td></tr>
 *   <tr><td>{@code mcp.guard.demo.resource}</td><td>{@code MCP_GUARD_DEMO_RESOURCE}</td><td>{@code http://127.0.0.1:<port>/mcp}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.audit-file}</td><td>{@code MCP_GUARD_DEMO_AUDIT_FILE}</td><td>{@value #DEFAULT_AUDIT_FILE}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.environment}</td><td>{@code MCP_GUARD_DEMO_ENVIRONMENT}</td><td>{@value #DEFAULT_ENVIRONMENT}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.policy-bundle}</td><td>{@code MCP_GUARD_DEMO_POLICY_BUNDLE}</td><td>none: the signed bundle in the jar</td></tr>
 *   <tr><td>{@code mcp.guard.demo.policy-public-key}</td><td>{@code MCP_GUARD_DEMO_POLICY_PUBLIC_KEY}</td><td>none: the demo key in the jar</td></tr>
 *   <tr><td>{@code mcp.guard.demo.payments-api}</td><td>{@code MCP_GUARD_DEMO_PAYMENTS_API}</td><td>none: refunds are refused (the demo starts its own)</td></tr>
 *   <tr><td>{@code mcp.guard.demo.credentials-dir}</td><td>{@code MCP_GUARD_DEMO_CREDENTIALS_DIR}</td><td>{@value #DEFAULT_CREDENTIALS_DIR}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.calls-per-minute}</td><td>{@code MCP_GUARD_DEMO_CALLS_PER_MINUTE}</td><td>{@value #DEFAULT_CALLS_PER_MINUTE}</td></tr>
 *   <tr><td>{@code mcp.guard.demo.requests-per-minute}</td><td>{@code MCP_GUARD_DEMO_REQUESTS_PER_MINUTE}</td><td>{@value #DEFAULT_REQUESTS_PER_MINUTE}</td></tr>
 * </table>
 * The issuer of {@code mcp.guard.demo.issuer} takes the per-issuer settings of
 * {@link TrustedIssuer#fromSettings} beside it ({@code mcp.guard.demo.role-claims}, ...), a named one under its
 * name ({@code mcp.guard.demo.issuer.<name>.role-claims}, ...); both may be set, the unnamed issuer comes first.
 * An issuer without {@code jwks-uri} has its metadata read when the server starts, which fails if it cannot be.
 *
 * <pre>{@code
 * OrdersServerSettings settings = OrdersServerSettings.builder()
 *         .port(0)                                   // ephemeral, for tests
 *         .issuer(URI.create("http://127.0.0.1:9000/default"))
 *         .build();
 * }</pre>
 *
 * @param port      the TCP port on 127.0.0.1; 0 picks a free port
 * @param issuers   the token issuers the server trusts, at least one to start a server (at most
 *                  {@value #MAX_ISSUERS}, distinct {@code iss} and names); the first is the one the policy is warmed
 *                  up for
 * @param resource  this server's resource URI, the audience tokens must carry; empty means
 *                  {@code http://127.0.0.1:<port>/mcp} with the port actually bound
 * @param auditFile the JSON Lines audit file
 * @param environment the deployment environment's name, given to the policy as {@code environment.name}; the
 *                  reference policy treats {@code prod} and {@code production} (and an unnamed environment) as
 *                  production, where destructive tools are refused without a break-glass exception
 * @param policyBundle a signed OPA bundle file to enforce instead of the one in the jar (re-read every
 *                  {@link OrdersServer#POLICY_POLL_INTERVAL}); set together with {@code policyPublicKey}
 * @param policyPublicKey the PEM public key that bundle must be signed with; set together with {@code policyBundle}
 * @param paymentsApi the payment provider's refunds endpoint; empty means refunds are refused
 * @param credentialsDir where the encrypted credential store ({@code credentials.json}), its Tink keyset
 *                  ({@code keyset.json}) and, unless {@value OrdersServer#CREDENTIAL_KEK_VARIABLE} is set, the local
 *                  key that encrypts the keyset ({@code kek.b64}, created on first start) live
 * @param callsPerMinute how many calls one caller may make to one tool per minute (also the burst); a policy's
 *                  {@code rate_limit} obligation replaces it for the tools it names
 * @param requestsPerMinute how many HTTP requests (every POST, GET and DELETE, tool call or not) one caller may
 *                  send per minute (also the burst) before the HTTP filter answers 429; the filter's default
 * @param toolPins  a tool pin file ({@code mcp-guard-tools.lock.json}, written by {@code ToolPinsCommand pin});
 *                  when set, a tool whose definition is not pinned there for server {@value OrdersServer#SERVER_NAME}
 *                  is refused at start-up (not listed, not callable, audited); empty means no pins
 * @param guardrails whether the server runs its guardrails ({@link OrdersServer#GUARDRAILS}); on by default,
 *                  off only to measure what they cost
 */
public record OrdersServerSettings(int port, List<TrustedIssuer> issuers, Optional<URI> resource,
                                   Path auditFile, String environment, Optional<Path> policyBundle,
                                   Optional<Path> policyPublicKey, Optional<URI> paymentsApi, Path credentialsDir,
                                   int callsPerMinute, int requestsPerMinute, Optional<Path> toolPins,
                                   boolean guardrails) {

    /** The demo's fixed port, so its resource URI is predictable. */
    public static final int DEFAULT_PORT = 8765;
    /** The demo's audit file, relative to the working directory. */
    public static final String DEFAULT_AUDIT_FILE = "target/mcp-guard-demo-audit.jsonl";
    /** The default environment: production, the cautious assumption. */
    public static final String DEFAULT_ENVIRONMENT = "prod";
    /** The demo's credentials directory, relative to the working directory. */
    public static final String DEFAULT_CREDENTIALS_DIR = "target/mcp-guard-demo-credentials";
    /** The default limit per caller and tool: small, so the demo can show a throttled call. */
    public static final int DEFAULT_CALLS_PER_MINUTE = 3;
    /** The default HTTP requests per caller and minute: the HTTP filter's own default, for interactive agents. */
    public static final int DEFAULT_REQUESTS_PER_MINUTE =
            dev.mcpguard.core.http.HttpRequestLimits.DEFAULT_REQUESTS_PER_MINUTE;

    /** The most issuers one server trusts. */
    public static final int MAX_ISSUERS = 8;

    /** The per-issuer settings, which for the unnamed issuer sit beside {@code mcp.guard.demo.issuer}. */
    private static final List<String> ISSUER_SETTINGS = List.of("jwks-uri", "audiences", "role-claims",
            "tenant-claims", "client-id-claims", "scope-claims", "introspection-client-id",
            "introspection-client-secret-file", "introspection-client-secret-env", "introspection-endpoint",
            "introspection-also-for-jwts", "introspection-cache-ttl");
    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public OrdersServerSettings {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        issuers = requireDistinct(List.copyOf(issuers));
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(auditFile, "auditFile");
        requireEnvironmentName(environment);
        Objects.requireNonNull(policyBundle, "policyBundle");
        Objects.requireNonNull(policyPublicKey, "policyPublicKey");
        if (policyBundle.isPresent() != policyPublicKey.isPresent()) {
            throw new IllegalArgumentException("policyBundle and policyPublicKey go together: a bundle of your own "
                    + "needs the key it is signed with, got bundle " + policyBundle.map(Path::toString).orElse("none")
                    + " and public key " + policyPublicKey.map(Path::toString).orElse("none"));
        }
        Objects.requireNonNull(paymentsApi, "paymentsApi");
        Objects.requireNonNull(credentialsDir, "credentialsDir");
        requireCallsPerMinute(callsPerMinute);
        requireRequestsPerMinute(requestsPerMinute);
        Objects.requireNonNull(toolPins, "toolPins");
    }

    /**
     * A builder with the defaults: port {@value #DEFAULT_PORT}, audit file {@value #DEFAULT_AUDIT_FILE},
     * environment {@value #DEFAULT_ENVIRONMENT}, the policy bundle in the jar.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The defaults overridden by system properties and environment variables (see the class javadoc).
     *
     * @throws IllegalArgumentException naming the setting, for a bad value or for a per-issuer setting no issuer
     *                                  reads (a misspelled {@code mcp.guard.demo.issuer.<name>.<setting>}, or a
     *                                  name missing from {@code mcp.guard.demo.issuers})
     */
    public static OrdersServerSettings fromEnvironment() {
        Map<String, String> properties = new java.util.HashMap<>();
        System.getProperties().stringPropertyNames().forEach(name -> properties.put(name, System.getProperty(name)));
        return fromEnvironment(properties, System.getenv());
    }

    /** As {@link #fromEnvironment()}, reading from the given sources; for tests. */
    static OrdersServerSettings fromEnvironment(Map<String, String> systemProperties, Map<String, String> env) {
        Function<String, Optional<String>> lookup = name -> {
            String property = systemProperties.get("mcp.guard.demo." + name);
            if (property != null && !property.isBlank()) {
                return Optional.of(property.trim());
            }
            String variable = env.get("MCP_GUARD_DEMO_"
                    + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_').replace('.', '_'));
            return variable == null || variable.isBlank() ? Optional.empty() : Optional.of(variable.trim());
        };
        Builder builder = builder();
        lookup.apply("port").ifPresent(value -> builder.port(parsePort(value)));
        Optional<String> issuer = lookup.apply("issuer");
        if (issuer.isPresent()) {
            builder.trustedIssuer(TrustedIssuer.fromSettings(TrustedIssuer.UNNAMED, issuer.get(), lookup));
        } else {
            for (String setting : ISSUER_SETTINGS) {
                if (lookup.apply(setting).isPresent()) {
                    throw new IllegalArgumentException(TrustedIssuer.describeSetting(TrustedIssuer.UNNAMED, setting)
                            + " is set but " + TrustedIssuer.describeSetting(TrustedIssuer.UNNAMED, "")
                            + " is not: it belongs to that issuer");
                }
            }
        }
        List<String> names = issuerNames(lookup.apply("issuers"), issuer.isPresent());
        requireKnownIssuerSettings(names, systemProperties, env, lookup);
        for (String name : names) {
            String url = lookup.apply("issuer." + name).orElseThrow(() -> new IllegalArgumentException(
                    "mcp.guard.demo.issuers names '" + name + "' but "
                            + TrustedIssuer.describeSetting(name, "") + " is not set"));
            builder.trustedIssuer(TrustedIssuer.fromSettings(name, url,
                    setting -> lookup.apply("issuer." + name + "." + setting)));
        }
        lookup.apply("resource").ifPresent(value -> builder.resource(URI.create(value)));
        lookup.apply("audit-file").ifPresent(value -> builder.auditFile(Path.of(value)));
        lookup.apply("environment").ifPresent(builder::environment);
        Optional<String> bundle = lookup.apply("policy-bundle");
        Optional<String> publicKey = lookup.apply("policy-public-key");
        if (bundle.isPresent() || publicKey.isPresent()) {
            builder.policyBundle(bundle.map(Path::of).orElse(null), publicKey.map(Path::of).orElse(null));
        }
        lookup.apply("payments-api").ifPresent(value -> builder.paymentsApi(URI.create(value)));
        lookup.apply("credentials-dir").ifPresent(value -> builder.credentialsDir(Path.of(value)));
        lookup.apply("calls-per-minute").ifPresent(value -> builder.callsPerMinute(parseNumber("calls-per-minute", value)));
        lookup.apply("requests-per-minute").ifPresent(
                value -> builder.requestsPerMinute(parseNumber("requests-per-minute", value)));
        lookup.apply("tool-pins").ifPresent(value -> builder.toolPins(Path.of(value)));
        lookup.apply("guardrails").ifPresent(value -> builder.guardrails(switch (value) {
            case "true", "on" -> true;
            case "false", "off" -> false;
            default -> throw new IllegalArgumentException("guardrails must be on or off, got '" + value + "'");
        }));
        return builder.build();
    }

    /** A builder initialised with these settings. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.port = port;
        builder.trusted.addAll(issuers);
        builder.resource = resource.orElse(null);
        builder.auditFile = auditFile;
        builder.environment = environment;
        builder.policyBundle = policyBundle.orElse(null);
        builder.policyPublicKey = policyPublicKey.orElse(null);
        builder.paymentsApi = paymentsApi.orElse(null);
        builder.credentialsDir = credentialsDir;
        builder.callsPerMinute = callsPerMinute;
        builder.requestsPerMinute = requestsPerMinute;
        builder.toolPins = toolPins.orElse(null);
        builder.guardrails = guardrails;
        return builder;
    }

    /** The first trusted issuer's {@code iss}; empty when none is configured (the demo then brings its own). */
    public Optional<URI> issuer() {
        return issuers.stream().findFirst().map(TrustedIssuer::issuer);
    }

    /**
     * The names listed in {@code mcp.guard.demo.issuers}; with the unnamed issuer ({@code withUnnamed}) at most
     * {@value #MAX_ISSUERS} issuers in all.
     */
    private static List<String> issuerNames(Optional<String> setting, boolean withUnnamed) {
        if (setting.isEmpty()) {
            return List.of();
        }
        String[] listed = setting.get().split(",", -1);
        int total = listed.length + (withUnnamed ? 1 : 0);
        if (total > MAX_ISSUERS) {
            throw new IllegalArgumentException("at most " + MAX_ISSUERS + " issuers may be trusted, but "
                    + "mcp.guard.demo.issuers (MCP_GUARD_DEMO_ISSUERS) names " + listed.length
                    + (withUnnamed ? " besides mcp.guard.demo.issuer (MCP_GUARD_DEMO_ISSUER)" : ""));
        }
        List<String> names = new java.util.ArrayList<>();
        for (String name : listed) {
            String trimmed = name.trim();
            if (!trimmed.matches("[a-z0-9]{1,32}") || names.contains(trimmed)) {
                throw new IllegalArgumentException("mcp.guard.demo.issuers (MCP_GUARD_DEMO_ISSUERS) must list distinct "
                        + "names of 1 to 32 lower-case letters or digits, comma-separated, got '" + setting.get() + "'");
            }
            names.add(trimmed);
        }
        return names;
    }

    /**
     * Refuses every set {@code mcp.guard.demo.issuer.<name>[.<setting>]} system property and
     * {@code MCP_GUARD_DEMO_ISSUER_<NAME>[_<SETTING>]} variable that no issuer reads: a setting not in
     * {@link #ISSUER_SETTINGS} (a misspelling such as {@code jwks-url} would otherwise be ignored silently, and the
     * server run with other keys or claims than the operator meant) or a name missing from {@code names}. The
     * variables named by an {@code introspection-client-secret-env} setting are exempt: they hold secrets, not
     * settings. Messages name the key, never its value (a misspelled key may well hold a secret).
     */
    private static void requireKnownIssuerSettings(List<String> names, Map<String, String> systemProperties,
                                                   Map<String, String> env,
                                                   Function<String, Optional<String>> lookup) {
        String propertyPrefix = "mcp.guard.demo.issuer.";
        for (Map.Entry<String, String> property : new java.util.TreeMap<>(systemProperties).entrySet()) {
            String key = property.getKey();
            if (key.startsWith(propertyPrefix) && property.getValue() != null && !property.getValue().isBlank()) {
                String rest = key.substring(propertyPrefix.length());
                int dot = rest.indexOf('.');
                requireKnownIssuerSetting(key, dot < 0 ? rest : rest.substring(0, dot),
                        dot < 0 ? "" : rest.substring(dot + 1), names, false);
            }
        }
        java.util.Set<String> secretVariables = new java.util.HashSet<>();
        lookup.apply("introspection-client-secret-env").ifPresent(secretVariables::add);
        names.forEach(name -> lookup.apply("issuer." + name + ".introspection-client-secret-env")
                .ifPresent(secretVariables::add));
        String variablePrefix = "MCP_GUARD_DEMO_ISSUER_";
        for (Map.Entry<String, String> variable : new java.util.TreeMap<>(env).entrySet()) {
            String key = variable.getKey();
            if (key.startsWith(variablePrefix) && !secretVariables.contains(key) && variable.getValue() != null
                    && !variable.getValue().isBlank()) {
                String rest = key.substring(variablePrefix.length());
                int underscore = rest.indexOf('_'); // names are letters and digits: the first '_' ends the name
                String name = (underscore < 0 ? rest : rest.substring(0, underscore)).toLowerCase(java.util.Locale.ROOT);
                String suffix = underscore < 0 ? "" : rest.substring(underscore + 1);
                requireKnownIssuerSetting(key, name, suffix, names, true);
            }
        }
    }

    private static void requireKnownIssuerSetting(String key, String name, String suffix, List<String> names,
                                                  boolean variable) {
        if (!names.contains(name)) {
            throw new IllegalArgumentException(key + " is set, but '" + name + "' is not among the issuers of "
                    + "mcp.guard.demo.issuers (MCP_GUARD_DEMO_ISSUERS)"
                    + (names.isEmpty() ? ", which is not set" : ", " + String.join(",", names)));
        }
        if (suffix.isEmpty()) {
            return;
        }
        for (String setting : ISSUER_SETTINGS) {
            if (variable ? setting.toUpperCase(java.util.Locale.ROOT).replace('-', '_').equals(suffix)
                    : setting.equals(suffix)) {
                return;
            }
        }
        throw new IllegalArgumentException(key + " is not a setting of issuer '" + name + "'; an issuer's settings are "
                + TrustedIssuer.settingName(name, "<setting>") + " with <setting> one of "
                + String.join(", ", ISSUER_SETTINGS));
    }

    private static List<TrustedIssuer> requireDistinct(List<TrustedIssuer> issuers) {
        if (issuers.size() > MAX_ISSUERS) {
            throw new IllegalArgumentException("at most " + MAX_ISSUERS + " issuers may be trusted, got "
                    + issuers.size());
        }
        java.util.Set<URI> urls = new java.util.HashSet<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (TrustedIssuer issuer : issuers) {
            if (!urls.add(issuer.issuer())) {
                throw new IllegalArgumentException("issuer " + issuer.issuer() + " is configured twice");
            }
            if (!issuer.name().equals(TrustedIssuer.UNNAMED) && !names.add(issuer.name())) {
                throw new IllegalArgumentException("two issuers are named '" + issuer.name() + "'");
            }
        }
        return issuers;
    }

    private static String requireEnvironmentName(String environment) {
        Objects.requireNonNull(environment, "environment");
        if (!ENVIRONMENT_NAME.matcher(environment).matches()) {
            throw new IllegalArgumentException("environment must be 1 to 64 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit, got '" + environment + "'");
        }
        return environment;
    }

    private static int parsePort(String value) {
        return parseNumber("port", value);
    }

    private static int parseNumber(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + value + "'", e);
        }
    }

    private static int requireCallsPerMinute(int callsPerMinute) {
        if (callsPerMinute < 1 || callsPerMinute > 1_000_000) {
            throw new IllegalArgumentException("callsPerMinute must be between 1 and 1000000, got " + callsPerMinute);
        }
        return callsPerMinute;
    }

    private static int requireRequestsPerMinute(int requestsPerMinute) {
        if (requestsPerMinute < 1 || requestsPerMinute > 1_000_000) {
            throw new IllegalArgumentException("requestsPerMinute must be between 1 and 1000000, got "
                    + requestsPerMinute);
        }
        return requestsPerMinute;
    }

    /** Builds {@link OrdersServerSettings}; setters reject bad values. Not thread-safe. */
    public static final class Builder {
        private int port = DEFAULT_PORT;
        private URI issuer;
        private URI jwksUri;
        private final List<TrustedIssuer> trusted = new java.util.ArrayList<>();
        private URI resource;
        private Path auditFile = Path.of(DEFAULT_AUDIT_FILE);
        private String environment = DEFAULT_ENVIRONMENT;
        private Path policyBundle;
        private Path policyPublicKey;
        private URI paymentsApi;
        private Path credentialsDir = Path.of(DEFAULT_CREDENTIALS_DIR);
        private int callsPerMinute = DEFAULT_CALLS_PER_MINUTE;
        private int requestsPerMinute = DEFAULT_REQUESTS_PER_MINUTE;
        private Path toolPins;
        private boolean guardrails = true;

        private Builder() {
        }

        /** The port on 127.0.0.1; 0 for a free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * A trusted token issuer with the generic claim mapping and no introspection, trusted before those of
         * {@link #trustedIssuer}; its keys are its metadata's {@code jwks_uri} unless {@link #jwksUri} is set.
         */
        public Builder issuer(URI issuer) {
            this.issuer = requireHttp(issuer, "issuer");
            return this;
        }

        /** The JWKS URI of the {@link #issuer}, instead of the one its metadata names. */
        public Builder jwksUri(URI jwksUri) {
            this.jwksUri = requireHttp(jwksUri, "jwksUri");
            return this;
        }

        /** Trusts {@code issuer} too, with its own keys, audiences, claim map and introspection. */
        public Builder trustedIssuer(TrustedIssuer issuer) {
            trusted.add(Objects.requireNonNull(issuer, "issuer"));
            return this;
        }

        /** This server's resource URI (token audience), when not derived from the bound port. */
        public Builder resource(URI resource) {
            this.resource = requireHttp(resource, "resource");
            return this;
        }

        /** The JSON Lines audit file. */
        public Builder auditFile(Path auditFile) {
            this.auditFile = Objects.requireNonNull(auditFile, "auditFile");
            return this;
        }

        /** The deployment environment's name as the policy sees it, e.g. {@code prod} (default) or {@code dev}. */
        public Builder environment(String environment) {
            this.environment = requireEnvironmentName(environment);
            return this;
        }

        /**
         * Enforce the signed bundle in {@code bundleFile}, verified with the PEM public key in
         * {@code publicKeyFile}, instead of the bundle in the jar. Both or neither: {@code null, null} returns to
         * the bundle in the jar.
         */
        public Builder policyBundle(Path bundleFile, Path publicKeyFile) {
            if ((bundleFile == null) != (publicKeyFile == null)) {
                throw new IllegalArgumentException("policyBundle and policyPublicKey go together: a bundle of your "
                        + "own needs the key it is signed with, got bundle " + bundleFile + " and public key "
                        + publicKeyFile);
            }
            this.policyBundle = bundleFile;
            this.policyPublicKey = publicKeyFile;
            return this;
        }

        /** The payment provider's refunds endpoint; without one, refunds are refused. */
        public Builder paymentsApi(URI refundsEndpoint) {
            this.paymentsApi = requireHttp(refundsEndpoint, "paymentsApi");
            return this;
        }

        /** Where the encrypted credential store, its keyset and (by default) the key protecting it live. */
        public Builder credentialsDir(Path credentialsDir) {
            this.credentialsDir = Objects.requireNonNull(credentialsDir, "credentialsDir");
            return this;
        }

        /** Calls one caller may make to one tool per minute, also the burst; 1 to 1,000,000. */
        public Builder callsPerMinute(int callsPerMinute) {
            this.callsPerMinute = requireCallsPerMinute(callsPerMinute);
            return this;
        }

        /**
         * HTTP requests one caller may send per minute, also the burst; 1 to 1,000,000. More is refused by the
         * HTTP filter with 429 before any tool call; raise it for load tests, not for agents.
         */
        public Builder requestsPerMinute(int requestsPerMinute) {
            this.requestsPerMinute = requireRequestsPerMinute(requestsPerMinute);
            return this;
        }

        /** The tool pin file the server's tools must match; null for none. */
        public Builder toolPins(Path pinFile) {
            this.toolPins = pinFile;
            return this;
        }

        /** Whether the server runs its guardrails; on by default (off only to measure what they cost). */
        public Builder guardrails(boolean on) {
            this.guardrails = on;
            return this;
        }

        /** Validates and builds; throws {@link IllegalArgumentException} for a JWKS URI without its issuer. */
        public OrdersServerSettings build() {
            if (jwksUri != null && issuer == null) {
                throw new IllegalArgumentException("jwksUri " + jwksUri + " is set without the issuer it belongs to");
            }
            List<TrustedIssuer> issuers = new java.util.ArrayList<>();
            if (issuer != null) {
                TrustedIssuer.Builder single = TrustedIssuer.builder(issuer);
                if (jwksUri != null) {
                    single.jwksUri(jwksUri);
                }
                issuers.add(single.build());
            }
            issuers.addAll(trusted);
            return new OrdersServerSettings(port, issuers, Optional.ofNullable(resource), auditFile, environment, Optional.ofNullable(policyBundle),
                    Optional.ofNullable(policyPublicKey), Optional.ofNullable(paymentsApi), credentialsDir,
                    callsPerMinute, requestsPerMinute, Optional.ofNullable(toolPins), guardrails);
        }

        private static URI requireHttp(URI uri, String name) {
            Objects.requireNonNull(uri, name);
            String scheme = uri.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
                throw new IllegalArgumentException(name + " must be an absolute http(s) URI, got '" + uri + "'");
            }
            return uri;
        }
    }
}
