package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.credentials.CredentialGuard;
import dev.mcpguard.core.credentials.CredentialKeyset;
import dev.mcpguard.core.credentials.FileCredentialRepository;
import dev.mcpguard.core.credentials.KeysetProtection;
import dev.mcpguard.core.credentials.StoredCredentialProvider;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import dev.mcpguard.core.credentials.TokenEndpointSettings;
import dev.mcpguard.core.guardrails.Guardrails;
import dev.mcpguard.core.guardrails.ToolPins;
import dev.mcpguard.core.http.HttpRequestLimits;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.IdentityResolvers;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.mcp.GuardedSyncToolHandler;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.session.SessionAdmin;
import dev.mcpguard.core.throttle.RateLimit;
import dev.mcpguard.core.throttle.TokenBucketThrottle;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small guarded MCP server, as an orders team would write it: tools over the tenants' orders, served with the
 * MCP Java SDK's Streamable HTTP servlet transport in an embedded Tomcat on 127.0.0.1, every tool call passing
 * through mcp-guard.
 *
 * <p>What mcp-guard adds to an ordinary SDK server is a few lines in {@link #start()} (the transport's context
 * extractor, {@code guard.syncServer(transport)} instead of {@code McpServer.sync(transport)}, the tools wrapped),
 * one HTTP filter from {@code guard.httpFilter()} in {@link #installSecurity}, and the controls the guard is
 * built with:
 * <ul>
 *   <li>policy: security's reference OPA policy, evaluated in-process from the signed bundle shipped in this jar
 *       ({@value #POLICY_BUNDLE_RESOURCE}, verified with {@value #POLICY_PUBLIC_KEY_RESOURCE}) or a bundle file of
 *       your own ({@link OrdersServerSettings#policyBundle()}), behind a decision cache and a circuit breaker
 *       ({@link ResilientPolicyEngine}, flushed when the bundle changes). The server does not start unless the
 *       bundle loads and verifies;</li>
 *   <li>sessions: bound to the caller, at most
 *       {@value InMemorySessionRegistry#DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL} per principal, ended after
 *       {@link #SESSION_IDLE_TIMEOUT} idle or {@link #SESSION_LIFETIME} in all, revocable through
 *       {@link #sessions()}; an ended session's streams end and the SDK's session object is freed;</li>
 *   <li>throttling: {@link OrdersServerSettings#callsPerMinute()} calls per caller and tool and minute, replaced by
 *       the policy's {@code rate_limit} obligations where it sets them (10 per minute for {@code refund_order});
 *       before that, {@link OrdersServerSettings#requestsPerMinute()} HTTP requests per caller and minute in the
 *       HTTP filter;</li>
 *   <li>downstream credentials: refunds are paid out through the payments API with the {@code payments-api}
 *       credential the policy grants {@code refund_order}; it is kept encrypted (Tink, keyset under a local
 *       key-encryption key) in {@link OrdersServerSettings#credentialsDir()} and renewed before it expires.</li>
 * </ul>
 *
 * <pre>{@code
 * try (OrdersServer server = new OrdersServer(OrdersServerSettings.builder()
 *         .port(0).issuer(issuerUri).build()).start()) {
 *     URI endpoint = server.baseUrl().resolve("/mcp");
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #start()} once, {@link #close()} once (closing also closes the audit sink).
 */
public final class OrdersServer implements AutoCloseable {

    /** The MCP server name, as policy and audit records see it. */
    public static final String SERVER_NAME = "orders";
    /** Where the MCP endpoint is mounted. */
    public static final String MCP_ENDPOINT = "/mcp";
    /** The tools this server offers. */
    public static final List<String> TOOLS = OrderTools.NAMES;
    /** The signed policy bundle in this jar, built from {@code policies/} by {@code scripts/build-policy-bundle.sh}. */
    public static final String POLICY_BUNDLE_RESOURCE = "policy/orders-bundle.tar.gz";
    /** The DEMO public key the bundle in this jar is verified with (a copy of {@code policies/demo-signing/public.pem}). */
    public static final String POLICY_PUBLIC_KEY_RESOURCE = "policy/demo-signing-public.pem";
    /**
     * The guardrails this server runs: arguments are checked for injections and secrets, results (tool results,
     * resource contents, prompt messages) for injections, personal data and secrets.
     */
    static final Guardrails GUARDRAILS = Guardrails.builder()
            .arguments(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.SECRETS)
            .results(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.PERSONAL_DATA, Guardrails.Check.SECRETS)
            .build();
    /** How often a bundle file configured in the settings is re-read (the bundle in the jar cannot change). */
    public static final Duration POLICY_POLL_INTERVAL = Duration.ofSeconds(30);
    /** A session unused this long is refused; the client then re-initializes. */
    public static final Duration SESSION_IDLE_TIMEOUT = Duration.ofMinutes(30);
    /** A session older than this is refused however busy it is. */
    public static final Duration SESSION_LIFETIME = Duration.ofHours(8);
    /**
     * The environment variable that may hold the key-encryption key of the credential keyset (32 random bytes,
     * base64: {@code head -c 32 /dev/urandom | base64}). When it is not set, the key is the file
     * {@code kek.b64} in the credentials directory, created on first start.
     */
    public static final String CREDENTIAL_KEK_VARIABLE = "MCP_GUARD_DEMO_CREDENTIAL_KEK";
    /** The file of the local key-encryption key in the credentials directory, when the variable is not set. */
    public static final String CREDENTIAL_KEK_FILE = "kek.b64";

    /** What {@link #jwksUris()} says of an issuer whose keys are its metadata's {@code jwks_uri}. */
    static final String KEYS_FROM_METADATA = "from the issuer's metadata (OIDC discovery, else RFC 8414)";

    private static final Logger log = LoggerFactory.getLogger(OrdersServer.class);

    private final OrdersServerSettings settings;
    private final AuditSink auditSink;
    private final McpJsonMapper jsonMapper = new JacksonMcpJsonMapper(new ObjectMapper());
    private final OrderTools tools;
    private final OrderResources resources;
    /** Where introspection client secrets named by an environment variable are looked up. */
    private final Function<String, String> environment;
    /** Each trusted issuer's key set, as configured or discovered at start-up; for the console. */
    private final Map<URI, String> jwksUris = new LinkedHashMap<>();

    private Tomcat tomcat;
    private Path tomcatBaseDir;
    private McpSyncServer mcpServer;
    private McpGuard guard;
    private OpaWasmPolicyEngine policyEngine;
    private ResilientPolicyEngine resilientPolicy;
    private InMemorySessionRegistry sessions;
    private TinkCredentialStore credentialStore;
    private String credentialKeySource;
    private URI resource;
    private boolean started;
    private boolean closed;

    /** A server writing audit records to the settings' audit file (see {@link #auditSink(Path)}). */
    public OrdersServer(OrdersServerSettings settings) {
        this(settings, auditSink(settings.auditFile()));
    }

    /** A server writing audit records to {@code auditSink}, which it closes on {@link #close()}. */
    public OrdersServer(OrdersServerSettings settings, AuditSink auditSink) {
        this(settings, auditSink, System::getenv);
    }

    /** As {@link #OrdersServer(OrdersServerSettings, AuditSink)}, looking environment variables up in {@code environment}; for tests. */
    OrdersServer(OrdersServerSettings settings, AuditSink auditSink, Function<String, String> environment) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.auditSink = Objects.requireNonNull(auditSink, "auditSink");
        this.environment = Objects.requireNonNull(environment, "environment");
        if (settings.issuers().isEmpty()) {
            throw new IllegalArgumentException("settings.issuers needs at least one issuer: the server must know "
                    + "whom to trust");
        }
        OrderBook book = OrderBook.seeded();
        this.tools = new OrderTools(book, jsonMapper, settings.paymentsApi().map(PaymentsClient::new));
        this.resources = new OrderResources(book, jsonMapper);
    }

    private static ToolPins readToolPins(Path file) {
        try {
            return ToolPins.read(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the tool pin file " + file + " (mcp.guard.demo.tool-pins): "
                    + e.getMessage(), e);
        }
    }

    /** A durable JSON Lines audit file: each record is on disk before the tool result is returned. */
    public static AuditSink auditSink(Path file) {
        try {
            return JsonlFileAuditSink.builder(file).mode(JsonlFileAuditSink.Mode.DURABLE).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit file " + file, e);
        }
    }

    /**
     * Loads and verifies the policy bundle, binds the port, builds the guarded MCP server and starts serving.
     * Returns this server.
     *
     * @throws IllegalStateException when the policy bundle does not load (missing, tampered, signed with another
     *                               key, unreadable public key) or the port cannot be bound; the message says why
     */
    public synchronized OrdersServer start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        try {
            policyEngine = startPolicyEngine();
            tomcatBaseDir = Files.createTempDirectory("mcp-guard-orders-tomcat");
            tomcat = new Tomcat();
            tomcat.setBaseDir(tomcatBaseDir.toString());
            Connector connector = tomcat.getConnector();
            connector.setProperty("address", "127.0.0.1");
            connector.setPort(settings.port());
            TomcatHardening.apply(tomcat, connector);
            // init() binds the socket, so the real port (and with it the resource URI) is known before the
            // security filter is configured.
            tomcat.init();
            resource = settings.resource().orElse(URI.create(baseUrl() + MCP_ENDPOINT));
            credentialStore = openCredentialStore();
            sessions = InMemorySessionRegistry.builder()
                    .idleTimeout(SESSION_IDLE_TIMEOUT)
                    .absoluteLifetime(SESSION_LIFETIME)
                    .build();

            McpGuard.Builder guardBuilder = McpGuard.builder()
                    .serverName(SERVER_NAME)
                    // The RFC 9728 resource, the audience tokens must name, and (its path) the MCP endpoint.
                    .resource(resource)
                    .mcpEndpoint(MCP_ENDPOINT) // the servlet path, whatever the public URI's path is
                    .policyEngine(resilientPolicy)
                    .auditSink(auditSink)
                    // Shared with the HTTP filter: one place to see and revoke sessions.
                    .sessionRegistry(sessions)
                    // Schema checks inside the chain, so a malformed call is denied AND audited.
                    .validateArguments()
                    // Per caller and tool; the policy's rate_limit obligations replace it where they are set.
                    .throttle(TokenBucketThrottle.builder()
                            .limit(RateLimit.perCaller().perTool()
                                    .capacity(settings.callsPerMinute())
                                    .refillPerMinute(settings.callsPerMinute())
                                    .build())
                            .build())
                    // Which credential a handler may use comes from the policy's "credential" obligation.
                    .credentials(CredentialGuard.builder(StoredCredentialProvider.builder(credentialStore)
                            // The demo's token endpoint is the in-process issuer on http://127.0.0.1; a real
                            // deployment keeps the default (HTTPS only, no loopback or private addresses).
                            .tokenEndpoints(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting().build())
                            .build()).build());
            if (settings.guardrails()) {
                // What flows through: injections, personal data and secrets in arguments and results are found
                // and handed to the policy, which withholds, masks or marks (docs/guardrails.md).
                guardBuilder.guardrails(GUARDRAILS);
            }
            if (settings.toolPins().isPresent()) {
                // Security reviews the pin file like a lockfile: a tool whose definition changed since is refused.
                guardBuilder.toolPins(readToolPins(settings.toolPins().get()));
            }
            guard = guardBuilder.build();
            HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider
                    .builder()
                    .mcpEndpoint(MCP_ENDPOINT)
                    .contextExtractor(guard.contextExtractor())
                    .jsonMapper(jsonMapper)
                    // SDK 2.1.0 runs its idle-session sweeper on a non-daemon scheduler (Schedulers.newSingle) that
                    // close() never disposes, which would keep the JVM alive after the server closed. The session
                    // registry ends sessions instead (idle, lifetime, revocation, cap, DELETE) and the closer
                    // the guard starts for this transport frees the SDK's session for each, on a daemon thread.
                    .sessionSweepInterval(null)
                    .build();
            // The guarded transport audits calls to unknown tools and keeps client text out of the SDK's logs; the
            // guard also filters tools/list, frees ended sessions and turns off the SDK's unaudited schema check.
            McpServer.SyncSpecification<?> server = guard.syncServer(transport)
                    .serverInfo(SERVER_NAME, "1.0")
                    .jsonMapper(jsonMapper)
                    .capabilities(ServerCapabilities.builder().tools(true).resources(false, false).prompts(false)
                            .completions().build())
                    .tools(tools.guardedSpecifications(guard));
            mcpServer = registerResourcesAndPrompts(server).build();

            Context context = tomcat.addContext("", null);
            if (context instanceof StandardContext standard) {
                // The MCP SDK's shared Reactor threads outlive this context by design; do not warn about them.
                standard.setClearReferencesStopThreads(false);
                standard.setClearReferencesThreadLocals(false);
                standard.setClearReferencesRmiTargets(false);
            }
            Wrapper servlet = Tomcat.addServlet(context, "mcp", transport);
            servlet.setAsyncSupported(true);
            servlet.setLoadOnStartup(1);
            context.addServletMappingDecoded("/*", "mcp");
            installSecurity(context);
            // Only now does the port accept requests: the policy bundle loaded and warmed up above.
            tomcat.start();
            log.info("Orders server serving {} on {} with policy revision {}", MCP_ENDPOINT, baseUrl(),
                    policyEngine.currentRevision().orElse("none"));
            return this;
        } catch (IOException | LifecycleException | RuntimeException e) {
            close();
            throw new IllegalStateException("cannot start the orders server on 127.0.0.1:" + settings.port() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The one place this server's resources (each order, the template {@value OrderResources#ORDER_TEMPLATE}),
     * prompts and completions are registered: plain SDK specifications, whose handlers serve only the verified
     * caller's tenant ({@link OrderResources}). Nothing wraps them: the guarded transport passes every
     * resources, prompts and completion request through the guard chain at the JSON-RPC level (policy, throttle,
     * audit, filtered listings, redaction of contents), before the SDK dispatches it to these handlers.
     */
    private McpServer.SyncSpecification<?> registerResourcesAndPrompts(McpServer.SyncSpecification<?> server) {
        return server
                .resources(resources.resourceSpecifications())
                .resourceTemplates(resources.templateSpecifications())
                .prompts(resources.promptSpecifications())
                .completions(resources.completionSpecifications());
    }

    /**
     * The embedded OPA engine on the signed bundle: the one in this jar, or the settings' bundle file (re-read every
     * {@link #POLICY_POLL_INTERVAL}; a bad new bundle leaves the last good one serving). The policy learns the
     * environment's name, which decides whether destructive tools count as "in production".
     */
    private OpaWasmPolicyEngine startPolicyEngine() throws IOException {
        BundleSource source = settings.policyBundle()
                .map(BundleSource::file)
                .orElseGet(() -> BundleSource.classpath(POLICY_BUNDLE_RESOURCE));
        String publicKey;
        try {
            publicKey = settings.policyPublicKey().isPresent()
                    ? Files.readString(settings.policyPublicKey().get(), StandardCharsets.US_ASCII)
                    : classpathText(POLICY_PUBLIC_KEY_RESOURCE);
        } catch (IOException e) {
            throw new IOException("cannot read the policy public key "
                    + settings.policyPublicKey().map(Path::toString).orElse("classpath:" + POLICY_PUBLIC_KEY_RESOURCE)
                    + " (" + e.getClass().getSimpleName() + ")", e);
        }
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder()
                .bundleSource(source)
                .verification(BundleVerification.publicKey(publicKey))
                .environment(Map.of("name", settings.environment()))
                // Warm the policy's rules for this server's own calls too, not only the generic probes, so the
                // first real get_order decides in about a millisecond instead of tens (docs/policy.md, "Warm-up").
                .warmUpRequests(tools.warmUpRequests(SERVER_NAME, settings.issuer().orElseThrow().toString(),
                        Clock.systemUTC().instant()))
                .build();
        // Cached decisions never outlive the bundle that made them.
        resilientPolicy = ResilientPolicyEngine.ofDefaults(engine);
        engine.onBundleChange(resilientPolicy::onBundleChange);
        OpaWasmPolicyEngine.LoadOutcome outcome = settings.policyBundle().isPresent()
                ? engine.startPolling(POLICY_POLL_INTERVAL)
                : engine.pollNow();
        if (outcome != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            String why = engine.lastLoadError().orElse(outcome.name());
            engine.close();
            throw new IllegalStateException("the policy bundle " + source.describe() + " did not load (" + why
                    + "); the server does not run without its policy");
        }
        return engine;
    }

    /**
     * The encrypted credential store in the settings' credentials directory: a JSON file of Tink AES256-GCM
     * ciphertexts, a keyset encrypted with a local key-encryption key, from {@value #CREDENTIAL_KEK_VARIABLE} or
     * the file {@value #CREDENTIAL_KEK_FILE} (created with 32 random bytes, owner-only, when missing).
     */
    private TinkCredentialStore openCredentialStore() throws IOException {
        Path dir = settings.credentialsDir();
        Files.createDirectories(dir);
        KeysetProtection protection;
        String fromEnvironment = System.getenv(CREDENTIAL_KEK_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            protection = KeysetProtection.localKeyFromEnvironment(CREDENTIAL_KEK_VARIABLE);
            credentialKeySource = "environment variable " + CREDENTIAL_KEK_VARIABLE;
        } else {
            Path kek = dir.resolve(CREDENTIAL_KEK_FILE);
            if (Files.notExists(kek)) {
                createLocalKey(kek);
            }
            protection = KeysetProtection.localKeyFromFile(kek);
            credentialKeySource = "file " + kek;
        }
        CredentialKeyset keyset = CredentialKeyset.loadOrCreate(dir.resolve("keyset.json"), protection);
        return new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")), keyset,
                Clock.systemUTC());
    }

    private static void createLocalKey(Path file) throws IOException {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String encoded = Base64.getEncoder().encodeToString(key);
        java.util.Arrays.fill(key, (byte) 0);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, encoded, StandardCharsets.US_ASCII);
        log.info("Created a local key-encryption key for the credential keyset at {}: fine for a demo; in production "
                + "keep it in a KMS (KeysetProtection.kms)", file);
    }

    private static String classpathText(String resource) throws IOException {
        try (InputStream in = OrdersServer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /**
     * Puts mcp-guard's HTTP filter in front of the MCP servlet: bearer JWTs verified against each trusted issuer's
     * keys with this server's resource URI (and the issuer's own audiences) as the required audience, its claims
     * mapped as configured, optionally introspected; RFC 9728 metadata naming every issuer, browser origins
     * refused, and sessions bound to the principal through the registry the guard chain also consults.
     */
    private void installSecurity(Context context) {
        McpGuardHttpFilter.Builder filter = guard.httpFilter(); // shares the guard's sessions and resource
        List<JwtIdentityResolver> resolvers = new ArrayList<>();
        for (TrustedIssuer issuer : settings.issuers()) {
            resolvers.add(identityResolver(issuer));
            filter.authorizationServer(issuer.issuer());
        }
        // One issuer: its resolver itself, as before. Several: each token goes to the resolver of its exact iss.
        IdentityResolver tokens = resolvers.size() == 1 ? resolvers.get(0) : IdentityResolvers.byIssuer(resolvers);
        addFilter(context, "mcp-guard-http", filter
                .identityResolver(tokens)
                .scopesSupported("orders.read", "orders.refund", "customers.delete")
                .resourceName("Orders (mcp-guard example)")
                // Per caller: every HTTP request counts, before any tool call (429 past the rate).
                .requestLimits(HttpRequestLimits.custom()
                        .requestRate(settings.requestsPerMinute(), settings.requestsPerMinute())
                        .build())
                .build());
    }

    /**
     * The resolver of one trusted issuer. Without a configured JWKS URI (or introspection endpoint) the issuer's
     * metadata is read now ({@link JwtIdentityResolver#checkIssuerMetadata()}: OIDC discovery, then RFC 8414), so a
     * wrong issuer fails start-up with a message naming the setting instead of refusing every token later; the
     * resolver reads the metadata itself again before each key set fetch. The introspection client secret is read
     * from its file or variable now, into a {@code Secret}.
     */
    private JwtIdentityResolver identityResolver(TrustedIssuer issuer) {
        JwtIdentityResolver.Builder builder = guard.jwtIdentityResolver() // audience: the guard's resource URI
                .issuer(issuer.issuer().toString())
                .claimMapping(issuer.claims());
        issuer.audiences().forEach(builder::audience);
        issuer.jwksUri().ifPresent(builder::jwksUrl);
        issuer.introspection().ifPresent(introspection ->
                builder.introspection(introspection.toTokenIntrospection(environment)));
        JwtIdentityResolver resolver;
        try {
            resolver = builder.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException("issuer " + issuer.issuer() + " ("
                    + TrustedIssuer.describeSetting(issuer.name(), "") + "): " + e.getMessage(), e);
        }
        try {
            resolver.checkIssuerMetadata();
        } catch (IOException e) {
            String keys = issuer.discoversKeys()
                    ? " and " + TrustedIssuer.describeSetting(issuer.name(), "jwks-uri") + " is not set" : "";
            throw new IllegalStateException("cannot discover the metadata of issuer " + issuer.issuer() + " ("
                    + TrustedIssuer.describeSetting(issuer.name(), "") + keys + "): " + e.getMessage() + "; fix "
                    + TrustedIssuer.settingName(issuer.name(), "")
                    + (issuer.discoversKeys() ? " or set " + TrustedIssuer.settingName(issuer.name(), "jwks-uri") : ""),
                    e);
        }
        jwksUris.put(issuer.issuer(), issuer.jwksUri().map(URI::toString).orElse(KEYS_FROM_METADATA));
        return resolver;
    }

    private static void addFilter(Context context, String name, jakarta.servlet.Filter filter) {
        FilterDef def = new FilterDef();
        def.setFilterName(name);
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName(name);
        map.addURLPatternDecoded("/*");
        context.addFilterMap(map);
    }

    /** The port the server listens on (the bound one when configured with 0). */
    public int port() {
        requireStarted();
        return tomcat.getConnector().getLocalPort();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUrl() {
        requireStarted();
        return URI.create("http://127.0.0.1:" + port());
    }

    /** This server's resource URI: the audience its tokens must carry. */
    public URI resourceUri() {
        requireStarted();
        return resource;
    }

    /**
     * Where each trusted issuer's keys come from, in the settings' order: the configured JWKS URL, or
     * {@link #KEYS_FROM_METADATA} when they are its metadata's {@code jwks_uri} (read at start-up and before each
     * key set fetch; core does not report which of the two documents answered).
     */
    synchronized Map<URI, String> jwksUris() {
        requireStarted();
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(jwksUris));
    }

    /** The revision of the policy bundle deciding calls now, e.g. {@code orders-25902e875ca8}. */
    public String policyRevision() {
        requireStarted();
        return policyEngine.currentRevision().orElseThrow(() -> new IllegalStateException("no policy is loaded"));
    }

    /** Where the policy bundle comes from, e.g. {@code classpath:policy/orders-bundle.tar.gz}. */
    public String policySource() {
        return settings.policyBundle().map(Path::toString).orElse("classpath:" + POLICY_BUNDLE_RESOURCE);
    }

    /** The settings this server runs with. */
    public OrdersServerSettings settings() {
        return settings;
    }

    /** The settings' environment name, as the policy sees it. */
    public String environment() {
        return settings.environment();
    }

    /** Every tool's definition as clients see it in {@code tools/list} (before policy filters the list). */
    List<McpSchema.Tool> toolDefinitions() {
        return tools.definitions();
    }

    /** How many times the handler of {@code tool} has actually run; denied calls do not count. */
    public int executions(String tool) {
        return tools.executions(tool);
    }

    /**
     * How many times the resource, prompt or completion handler {@code name} has actually run:
     * {@value OrderResources#READ}, a prompt name, or {@value OrderResources#COMPLETE}.
     */
    int resourceExecutionsForTests(String name) {
        return resources.executions(name);
    }

    /** The live sessions and their revocation, shared by the HTTP filter and the guard chain. */
    public SessionAdmin sessions() {
        requireStarted();
        return sessions;
    }

    /**
     * The encrypted store of downstream credentials, for provisioning as an operator would (the operator CLI,
     * {@code dev.mcpguard.core.credentials.cli.CredentialsCommand}, does the same on the same files).
     */
    public TinkCredentialStore credentialStore() {
        requireStarted();
        return credentialStore;
    }

    /** Where the key-encryption key of the credential keyset comes from: a file or the environment variable. */
    public String credentialKeySource() {
        requireStarted();
        return credentialKeySource;
    }

    /** The policy engine as the guard uses it: the embedded OPA engine behind a decision cache and circuit breaker. */
    public ResilientPolicyEngine policyEngine() {
        requireStarted();
        return resilientPolicy;
    }

    /** How many Tomcat worker threads are busy right now; for tests that check a flood holds none. */
    int busyWorkersForTests() {
        requireStarted();
        return TomcatHardening.busyWorkers(tomcat.getConnector());
    }

    /**
     * Replaces tool {@code tool.name()} of the running server with {@code handler}, guarded like every other tool;
     * for tests that need a handler of their own behind the same guard.
     */
    void replaceToolForTests(McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        requireStarted();
        guard.removeTool(mcpServer, tool.name()); // frees the name, so the changed tool is checked as a new one
        mcpServer.addTool(guard.guardWithContext(tool, handler));
    }

    /**
     * Adds tool {@code tool} to the running server, guarded like every other tool (as a team adds one at runtime);
     * for tests of what the guard does at registration.
     */
    void addToolForTests(McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        requireStarted();
        mcpServer.addTool(guard.guardWithContext(tool, handler));
    }

    /** Stops serving, then closes the MCP server, the policy engine and the audit sink. Safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (mcpServer != null) {
                mcpServer.closeGracefully();
            }
            if (tomcat != null) {
                tomcat.stop();
                tomcat.destroy();
            }
        } catch (LifecycleException e) {
            throw new IllegalStateException("cannot stop the orders server", e);
        } finally {
            tomcat = null;
            mcpServer = null;
            if (sessions != null) {
                sessions.close();
            }
            if (guard != null) {
                guard.close(); // its session closer
            }
            if (policyEngine != null) {
                policyEngine.close();
            }
            auditSink.close();
            deleteQuietly(tomcatBaseDir);
        }
    }

    private void requireStarted() {
        if (tomcat == null) {
            throw new IllegalStateException("the orders server is not running");
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
