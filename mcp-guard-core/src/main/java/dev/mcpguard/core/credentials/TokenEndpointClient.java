package dev.mcpguard.core.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Posts token requests (RFC 6749 refresh and client credentials, RFC 8693 token exchange) to a token endpoint
 * under {@link TokenEndpointSettings}: the whole answer, body included, within the request timeout, and a body of
 * at most the configured size. Error messages carry the endpoint, status and OAuth error code only,
 * never a request or response body. Thread-safe.
 */
final class TokenEndpointClient {

    static final String TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ERROR_CODE = Pattern.compile("[a-z_]{1,64}");

    private final TokenEndpointSettings settings;
    private final HttpClient http;

    TokenEndpointClient(TokenEndpointSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** A successful token response. */
    record TokenResponse(Secret accessToken, Optional<Secret> refreshToken, Optional<Duration> expiresIn) {
        @Override
        public String toString() {
            return "TokenResponse[expiresIn=" + expiresIn.map(Duration::toString).orElse("unknown") + "]";
        }
    }

    /** Why a token request failed. */
    static final class TokenEndpointException extends Exception {
        private static final long serialVersionUID = 1L;

        enum Kind {
            /** The grant is invalid, expired or revoked: the owner must consent again. */
            INVALID_GRANT,
            /** The endpoint could not be reached or did not answer in time. */
            UNAVAILABLE,
            /** The endpoint was refused by policy (scheme, address, redirect). */
            REFUSED,
            /** The endpoint answered with an error or an unreadable response. */
            REJECTED
        }

        private final transient Kind kind;

        TokenEndpointException(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        Kind kind() {
            return kind;
        }
    }

    TokenResponse refresh(URI endpoint, String clientId, Optional<Secret> clientSecret, Secret refreshToken,
                          java.util.Set<String> scopes) throws TokenEndpointException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken.revealUtf8());
        if (!scopes.isEmpty()) {
            form.put("scope", String.join(" ", new java.util.TreeSet<>(scopes)));
        }
        return post(endpoint, clientId, clientSecret, form);
    }

