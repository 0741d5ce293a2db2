package dev.mcpguard.examples;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guarded {@link OrdersServer} on its own, to connect the MCP Inspector or any other MCP client to it:
 *
 * <pre>
 * mvn -q -Pserver -DskipTests verify
 * </pre>
 *
 * <p>Starts the orders server on 127.0.0.1 port {@value OrdersServerSettings#DEFAULT_PORT} (settings from
 * {@link OrdersServerSettings#fromEnvironment()}, as the demo reads them) and serves until the JVM stops (Ctrl-C),
 * then closes everything. By default it also starts the embedded token issuer (an in-process mock-oauth2-server)
 * and the payments API refunds are paid out through, stores the payments credential, and prints one token per demo
 * user ({@link #USERS}, valid {@link #TOKEN_LIFETIME}, for the server's resource URI) with the commands that
 * connect the Inspector. With {@code MCP_GUARD_DEMO_ISSUER} or {@code MCP_GUARD_DEMO_ISSUERS} set it trusts those
 * issuers instead (see {@link OrdersServerSettings}), prints each of them (its keys' source, claim map and whether
 * its tokens are introspected; never a secret) and no token (get one from one of them for the printed audience),
 * and pays refunds out only through {@code MCP_GUARD_DEMO_PAYMENTS_API}, if set.
 *
 * <p>The tokens are printed to the given stream (the console) on purpose, for a person to copy; they are never
 * logged. Thread-safe; {@link #close()} once (more calls do nothing).
 */
public final class StandaloneServer implements AutoCloseable {

    /** How long the printed tokens are valid: long enough for a session with the Inspector, no longer. */
    public static final Duration TOKEN_LIFETIME = Duration.ofMinutes(30);
    /** The users a token is printed for, in this order. */
    public static final List<DemoUser> USERS = List.of(DemoUser.ALICE, DemoUser.BOB, DemoUser.CAROL, DemoUser.GRACE);

    private static final Logger log = LoggerFactory.getLogger(StandaloneServer.class);

    private final OrdersServer server;
    private final DemoIssuer issuer;
    private final PaymentsApi payments;
    private final Map<DemoUser, String> tokens;
    private final PrintStream out;
    private boolean closed;

    private StandaloneServer(OrdersServer server, DemoIssuer issuer, PaymentsApi payments,
                             Map<DemoUser, String> tokens, PrintStream out) {
        this.server = server;
        this.issuer = issuer;
        this.payments = payments;
        this.tokens = tokens;
        this.out = out;
    }

    /** Starts the server with the settings of the environment and serves until the JVM stops (Ctrl-C). */
    public static void main(String[] args) throws InterruptedException {
        StandaloneServer running = start(OrdersServerSettings.fromEnvironment(), System.out);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } finally {
                stopped.countDown();
            }
        }, "orders-server-shutdown"));
        stopped.await();
    }

    /**
     * Starts the server (and, unless {@code settings} name an issuer, the embedded issuer and the payments API),
     * prints how to connect to {@code out}, and returns the running server.
     *
     * @throws IllegalStateException when the server cannot start (port in use, policy bundle refused); whatever
     *                               had started is closed again
     */
    public static StandaloneServer start(OrdersServerSettings settings, PrintStream out) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(out, "out");
        DemoIssuer issuer = null;
        PaymentsApi payments = null;
        OrdersServer server = null;
        try {
            OrdersServerSettings effective = settings;
            if (settings.issuers().isEmpty()) {
                issuer = DemoIssuer.start();
                payments = PaymentsApi.start(issuer.issuer(), issuer.jwksUri());
                // No JWKS URI: the server finds the embedded issuer's keys by OIDC discovery, as a real IdP's.
                effective = settings.toBuilder().issuer(issuer.issuer()).paymentsApi(payments.refundsUri()).build();
            }
            server = new OrdersServer(effective).start();
            Map<DemoUser, String> tokens = new LinkedHashMap<>(); // in USERS order, for printing
            if (issuer != null) {
                // The operator's step, as in the demo: the orders server's OAuth client for the payments API.
                PaymentsCredential.provision(server.credentialStore(), issuer);
                for (DemoUser user : USERS) {
                    tokens.put(user, issuer.token(user, List.of(server.resourceUri().toString()), TOKEN_LIFETIME,
                            Map.of()));
                }
            }
            StandaloneServer running = new StandaloneServer(server, issuer, payments, tokens, out);
            running.printConnectionHelp();
            log.info("Orders server running on its own at {}", server.baseUrl());
            return running;
        } catch (RuntimeException e) {
            closeAll(server, payments, issuer);
            throw e;
        }
    }

    /** The running orders server. */
    public OrdersServer server() {
        return server;
    }

    /** The MCP endpoint, {@code http://127.0.0.1:<port>/mcp}. */
    public URI endpoint() {
        return server.baseUrl().resolve(OrdersServer.MCP_ENDPOINT);
    }

    /** The embedded issuer's URL; empty when a configured issuer is trusted instead. */
    public Optional<URI> embeddedIssuer() {
        return Optional.ofNullable(issuer).map(DemoIssuer::issuer);
    }

    /** The variable name a user's token is printed as, e.g. {@code ALICE_TOKEN}. */
    static String tokenVariable(DemoUser user) {
        return user.subject().toUpperCase(Locale.ROOT) + "_TOKEN";
    }

    private void printConnectionHelp() {
        URI endpoint = endpoint();
        out.println("mcp-guard: the 'orders' MCP server on its own, every tool call guarded in-process");
        out.println("  MCP endpoint  " + endpoint + "  (Streamable HTTP)");
        out.println("  audience      " + server.resourceUri() + "  (tokens must be issued for it)");
        printIssuers();
        out.println("  policy        bundle " + server.policyRevision() + " (signature verified) from "
                + server.policySource() + ", environment '" + server.environment() + "'");
        out.println("  audit         " + server.settings().auditFile());
        out.println();
        if (tokens.isEmpty()) {
            out.println("Get an access token from "
                    + (server.settings().issuers().size() == 1
                            ? server.settings().issuers().get(0).issuer() : "one of the issuers above")
                    + " for audience " + server.resourceUri() + ", then:");
            out.println("  export TOKEN=<the access token>");
        } else {
            out.println("Tokens from the embedded issuer, valid " + TOKEN_LIFETIME.toMinutes()
                    + " minutes (restart for new ones):");
            for (Map.Entry<DemoUser, String> entry : tokens.entrySet()) {
                DemoUser user = entry.getKey();
                out.println("  # " + user.subject() + ": tenant " + user.tenant() + ", scopes "
                        + String.join(" ", user.scopes()) + ", roles "
                        + (user.roles().isEmpty() ? "none" : String.join(" ", user.roles())));
                out.println("  export " + tokenVariable(user) + "=" + entry.getValue());
            }
            out.println("  export TOKEN=$" + tokenVariable(DemoUser.ALICE));
        }
        out.println();
        out.println("Connect the MCP Inspector's web UI:  npx @modelcontextprotocol/inspector");
        out.println("  transport Streamable HTTP, URL " + endpoint + ", header Authorization: Bearer <token>");
        out.println("  (connect through the Inspector's proxy: this server refuses browser origins it is not "
                + "configured for)");
        out.println("Or its CLI:");
        out.println("  npx @modelcontextprotocol/inspector --cli " + endpoint + " --transport http \\");
        out.println("    --header \"Authorization: Bearer $TOKEN\" --method tools/call --tool-name get_order "
                + "--tool-arg order_id=acme-1001");
        out.println("Or any MCP client over Streamable HTTP with the header Authorization: Bearer <token>.");
        out.println();
        out.println("Serving until Ctrl-C.");
        out.flush();
    }

    /**
     * Every trusted issuer, in the settings' order: its exact {@code iss} and the setting it comes from, where its
     * keys come from, the audiences it may use instead of the resource URI, its claim map and whether its tokens
     * are introspected (with the client id and where the secret is read from, never the secret).
     */
    private void printIssuers() {
        List<TrustedIssuer> trusted = server.settings().issuers();
        Map<URI, String> keys = server.jwksUris();
        out.println("  issuers       tokens must come from " + (trusted.size() == 1 ? "this issuer" : "one of these "
                + trusted.size() + " issuers") + " (iss matched exactly); any other issuer's get 401");
        for (TrustedIssuer trustedIssuer : trusted) {
            out.println("    " + trustedIssuer.issuer() + "  (" + (issuer != null
                    ? "embedded mock-oauth2-server, for trying it out only"
                    : TrustedIssuer.settingName(trustedIssuer.name(), "")) + ")");
            out.println("      keys           " + keys.get(trustedIssuer.issuer()));
            if (!trustedIssuer.audiences().isEmpty()) {
                out.println("      audiences      " + server.resourceUri() + " or "
                        + String.join(", ", trustedIssuer.audiences()));
            }
            out.println("      claims         roles " + paths(trustedIssuer.claims().rolePaths())
                    + ", tenant " + paths(trustedIssuer.claims().tenantPaths())
                    + ", client " + paths(trustedIssuer.claims().clientIdPaths())
                    + ", scopes " + paths(trustedIssuer.claims().scopePaths()));
            out.println("      introspection  " + trustedIssuer.introspection().map(StandaloneServer::describe)
                    .orElse("off (opaque tokens refused)"));
        }
    }

    private static String paths(List<String> paths) {
        return paths.isEmpty() ? "none" : String.join("|", paths);
    }

    /** What an issuer's introspection does, for the console: never the secret, only where it is read from. */
    private static String describe(TrustedIssuer.Introspection introspection) {
        return "on, for opaque tokens" + (introspection.alsoForJwts() ? " and JWTs" : "")
                + ", answers remembered " + introspection.cacheTtl().toSeconds() + " s; endpoint "
                + introspection.endpoint().map(URI::toString).orElse("from the issuer's metadata")
                + "; client " + introspection.clientId() + ", its secret from the "
                + introspection.clientSecret().describe();
    }

    /** Stops the orders server, then the payments API and the embedded issuer. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(server, payments, issuer);
        out.println("Stopped the orders server" + (issuer != null ? ", the payments API and the issuer." : "."));
        out.flush();
    }

    private static void closeAll(OrdersServer server, PaymentsApi payments, DemoIssuer issuer) {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            try {
                if (payments != null) {
                    payments.close();
                }
            } finally {
                if (issuer != null) {
                    issuer.close();
                }
            }
        }
    }
}
