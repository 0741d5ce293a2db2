package dev.mcpguard.core.guardrails;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.re2j.Pattern;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.ContentClassifier;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContentClassifier} behind HTTP (a prompt-injection or content-safety model run as a service): one
 * {@code POST} per request, JSON both ways.
 *
 * <pre>{@code
 * POST {endpoint}            Content-Type: application/json   [Authorization: Bearer <token>]
 * {"version":1,"direction":"result","server":"orders","method":"tools/call","target":"get_ticket",
 *  "items":[{"path":"$.content[0].text","text":"..."}]}
 *
 * 200 {"findings":[{"kind":"prompt_injection","rule_id":"semantic","path":"$.content[0].text","confidence":0.93}]}
 * }</pre>
 *
 * <p>Any 2xx status with that body is an answer; {@code "findings":[]} means nothing found. A finding's
 * {@code path} that is missing or does not start with {@code $} is read as {@code $}; {@code confidence} is
 * clamped to [0, 1]. Everything else completes the stage exceptionally, so the caller's
 * {@link ClassifierFailureMode} applies: a status other than 2xx, a body that is not that JSON (a kind or rule id
 * that is not dotted lower snake case, a confidence that is not a finite number included), a body over
 * {@link Builder#maxResponseBytes(int)} (declared or read: at most that many bytes are ever buffered), no answer
 * within {@link Builder#requestTimeout(Duration)} (body included; the exchange is then cancelled), a connection
 * failure. Exception messages name what failed and never carry the request's text, the response body or the token.
 *
 * <p>Transport security: {@code https} is required, except that plain {@code http} to a loopback address
 * ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}; a sidecar) is accepted when
 * {@link Builder#allowPlainHttpOnLoopback()} is called. Plain {@code http} to any other host is refused at build
 * time: the request carries tool arguments and results, and an optional bearer token. Redirects are not followed.
 *
 * <pre>{@code
 * ContentClassifier promptGuard = HttpContentClassifier.builder("prompt_guard",
 *                 URI.create("https://classifier.internal/v1/classify"))
 *         .bearerToken(Secret.ofUtf8(System.getenv("CLASSIFIER_TOKEN")))
 *         .requestTimeout(Duration.ofMillis(300))
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe: one shared {@link HttpClient} serves all concurrent calls. Nothing is logged but, at
 * DEBUG, the status and the number of findings of each answer; never text or the token.
 */
public final class HttpContentClassifier implements ContentClassifier {

    /** The version of the request body, sent as {@code "version"}. */
    public static final int PROTOCOL_VERSION = 1;
    /** Default connect timeout (of the client this class builds). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(250);
    /** Default bound on one whole exchange, body included. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMillis(500);
    /** Default bound on a response body; a list of findings is a few hundred bytes. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(HttpContentClassifier.class);
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final int MAX_FINDINGS_READ = 10_000;

    private final String name;
    private final URI endpoint;
    private final Optional<Secret> bearerToken;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int maxResponseBytes;
    private final ObjectMapper mapper;

    private HttpContentClassifier(Builder builder) {
        this.name = builder.name;
        this.endpoint = builder.endpoint;
        this.bearerToken = Optional.ofNullable(builder.bearerToken);
        this.requestTimeout = builder.requestTimeout;
        this.maxResponseBytes = builder.maxResponseBytes;
        this.mapper = builder.mapper;
        this.http = builder.http != null ? builder.http : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Starts a builder for the classifier called {@code name} (lower snake case, at most 32 characters; in rule ids
     * and logs) at {@code endpoint} (absolute, no user info, query or fragment).
     */
    public static Builder builder(String name, URI endpoint) {
        return new Builder(name, endpoint);
    }

    @Override
    public String name() {
        return name;
    }

    /** The URI every request is posted to; safe to log. */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public CompletionStage<List<Finding>> classify(Request request) {
        Objects.requireNonNull(request, "request");
        byte[] body;
        try {
            body = encode(request);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new ClassifierUnavailableException(
                    "could not encode the request (" + e.getClass().getName() + ")"));
        }
        HttpRequest.Builder post = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        bearerToken.ifPresent(token -> post.header("Authorization", "Bearer " + token.revealUtf8()));
        CompletableFuture<HttpResponse<byte[]>> exchange;
        try {
            exchange = http.sendAsync(post.build(),
                    BoundedHttpExchange.boundedBody(maxResponseBytes, status -> status / 100 == 2));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new ClassifierUnavailableException(
                    "could not send the request (" + e.getClass().getName() + ")"));
        }
        CompletableFuture<List<Finding>> findings = new CompletableFuture<>();
        // HttpRequest.timeout stops at the response headers; this deadline also bounds a trickling body. It runs on
        // the common pool, not on the JDK's timer thread, as does whatever the caller chains to it.
        CompletableFuture<Void> timer = BoundedClassifier.afterDelay(requestTimeout, ForkJoinPool.commonPool(), () -> {
            if (findings.completeExceptionally(ClassifierUnavailableException.timedOut(
                    "no answer within " + requestTimeout.toMillis() + " ms"))) {
                exchange.cancel(true);
            }
        });
        exchange.whenComplete((response, error) -> {
            timer.complete(null);
            if (findings.isDone()) {
                return;
            }
            if (error != null) {
                findings.completeExceptionally(unavailable(error));
                return;
            }
            try {
                findings.complete(read(response));
            } catch (ClassifierUnavailableException e) {
                findings.completeExceptionally(e);
            } catch (RuntimeException e) {
                findings.completeExceptionally(new ClassifierUnavailableException(
                        "could not read the answer (" + e.getClass().getName() + ")"));
            }
        });
        // Cancelling what the caller gets (its budget ran out) cancels the exchange too.
        findings.whenComplete((ignored, error) -> {
            if (findings.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return findings;
    }

    private byte[] encode(Request request) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = mapper.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("version", PROTOCOL_VERSION);
            json.writeStringField("direction", request.direction());
            json.writeStringField("server", BoundedClassifier.wellFormed(request.server()));
            json.writeStringField("method", BoundedClassifier.wellFormed(request.method()));
            json.writeStringField("target", BoundedClassifier.wellFormed(request.target()));
            json.writeArrayFieldStart("items");
            for (Item item : request.items()) {
                json.writeStartObject();
                json.writeStringField("path", BoundedClassifier.wellFormed(item.path()));
                json.writeStringField("text", BoundedClassifier.wellFormed(item.text()));
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        return out.toByteArray();
    }

    private List<Finding> read(HttpResponse<byte[]> response) throws ClassifierUnavailableException {
        int status = response.statusCode();
        if (status / 100 != 2) {
            // The body of an error may echo the request; only the status is kept.
            throw new ClassifierUnavailableException("HTTP " + status);
        }
        if (response.body().length == 0) {
            throw new ClassifierUnavailableException("the answer is empty");
        }
        JsonNode answer;
        try {
            answer = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(response.body());
        } catch (IOException e) {
            throw new ClassifierUnavailableException("the answer is not JSON");
        }
        if (answer == null || !answer.isObject() || !answer.path("findings").isArray()) {
            throw new ClassifierUnavailableException("the answer is not an object with a findings array");
        }
        JsonNode array = answer.get("findings");
        if (array.size() > MAX_FINDINGS_READ) {
            throw new ClassifierUnavailableException("the answer has more than " + MAX_FINDINGS_READ + " findings");
        }
        List<Finding> findings = new ArrayList<>(array.size());
        for (JsonNode node : array) {
            findings.add(finding(node));
        }
        log.debug("Classifier {} answered HTTP {} with {} findings", name, status, findings.size());
        return findings;
    }

    private static Finding finding(JsonNode node) throws ClassifierUnavailableException {
        if (!node.isObject()) {
            throw new ClassifierUnavailableException("a finding is not an object");
        }
        JsonNode kind = node.path("kind");
        JsonNode ruleId = node.path("rule_id");
        if (!kind.isTextual() || !BoundedClassifier.isDottedSnakeCase(kind.textValue())) {
            throw new ClassifierUnavailableException("a finding's kind is not dotted lower snake case");
        }
        if (!ruleId.isTextual() || !BoundedClassifier.isDottedSnakeCase(ruleId.textValue())) {
            throw new ClassifierUnavailableException("a finding's rule_id is not dotted lower snake case");
        }
        JsonNode path = node.path("path");
        String where = path.isTextual() && path.textValue().startsWith("$") ? path.textValue() : "$";
        JsonNode confidence = node.path("confidence");
        if (!confidence.isNumber() || !Double.isFinite(confidence.doubleValue())) {
            throw new ClassifierUnavailableException("a finding's confidence is not a finite number");
        }
        double clamped = Math.max(0.0, Math.min(1.0, confidence.doubleValue()));
        return new Finding(kind.textValue(), ruleId.textValue(), where, clamped);
    }

    private ClassifierUnavailableException unavailable(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof BoundedBodySubscriber.ResponseTooLargeException) {
                return new ClassifierUnavailableException("the answer is larger than " + maxResponseBytes + " bytes");
            }
        }
        if (cause instanceof HttpTimeoutException) {
            return ClassifierUnavailableException.timedOut("no answer within " + requestTimeout.toMillis() + " ms");
        }
        // The class only: an I/O message can name hosts and addresses, never text, but stays out of logs all the same.
        return new ClassifierUnavailableException("the exchange failed (" + cause.getClass().getName() + ")");
    }

    @Override
    public String toString() {
        return "HttpContentClassifier[" + name + ", " + endpoint + "]";
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
     * Configures an {@link HttpContentClassifier}. Not thread-safe; build once. Setters reject nulls and bad values
     * with a message that shows the value (never the bearer token).
     */
    public static final class Builder {
        private final String name;
        private final URI endpoint;
        private Duration connectTimeout;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private Secret bearerToken;
        private HttpClient http;
        private ObjectMapper mapper = new ObjectMapper();
        private boolean plainHttpOnLoopback;

        private Builder(String name, URI endpoint) {
            Objects.requireNonNull(name, "name");
            if (!BoundedClassifier.isValidName(name)) {
                throw new IllegalArgumentException("name must be lower snake case (a-z, 0-9, '_', starting with a "
                        + "letter), at most " + BoundedClassifier.MAX_NAME_LENGTH + " characters, got '" + name + "'");
            }
            Objects.requireNonNull(endpoint, "endpoint");
            if (!endpoint.isAbsolute() || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint must be absolute with a host, got " + endpoint);
            }
            if (endpoint.getRawUserInfo() != null) {
                // Not echoed: user info may hold a password.
                throw new IllegalArgumentException("endpoint must not carry user info; use bearerToken(...)");
            }
            if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
                // Not echoed either: a query is where some services take an API key.
                throw new IllegalArgumentException("endpoint must not have a query or fragment; use bearerToken(...)");
            }
            String scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new IllegalArgumentException("endpoint scheme must be https (or http on loopback), got "
                        + endpoint);
            }
            this.name = name;
            this.endpoint = endpoint;
        }

        /** A token sent as {@code Authorization: Bearer ...}: visible ASCII, at most 8 KiB. */
        public Builder bearerToken(Secret bearerToken) {
            Objects.requireNonNull(bearerToken, "bearerToken");
            if (bearerToken.length() == 0 || bearerToken.length() > 8192 || !visibleAscii(bearerToken)) {
                // The value is not shown: a malformed token is still a token.
                throw new IllegalArgumentException("bearerToken must be 1 to 8192 visible ASCII characters (length "
                        + bearerToken.length() + ")");
            }
            this.bearerToken = bearerToken;
            return this;
        }

        /**
         * The client to send with, for example one with an {@code SSLContext} trusting an internal CA, a proxy or an
         * executor of your own; default a client for HTTP/1.1 that follows no redirects, with
         * {@link #connectTimeout(Duration)}. Configure its connect timeout on it: the two cannot be combined.
         */
        public Builder httpClient(HttpClient http) {
            this.http = Objects.requireNonNull(http, "http");
            return this;
        }

        /** Bound on opening a connection, for the default client; default 250 ms. Positive. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * Bound on one whole exchange (headers and body); default 500 ms. Positive. The caller's time budget bounds
         * the call as well, so this matters mostly when it is shorter.
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive(requestTimeout, "requestTimeout");
            return this;
        }

        /** Largest response body read; larger fails the call. Default 64 KiB; 1 KiB to 16 MiB. */
        public Builder maxResponseBytes(int maxResponseBytes) {
            if (maxResponseBytes < 1024 || maxResponseBytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxResponseBytes must be within [1024, 16777216], got "
                        + maxResponseBytes);
            }
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /** The JSON mapper for requests and answers; default a plain {@link ObjectMapper}. */
        public Builder mapper(ObjectMapper mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /**
         * Accepts a plain {@code http} endpoint when its host is a loopback address (a classifier sidecar). Without
         * this call only {@code https} is accepted; with it, {@code http} to any other host is still refused.
         */
        public Builder allowPlainHttpOnLoopback() {
            this.plainHttpOnLoopback = true;
            return this;
        }

        /** Builds the classifier; fails if plain {@code http} is used where it is not allowed. */
        public HttpContentClassifier build() {
            if (endpoint.getScheme().equalsIgnoreCase("http")) {
                if (!isLoopbackHost(endpoint.getHost())) {
                    throw new IllegalStateException("plain http is only allowed to a loopback address; use https for "
                            + endpoint);
                }
                if (!plainHttpOnLoopback) {
                    throw new IllegalStateException("plain http to " + endpoint
                            + " needs allowPlainHttpOnLoopback(); otherwise use https");
                }
            }
            if (http != null && connectTimeout != null) {
                throw new IllegalStateException("connectTimeout applies to the default client only; set it on the "
                        + "HttpClient given to httpClient(...)");
            }
            if (connectTimeout == null) {
                connectTimeout = DEFAULT_CONNECT_TIMEOUT;
            }
            return new HttpContentClassifier(this);
        }

        private static boolean visibleAscii(Secret token) {
            byte[] bytes = token.revealBytes();
            try {
                for (byte b : bytes) {
                    if (b < 0x21 || b > 0x7e) {
                        return false;
                    }
                }
                return true;
            } finally {
                java.util.Arrays.fill(bytes, (byte) 0);
            }
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