    TokenResponse clientCredentials(URI endpoint, String clientId, Optional<Secret> clientSecret,
                                    java.util.Set<String> scopes, Optional<String> audience) throws TokenEndpointException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (!scopes.isEmpty()) {
            form.put("scope", String.join(" ", new java.util.TreeSet<>(scopes)));
        }
        audience.ifPresent(a -> form.put("audience", a));
        return post(endpoint, clientId, clientSecret, form);
    }

    TokenResponse exchange(URI endpoint, String clientId, Optional<Secret> clientSecret, Secret subjectToken,
                           java.util.Set<String> scopes, Optional<String> audience) throws TokenEndpointException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TOKEN_EXCHANGE_GRANT);
        form.put("subject_token", subjectToken.revealUtf8());
        form.put("subject_token_type", ACCESS_TOKEN_TYPE);
        form.put("requested_token_type", ACCESS_TOKEN_TYPE);
        audience.ifPresent(a -> form.put("audience", a));
        if (!scopes.isEmpty()) {
            form.put("scope", String.join(" ", new java.util.TreeSet<>(scopes)));
        }
        return post(endpoint, clientId, clientSecret, form);
    }

    /** Checks {@code endpoint} against the settings; throws {@link TokenEndpointException.Kind#REFUSED}. */
    void check(URI endpoint) throws TokenEndpointException {
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(java.util.Locale.ROOT);
        String host = endpoint.getHost();
        if (host == null || endpoint.getUserInfo() != null) {
            throw refused(endpoint, "it has no host or carries user info");
        }
        if (!scheme.equals("https") && !(scheme.equals("http") && settings.insecureLoopbackForTesting())) {
            throw refused(endpoint, "it is not HTTPS");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new TokenEndpointException(TokenEndpointException.Kind.UNAVAILABLE,
                    "token endpoint " + safe(endpoint) + " does not resolve");
        }
        boolean allLoopback = true;
        for (InetAddress address : addresses) {
            allLoopback &= address.isLoopbackAddress();
        }
        if (scheme.equals("http")) {
            if (!(settings.insecureLoopbackForTesting() && allLoopback)) {
                throw refused(endpoint, "it is not HTTPS");
            }
            return;
        }
        if (!scheme.equals("https")) {
            throw refused(endpoint, "it is not HTTPS");
        }
        for (InetAddress address : addresses) {
            if (address.isLoopbackAddress()) {
                if (!settings.insecureLoopbackForTesting()) {
                    throw refused(endpoint, "it resolves to a loopback address");
                }
            } else if (address.isLinkLocalAddress() || address.isAnyLocalAddress() || address.isMulticastAddress()) {
                throw refused(endpoint, "it resolves to a link-local or unroutable address");
            } else if (isPrivate(address) && !settings.privateAddressesAllowed()) {
                throw refused(endpoint, "it resolves to a private address");
            }
        }
    }

    static boolean isPrivate(InetAddress address) {
        if (address.isSiteLocalAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address) {
            return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
        }
        return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64; // 100.64.0.0/10 carrier-grade NAT
    }

    private TokenResponse post(URI endpoint, String clientId, Optional<Secret> clientSecret, Map<String, String> form)
            throws TokenEndpointException {
        check(endpoint);
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        if (clientSecret.isPresent()) {
            String basic = encode(clientId) + ":" + encode(clientSecret.get().revealUtf8());
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        } else {
            form.put("client_id", clientId);
        }
        StringJoiner body = new StringJoiner("&");
        form.forEach((k, v) -> body.add(encode(k) + "=" + encode(v)));
        HttpResponse<byte[]> response;
        try {
            response = send(request.POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
        } catch (TimeoutException e) {
            throw new TokenEndpointException(TokenEndpointException.Kind.UNAVAILABLE, "token endpoint "
                    + safe(endpoint) + " did not answer within " + settings.requestTimeout());
        } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
            throw new TokenEndpointException(TokenEndpointException.Kind.REJECTED, "token endpoint "
                    + safe(endpoint) + " answered with a body over " + settings.maxResponseBytes() + " bytes");
        } catch (IOException e) {
            throw new TokenEndpointException(TokenEndpointException.Kind.UNAVAILABLE, "token endpoint "
                    + safe(endpoint) + " is unreachable (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenEndpointException(TokenEndpointException.Kind.UNAVAILABLE, "interrupted");
        }
        int status = response.statusCode();
        if (status >= 300 && status < 400) {
            throw refused(endpoint, "it answered with a redirect (" + status + "), which is not followed");
        }
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            json = null;
        }
        if (status != 200) {
            String error = json == null ? "" : json.path("error").asText("");
            String code = ERROR_CODE.matcher(error).matches() ? error : "unknown";
            TokenEndpointException.Kind kind = code.equals("invalid_grant") ? TokenEndpointException.Kind.INVALID_GRANT
                    : status >= 500 ? TokenEndpointException.Kind.UNAVAILABLE : TokenEndpointException.Kind.REJECTED;
            throw new TokenEndpointException(kind, "token endpoint " + safe(endpoint) + " answered " + status
                    + " with error " + code);
        }
        if (json == null || !json.path("access_token").isTextual()) {
            throw new TokenEndpointException(TokenEndpointException.Kind.REJECTED,
                    "token endpoint " + safe(endpoint) + " answered without an access token");
        }
        Optional<Secret> refresh = json.path("refresh_token").isTextual()
                ? Optional.of(Secret.ofUtf8(json.path("refresh_token").asText())) : Optional.empty();
        Optional<Duration> expiresIn = json.path("expires_in").canConvertToLong() && json.path("expires_in").asLong() > 0
                ? Optional.of(Duration.ofSeconds(json.path("expires_in").asLong())) : Optional.empty();
        return new TokenResponse(Secret.ofUtf8(json.path("access_token").asText()), refresh, expiresIn);
    }

    /**
     * Sends {@code request} and waits at most the request timeout for the whole answer, body included (error
     * bodies too: they carry the OAuth error code): {@code HttpRequest.timeout} alone stops at the response
     * headers, so a body that trickles would block the renewal, and every call waiting for it. The body is capped.
     */
    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException, TimeoutException {
        return BoundedHttpExchange.send(http, request, settings.maxResponseBytes(), settings.requestTimeout(),
                status -> true);
    }

    private static TokenEndpointException refused(URI endpoint, String why) {
        return new TokenEndpointException(TokenEndpointException.Kind.REFUSED,
                "token endpoint " + safe(endpoint) + " refused: " + why);
    }

    /** The endpoint without query or fragment, for messages. */
    static String safe(URI endpoint) {
        return endpoint.getScheme() + "://" + endpoint.getHost() + (endpoint.getPort() > 0 ? ":" + endpoint.getPort() : "")
                + (endpoint.getPath() == null ? "" : endpoint.getPath());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
