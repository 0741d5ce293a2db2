package dev.mcpguard.core.policy.opa;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A bundle served over HTTPS by a bundle server (an OPA bundle service, S3, nginx...), polled with
 * {@code If-None-Match}: a {@code 304 Not Modified} answer means unchanged; a new {@code ETag} is remembered only
 * once the engine has verified and loaded that bundle ({@link #accepted()}), so a truncated or badly signed
 * download is fetched again on the next poll. A connect timeout, one deadline for the whole request (headers and
 * body) and a size limit bound every fetch; redirects are not followed (a redirect is an error, so a bundle
 * cannot silently come from elsewhere).
 *
 * <pre>{@code
 * BundleSource source = HttpsBundleSource.builder(URI.create("https://bundles.example.com/mcp/orders.tar.gz"))
 *         .bearerToken(Secret.ofUtf8(System.getenv("BUNDLE_TOKEN")))
 *         .build();
 * }</pre>
 *
 * <p>Plain {@code http} is refused, except to a loopback address when
 * {@link Builder#allowInsecureLoopbackForTesting()} is set. Thread-safe.
 */
public final class HttpsBundleSource implements BundleSource {

    private final URI uri;
    private final Duration requestTimeout;
    private final int maxBytes;
    private final Secret bearerToken;
    private final HttpClient client;
    private String etag;
    private String pendingEtag;

    private HttpsBundleSource(Builder builder) {
        this.uri = builder.uri;
        this.requestTimeout = builder.requestTimeout;
        this.maxBytes = (int) Math.min(Integer.MAX_VALUE - 8, builder.maxBytes);
        this.bearerToken = builder.bearerToken;
        this.client = HttpClient.newBuilder()
                .connectTimeout(builder.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Starts a builder for the bundle at {@code uri} (https, or http to loopback for tests). */
    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    @Override
    public synchronized Optional<byte[]> fetchIfChanged() throws BundleException {
        pendingEtag = null;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET()
                .header("Accept", "application/gzip, application/octet-stream");
        if (etag != null) {
            request.header("If-None-Match", etag);
        }
        if (bearerToken != null) {
            request.header("Authorization", "Bearer " + bearerToken.revealUtf8());
        }
        HttpResponse<byte[]> response;
        try {
            // One deadline for the whole exchange, body included: a trickling body cannot hold the poller.
            response = BoundedHttpExchange.send(client, request.build(), maxBytes, requestTimeout);
        } catch (TimeoutException e) {
            throw new BundleException("bundle server " + describe() + " did not deliver the bundle within "
                    + requestTimeout.toMillis() + " ms");
        } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
            throw new BundleException("bundle from " + describe() + " is over the limit of " + maxBytes + " bytes");
        } catch (IOException e) {
            throw new BundleException("bundle download from " + describe() + " failed: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BundleException("interrupted while fetching the bundle from " + describe());
        }
        int status = response.statusCode();
        if (status == 304) {
            return Optional.empty();
        }
        if (status != 200) {
            throw new BundleException("bundle server " + describe() + " answered HTTP " + status);
        }
        byte[] content = response.body();
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared >= 0 && content.length != declared) {
            throw new BundleException("bundle from " + describe() + " was truncated: got " + content.length
                    + " of " + declared + " bytes");
        }
        // Remembered for If-None-Match only once the engine accepted this bundle (see accepted()): a rejected
        // download must be fetched again, not answered "304 unchanged" forever.
        pendingEtag = response.headers().firstValue("ETag").orElse(null);
        return Optional.of(content);
    }

    /** Commits the ETag of the last download, which the engine has verified and loaded. */
    @Override
    public synchronized void accepted() {
        etag = pendingEtag;
        pendingEtag = null;
    }

    @Override
    public String describe() {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    @Override
    public String toString() {
        return "HttpsBundleSource[" + describe() + "]";
    }

    /** Builds an {@link HttpsBundleSource}; setters reject bad values. Not thread-safe. */
    public static final class Builder {
        private final URI uri;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private long maxBytes = BundleLimits.DEFAULTS.maxCompressedBytes();
        private Secret bearerToken;
        private boolean insecureLoopback;

        private Builder(URI uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("bundle URL must have a host, got " + uri);
            }
            if (uri.getUserInfo() != null) {
                throw new IllegalArgumentException("bundle URL must not contain credentials; use bearerToken()");
            }
        }

        /** Time to establish a connection; default 5 seconds. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** Deadline for the whole request, body included (a body still arriving then fails); default 30 seconds. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /** Largest accepted bundle in bytes; default {@link BundleLimits#DEFAULTS}' compressed limit. */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes <= 0) {
                throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /** Sends {@code Authorization: Bearer <token>} with every request. */
        public Builder bearerToken(Secret token) {
            this.bearerToken = Objects.requireNonNull(token, "token");
            return this;
        }

        /** Allows plain {@code http} to a loopback address (127.0.0.0/8, ::1), for tests only. */
        public Builder allowInsecureLoopbackForTesting() {
            this.insecureLoopback = true;
            return this;
        }

        public HttpsBundleSource build() {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (scheme.equals("http")) {
                if (!insecureLoopback || !isLoopback(uri.getHost())) {
                    throw new IllegalArgumentException("bundle URL must use https, got " + uri.getScheme() + "://"
                            + uri.getHost() + " (plain http is allowed only to loopback with "
                            + "allowInsecureLoopbackForTesting())");
                }
            } else if (!scheme.equals("https")) {
                throw new IllegalArgumentException("bundle URL must use https, got scheme " + uri.getScheme());
            }
            if (bearerToken != null && scheme.equals("http")) {
                throw new IllegalArgumentException("a bearer token is never sent over plain http");
            }
            return new HttpsBundleSource(this);
        }

        private static boolean isLoopback(String host) {
            String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                return false; // only literal addresses: a name could resolve elsewhere later
            }
            try {
                return InetAddress.getByName(literal).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
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
