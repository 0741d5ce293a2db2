package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.policy.ToolListEvaluation;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks an OPA server (a sidecar or a central service) through its REST Data API:
 * {@code POST {base}/v1/data/{decisionPath}?provenance=true} with body {@code {"input": ...}}, the input being
 * version 1 of the input contract ({@code docs/policy.md}); the {@code result} is read by
 * {@code PolicyResultReader}.
 *
 * <p>Fail closed, never an exception, never null:
 * <ul>
 *   <li>a request body larger than {@link Builder#maxInputBytes(int)} (huge tool arguments) →
 *       {@link ReasonCode#POLICY_INPUT_TOO_LARGE}, and nothing is sent;</li>
 *   <li>an argument with a non-finite number (not valid JSON text; a lone UTF-16 surrogate is sent as U+FFFD) →
 *       {@link ReasonCode#INVALID_ARGUMENTS}, and nothing is sent, as with the embedded engine;</li>
 *   <li>connection refused, connect or request timeout, connection reset →
 *       {@link ReasonCode#POLICY_UNAVAILABLE};</li>
 *   <li>an HTTP status other than 200, a body that is not a JSON object, a body larger than
 *       {@link Builder#maxResponseBytes(int)}, a result of the wrong type → {@link ReasonCode#POLICY_ERROR};</li>
 *   <li>no {@code result} key (the path is undefined for this input) → {@code policy_undefined}.</li>
 * </ul>
 * Every request is bounded by {@link Builder#requestTimeout(Duration)} (the whole exchange, body included), so a
 * slow server costs at most that long per call; wrap the engine in
 * {@link dev.mcpguard.core.policy.ResilientPolicyEngine} to deny at once while the server keeps failing.
 *
 * <p>The bundle revision from the response's provenance ({@code provenance.bundles.<name>.revision}, or
 * {@code provenance.revision} for a server started without bundles) becomes the decision's
 * {@link Decision#policyRevision()}; with several bundles it is {@code name=revision} pairs sorted by name and
 * joined by commas. OPA's own {@code decision_id} (present when OPA's decision logging is on) is logged at DEBUG
 * next to mcp-guard's decision id, so the two logs can be joined; the decision keeps mcp-guard's id.
 *
 * <p>Transport security: {@code https} is required, except that plain {@code http} to a loopback address
 * ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}; the usual sidecar) is accepted when
 * {@link Builder#allowPlainHttpOnLoopback()} is called. Plain {@code http} to any other host is refused at build
 * time: the input carries caller identities and tool arguments, and an optional bearer token authenticates to OPA.
 *
 * <pre>{@code
 * PolicyEngine opa = OpaRemotePolicyEngine.builder(URI.create("http://127.0.0.1:8181"))
 *         .allowPlainHttpOnLoopback()
 *         .environment(Map.of("name", "prod"))
 *         .build();
 * }</pre>
 *
 * <p>{@code tools/list} ({@link #visibleTools}): one {@code POST {base}/v1/data/{visibleToolsPath}} (default
 * {@code mcp/authz/visible_tools}) with the list input document, read as the visible names (docs/policy.md, "One
 * evaluation per list"); failures show nothing. When OPA answers that document undefined (no {@code result}: the
 * policy has no such rule; the reference rule is always defined) the tools are asked per tool instead, and that is
 * logged once at INFO.
 *
 * <p>Thread-safe: one shared {@link HttpClient} (HTTP/1.1 keep-alive connection pool) serves all calls.
 */
public final class OpaRemotePolicyEngine implements PolicyEngine, ToolListEvaluation {

    /** Default decision path: the rule {@code data.mcp.authz.decision}. */
    public static final String DEFAULT_DECISION_PATH = "mcp/authz/decision";
    /** Default list path: the rule {@code data.mcp.authz.visible_tools}. */
    public static final String DEFAULT_VISIBLE_TOOLS_PATH = "mcp/authz/visible_tools";
    /** Default connect timeout: a sidecar answers in well under a millisecond; a central OPA within a LAN hop. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(250);
    /** Default bound on one whole request, connect included. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMillis(500);
    /** Default bound on a response body; a decision is a few hundred bytes. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

    static final String UNAVAILABLE_MESSAGE = "The policy service is unavailable; the call is denied.";
    static final String ERROR_MESSAGE = "The policy could not be evaluated; the call is denied.";

    private static final Logger log = LoggerFactory.getLogger(OpaRemotePolicyEngine.class);
    private static final Pattern DECISION_PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*");
    private static final Pattern SAFE_TOKEN = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int MAX_REVISION_LENGTH = 200;

    private final String decisionPath;
    private final URI decisionUri;
    private final URI visibleToolsUri;
    private final AtomicBoolean perToolLogged = new AtomicBoolean();
    private final Duration requestTimeout;
    private final int maxResponseBytes;
    private final int maxInputBytes;
    private final Optional<Secret> bearerToken;
    private final Clock clock;
    private final ObjectMapper mapper;
    private final PolicyInputDocument inputDocument;
    private final PolicyResultReader resultReader;
    private final HttpClient http;

    private OpaRemotePolicyEngine(Builder builder) {
        String base = builder.baseUri.toString().replaceAll("/+$", "");
        this.decisionPath = builder.decisionPath;
        this.decisionUri = URI.create(base + "/v1/data/" + builder.decisionPath + "?provenance=true");
        this.visibleToolsUri = URI.create(base + "/v1/data/" + builder.visibleToolsPath + "?provenance=true");
        this.requestTimeout = builder.requestTimeout;
        this.maxResponseBytes = builder.maxResponseBytes;
        this.maxInputBytes = builder.maxInputBytes;
        this.bearerToken = Optional.ofNullable(builder.bearerToken);
        this.clock = builder.clock;
        this.mapper = builder.mapper;
        this.inputDocument = new PolicyInputDocument(mapper, builder.environment);
        this.resultReader = new PolicyResultReader(mapper);
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (builder.sslContext != null) {
            http.sslContext(builder.sslContext);
        }
        this.http = http.build();
    }

    /**
     * Starts a builder for the OPA server at {@code baseUri} (scheme, host, port and an optional path prefix, for
     * example {@code https://opa.internal:8181}); no query, fragment or user info.
     */
    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /** The URI every decision is posted to; safe to log. */
    public URI decisionUri() {
        return decisionUri;
    }

    @Override
    public Decision decide(PolicyRequest request) {
        String decisionId = request.decisionId();
        long started = clock.millis();
        byte[] body;
        ObjectNode document;
        try {
            document = inputDocument.build(request);
            // A number JSON cannot represent (NaN, Infinity) cannot be sent: this call's denial, decided here, so it
            // never reaches OPA and never counts as an engine failure. (Lone surrogates are already U+FFFD.)
            Optional<Decision> unrepresentable = PolicyInputDocument.denyIfUnrepresentable(document, request,
                    Optional.empty(), log);
            if (unrepresentable.isPresent()) {
                return unrepresentable.get();
            }
            ObjectNode envelope = mapper.createObjectNode();
            envelope.set("input", document);
            body = BoundedJsonEncoder.encode(mapper.writer(), envelope, maxInputBytes);
        } catch (BoundedJsonEncoder.TooLargeException e) {
            log.warn("Policy input for decision {} (tool {}) is over {} bytes; denying without asking OPA",
                    decisionId, request.tool().name(), maxInputBytes);
            return deny(decisionId, ReasonCode.POLICY_INPUT_TOO_LARGE,
                    PolicyInputDocument.INPUT_TOO_LARGE_MESSAGE, Optional.empty());
        } catch (IOException | RuntimeException e) {
            log.warn("Could not encode the policy input for decision {} (tool {}): {}; denying",
                    decisionId, request.tool().name(), e.getClass().getName());
            return deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, Optional.empty());
        }
        HttpResponse<byte[]> response;
        PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.current();
        long sent = recording == null ? 0 : System.nanoTime();
        try {
            response = send(body);
        } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
            log.warn("OPA at {} answered decision {} with a body over {} bytes; denying", decisionUri, decisionId,
                    maxResponseBytes);
            return deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, Optional.empty());
        } catch (TimeoutException e) {
            log.warn("OPA at {} did not answer decision {} within {} ms; denying", decisionUri, decisionId,
                    requestTimeout.toMillis());
            return deny(decisionId, ReasonCode.POLICY_UNAVAILABLE, UNAVAILABLE_MESSAGE, Optional.empty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted while asking OPA for decision {}; denying", decisionId);
            return deny(decisionId, ReasonCode.POLICY_UNAVAILABLE, UNAVAILABLE_MESSAGE, Optional.empty());
        } catch (IOException | RuntimeException e) {
            log.warn("OPA at {} is unavailable for decision {} ({}: {}); denying", decisionUri, decisionId,
                    e.getClass().getName(), e.getMessage());
            return deny(decisionId, ReasonCode.POLICY_UNAVAILABLE, UNAVAILABLE_MESSAGE, Optional.empty());
        }
        if (response.statusCode() != 200) {
            // The body of an OPA error may echo parts of the input; only the status is logged.
            log.warn("OPA at {} answered decision {} with HTTP {}; denying", decisionUri, decisionId,
                    response.statusCode());
            return deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, Optional.empty());
        }
        JsonNode answer;
        try {
            answer = mapper.readTree(response.body());
        } catch (IOException | RuntimeException e) {
            log.warn("OPA at {} answered decision {} with a body that is not JSON; denying", decisionUri, decisionId);
            return deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, Optional.empty());
        }
        if (answer == null || !answer.isObject()) {
            log.warn("OPA at {} answered decision {} with JSON that is not an object; denying", decisionUri, decisionId);
            return deny(decisionId, ReasonCode.POLICY_ERROR, ERROR_MESSAGE, Optional.empty());
        }
        Optional<String> revision = revisionOf(answer.path("provenance"));
        if (recording != null) {
            JsonNode result = answer.get("result");
            recording.evaluated(new PolicyEvaluationRecorder.Evaluation(decisionPath, document,
                    Optional.ofNullable(result), bundlesOf(answer.path("provenance")),
                    Map.of("timer_mcp_guard_opa_request_ns", System.nanoTime() - sent)));
        }
        Decision decision = resultReader.read(answer.get("result"), decisionId, revision);
        if (log.isDebugEnabled()) {
            log.debug("OPA decision {} (opa decision_id {}, revision {}) for tool {}: {} in {} ms", decisionId,
                    safeToken(answer.path("decision_id")).orElse("-"), revision.orElse("-"),
                    request.tool().name(), outcomeOf(decision), clock.millis() - started);
        }
        if (decision instanceof Decision.Deny deny && deny.reason().equals(ReasonCode.POLICY_ERROR)) {
            log.warn("OPA at {} returned a result of the wrong shape for decision {}; denying", decisionUri, decisionId);
        }
        return decision;
    }

    /** The visible tools in one request when the policy has the list rule, else asked per tool. Never throws. */
    @Override
    public Set<String> visibleTools(ToolListRequest request) {
        return evaluateToolList(request).map(Answer::visible).orElseGet(() -> PolicyEngine.super.visibleTools(request));
    }

    /** {@inheritDoc} Empty when OPA answers the list document undefined (the policy has no list rule). */
    @Override
    public Optional<Answer> evaluateToolList(ToolListRequest request) {
        String decisionId = request.decisionId();
        byte[] body;
        try {
            ObjectNode document = inputDocument.buildList(request);
            if (UnrepresentableInput.find(document).isPresent()) {
                return Optional.of(Answer.nothing(Optional.empty()));
            }
            ObjectNode envelope = mapper.createObjectNode();
            envelope.set("input", document);
            body = BoundedJsonEncoder.encode(mapper.writer(), envelope, maxInputBytes);
        } catch (BoundedJsonEncoder.TooLargeException e) {
            log.warn("tools/list input for decision {} ({} tools) is over {} bytes; showing no tool", decisionId,
                    request.tools().size(), maxInputBytes);
            return Optional.of(Answer.nothing(Optional.empty()));
        } catch (IOException | RuntimeException e) {
            log.warn("Could not encode the tools/list input for decision {}: {}; showing no tool", decisionId,
                    e.getClass().getName());
            return Optional.of(Answer.failure());
        }
        JsonNode answer;
        try {
            HttpResponse<byte[]> response = send(visibleToolsUri, body);
            if (response.statusCode() != 200) {
                log.warn("OPA at {} answered tools/list decision {} with HTTP {}; showing no tool", visibleToolsUri,
                        decisionId, response.statusCode());
                return Optional.of(Answer.failure());
            }
            answer = mapper.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(Answer.failure());
        } catch (IOException | TimeoutException | RuntimeException e) {
            log.warn("OPA at {} did not answer tools/list decision {} ({}); showing no tool", visibleToolsUri,
                    decisionId, e.getClass().getName());
            return Optional.of(Answer.failure());
        }
        if (answer == null || !answer.isObject()) {
            log.warn("OPA at {} answered tools/list decision {} with JSON that is not an object; showing no tool",
                    visibleToolsUri, decisionId);
            return Optional.of(Answer.failure());
        }
        if (!answer.has("result")) {
            if (perToolLogged.compareAndSet(false, true)) {
                log.info("tools/list: OPA at {} has no document there; asking {} once per tool", visibleToolsUri,
                        decisionUri);
            }
            return Optional.empty();
        }
        Answer visible = VisibleToolsResultReader.read(answer.get("result"), request.tools(),
                revisionOf(answer.path("provenance")));
        if (visible.failed()) {
            log.warn("OPA at {} returned a value that is not an array of tool names for decision {}; showing no tool",
                    visibleToolsUri, decisionId);
        }
        return Optional.of(visible);
    }

    private HttpResponse<byte[]> send(byte[] body) throws IOException, InterruptedException, TimeoutException {
        return send(decisionUri, body);
    }

    private HttpResponse<byte[]> send(URI uri, byte[] body) throws IOException, InterruptedException, TimeoutException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        bearerToken.ifPresent(token -> request.header("Authorization", "Bearer " + token.revealUtf8()));
        // HttpRequest.timeout stops at the response headers; the exchange's deadline also bounds a trickling body.
        return BoundedHttpExchange.send(http, request.build(), maxResponseBytes, requestTimeout);
    }

    private static Optional<String> revisionOf(JsonNode provenance) {
        JsonNode bundles = provenance.path("bundles");
        if (bundles.isObject() && bundles.size() > 0) {
            TreeMap<String, String> revisions = new TreeMap<>();
            for (Map.Entry<String, JsonNode> bundle : bundles.properties()) {
                JsonNode revision = bundle.getValue().path("revision");
                if (revision.isTextual() && !revision.textValue().isEmpty()) {
                    revisions.put(bundle.getKey(), revision.textValue());
                }
            }
            if (revisions.isEmpty()) {
                return Optional.empty();
            }
            if (revisions.size() == 1 && bundles.size() == 1) {
                return sanitizedRevision(revisions.firstEntry().getValue());
            }
            StringJoiner joined = new StringJoiner(",");
            revisions.forEach((name, revision) -> joined.add(name + "=" + revision));
            return sanitizedRevision(joined.toString());
        }
        JsonNode legacy = provenance.path("revision");
        return legacy.isTextual() && !legacy.textValue().isEmpty() ? sanitizedRevision(legacy.textValue()) : Optional.empty();
    }

    /**
     * Bundle name to revision from OPA's provenance, for decision logs: the names and revisions as OPA reports them,
     * cleaned and bounded like the revision, at most 16 bundles; {@code provenance.revision} alone (a server without
     * bundles) is not a bundle and is left out, as OPA leaves it out of its own {@code bundles}.
     */
    private static Map<String, String> bundlesOf(JsonNode provenance) {
        Map<String, String> bundles = new TreeMap<>();
        JsonNode named = provenance.path("bundles");
        if (named.isObject()) {
            for (Map.Entry<String, JsonNode> bundle : named.properties()) {
                JsonNode revision = bundle.getValue().path("revision");
                Optional<String> name = sanitizedRevision(bundle.getKey());
                if (bundles.size() < 16 && name.isPresent() && revision.isTextual()) {
                    bundles.put(name.get(), sanitizedRevision(revision.textValue()).orElse(""));
                }
            }
        }
        return bundles;
    }

    /** A revision goes into audit records: no control characters, bounded length. */
    private static Optional<String> sanitizedRevision(String revision) {
        String cleaned = ClientText.withoutInvisible(revision, Integer.MAX_VALUE).strip();
        return cleaned.isEmpty() ? Optional.empty()
                : Optional.of(ClientText.withoutInvisible(cleaned, MAX_REVISION_LENGTH));
    }

    private static Optional<String> safeToken(JsonNode value) {
        return value.isTextual() && SAFE_TOKEN.matcher(value.textValue()).matches()
                ? Optional.of(value.textValue()) : Optional.empty();
    }

    private static String outcomeOf(Decision decision) {
        return decision instanceof Decision.Deny deny ? "deny " + deny.reason() : "allow";
    }

    private static Decision deny(String decisionId, ReasonCode reason, String message, Optional<String> revision) {
        return new Decision.Deny(decisionId, reason, message, revision);
    }

    @Override
    public String toString() {
        return "OpaRemotePolicyEngine[" + decisionUri + "]";
    }

    static boolean isLoopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!IPV4.matcher(bare).matches() && !bare.contains(":")) {
            return false; // a name other than localhost: never resolved here, so never trusted as loopback
        }
        try {
            return InetAddress.getByName(bare).isLoopbackAddress(); // an address literal: no DNS lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Configures an {@link OpaRemotePolicyEngine}. Not thread-safe; build once. Setters reject nulls and bad
     * values with a message that shows the value (never the bearer token).
     */
    public static final class Builder {
        private final URI baseUri;
        private String decisionPath = DEFAULT_DECISION_PATH;
        private String visibleToolsPath = DEFAULT_VISIBLE_TOOLS_PATH;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private int maxInputBytes = PolicyInputDocument.DEFAULT_MAX_INPUT_BYTES;
        private Map<String, Object> environment = Map.of();
        private Clock clock = Clock.systemUTC();
        private Secret bearerToken;
        private SSLContext sslContext;
        private ObjectMapper mapper = new ObjectMapper();
        private boolean plainHttpOnLoopback;

        private Builder(URI baseUri) {
            Objects.requireNonNull(baseUri, "baseUri");
            if (!baseUri.isAbsolute() || baseUri.getHost() == null) {
                throw new IllegalArgumentException("baseUri must be absolute with a host, got " + baseUri);
            }
            if (baseUri.getRawUserInfo() != null) {
                // Not echoed: user info may hold a password.
                throw new IllegalArgumentException("baseUri must not carry user info; use bearerToken(...)");
            }
            if (baseUri.getRawQuery() != null || baseUri.getRawFragment() != null) {
                throw new IllegalArgumentException("baseUri must not have a query or fragment, got " + baseUri);
            }
            String scheme = baseUri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new IllegalArgumentException("baseUri scheme must be https (or http on loopback), got " + baseUri);
            }
            this.baseUri = baseUri;
        }

        /**
         * The document that answers {@code tools/list} in one request ({@code mcp/authz/visible_tools}, the default);
         * undefined there means ask per tool.
         */
        public Builder visibleToolsPath(String visibleToolsPath) {
            Objects.requireNonNull(visibleToolsPath, "visibleToolsPath");
            if (!DECISION_PATH.matcher(visibleToolsPath).matches()) {
                throw new IllegalArgumentException(
                        "visibleToolsPath must be slash-separated Rego identifiers like mcp/authz/visible_tools, got '"
                                + visibleToolsPath + "'");
            }
            this.visibleToolsPath = visibleToolsPath;
            return this;
        }

        /** The rule to query, as a slash path under {@code data} (default {@value #DEFAULT_DECISION_PATH}). */
        public Builder decisionPath(String decisionPath) {
            Objects.requireNonNull(decisionPath, "decisionPath");
            if (!DECISION_PATH.matcher(decisionPath).matches()) {
                throw new IllegalArgumentException(
                        "decisionPath must be slash-separated Rego identifiers like mcp/authz/decision, got '"
                                + decisionPath + "'");
            }
            this.decisionPath = decisionPath;
            return this;
        }

        /** Bound on opening a connection; default 250 ms. Positive. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** Bound on one whole request (headers and body); default 500 ms. Positive. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive(requestTimeout, "requestTimeout");
            return this;
        }

        /** Largest response body accepted; larger is a {@code policy_error}. Default 256 KiB; 1 KiB to 64 MiB. */
        public Builder maxResponseBytes(int maxResponseBytes) {
            if (maxResponseBytes < 1024 || maxResponseBytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("maxResponseBytes must be within [1024, 67108864], got "
                        + maxResponseBytes);
            }
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /**
         * Largest request body ({@code {"input": ...}} as JSON) sent to OPA; a larger one, typically huge tool
         * arguments, is denied with {@link ReasonCode#POLICY_INPUT_TOO_LARGE} without being sent.
         * Default 1 MiB; 1 KiB to 64 MiB.
         */
        public Builder maxInputBytes(int maxInputBytes) {
            this.maxInputBytes = PolicyInputDocument.checkedMaxInputBytes(maxInputBytes);
            return this;
        }

        /** Deployment facts every input carries under {@code environment}; JSON-like values. Default empty. */
        public Builder environment(Map<String, Object> environment) {
            this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
            return this;
        }

        /** The clock for latency in logs; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A token sent as {@code Authorization: Bearer ...} when OPA runs with {@code --authentication=token}. */
        public Builder bearerToken(Secret bearerToken) {
            this.bearerToken = Objects.requireNonNull(bearerToken, "bearerToken");
            return this;
        }

        /** The TLS context for {@code https} (for example one trusting an internal CA); default the JVM's. */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
            return this;
        }

        /** The JSON mapper for inputs and results; default a plain {@link ObjectMapper}. */
        public Builder mapper(ObjectMapper mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /**
         * Accepts a plain {@code http} base URI when its host is a loopback address (an OPA sidecar on the same
         * host or pod). Without this call only {@code https} is accepted; with it, {@code http} to any other host
         * is still refused.
         */
        public Builder allowPlainHttpOnLoopback() {
            this.plainHttpOnLoopback = true;
            return this;
        }

        /** Builds the engine; fails if plain {@code http} is used where it is not allowed. */
        public OpaRemotePolicyEngine build() {
            if (baseUri.getScheme().equalsIgnoreCase("http")) {
                if (!isLoopbackHost(baseUri.getHost())) {
                    throw new IllegalStateException("plain http is only allowed to a loopback address; use https for "
                            + baseUri);
                }
                if (!plainHttpOnLoopback) {
                    throw new IllegalStateException("plain http to " + baseUri
                            + " needs allowPlainHttpOnLoopback(); otherwise use https");
                }
            }
            return new OpaRemotePolicyEngine(this);
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
            return value;
        }
    }
}
