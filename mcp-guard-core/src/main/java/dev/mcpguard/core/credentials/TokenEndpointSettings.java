package dev.mcpguard.core.credentials;

import java.time.Duration;
import java.util.Objects;

/**
 * How mcp-guard talks to downstream OAuth token endpoints. The defaults are strict: HTTPS only, no redirects,
 * no private, loopback or link-local addresses (so a stored endpoint cannot aim refresh tokens at an internal
 * service or a cloud metadata address), connect within 3 s, the whole answer (headers and body) within 5 s, a
 * response body of at most 64 KiB.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * TokenEndpointSettings settings = TokenEndpointSettings.custom().requestTimeout(Duration.ofSeconds(2)).build();
 * }</pre>
 */
public final class TokenEndpointSettings {

    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxResponseBytes;
    private final boolean insecureLoopbackForTesting;
    private final boolean privateAddressesAllowed;

    private TokenEndpointSettings(Builder b) {
        this.maxResponseBytes = b.maxResponseBytes;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.insecureLoopbackForTesting = b.insecureLoopbackForTesting;
        this.privateAddressesAllowed = b.privateAddressesAllowed;
    }

    /** The strict defaults. */
    public static TokenEndpointSettings ofDefaults() {
        return custom().build();
    }

    /** Starts a builder from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** The largest response body accepted; a larger one fails the token request. */
    public int maxResponseBytes() {
        return maxResponseBytes;
    }

    /** True when plain-HTTP endpoints on loopback addresses are accepted (tests only). */
    public boolean insecureLoopbackForTesting() {
        return insecureLoopbackForTesting;
    }

    /** True when endpoints resolving to private (RFC 1918, unique-local) addresses are accepted. */
    public boolean privateAddressesAllowed() {
        return privateAddressesAllowed;
    }

    @Override
    public String toString() {
        return "TokenEndpointSettings[connect=" + connectTimeout + ", request=" + requestTimeout + ", maxResponseBytes=" + maxResponseBytes
                + (insecureLoopbackForTesting ? ", INSECURE loopback http allowed" : "")
                + (privateAddressesAllowed ? ", private addresses allowed" : "") + "]";
    }

    /** Builds {@link TokenEndpointSettings}. Not thread-safe. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private int maxResponseBytes = 64 * 1024;
        private boolean insecureLoopbackForTesting;
        private boolean privateAddressesAllowed;

        private Builder() {
        }

        /** How long to wait for a connection; positive, at most 1 minute. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = checkTimeout(timeout, "connectTimeout");
            return this;
        }

        /**
         * How long to wait for the whole answer, from sending the request to the last byte of the body;
         * positive, at most 1 minute.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = checkTimeout(timeout, "requestTimeout");
            return this;
        }

        /** The largest response body accepted; default 64 KiB, between 1 KiB and 1 MiB. */
        public Builder maxResponseBytes(int bytes) {
            if (bytes < 1024 || bytes > 1024 * 1024) {
                throw new IllegalArgumentException("maxResponseBytes must be between 1024 and 1048576, got " + bytes);
            }
            this.maxResponseBytes = bytes;
            return this;
        }

        /**
         * Accepts {@code http://} endpoints that resolve to loopback addresses only. For tests against an
         * in-process authorization server; never in production.
         */
        public Builder allowInsecureLoopbackForTesting() {
            this.insecureLoopbackForTesting = true;
            return this;
        }

        /** Accepts endpoints on private networks (an internal authorization server). Link-local stays refused. */
        public Builder allowPrivateAddresses() {
            this.privateAddressesAllowed = true;
            return this;
        }

        public TokenEndpointSettings build() {
            return new TokenEndpointSettings(this);
        }

        private static Duration checkTimeout(Duration timeout, String name) {
            Objects.requireNonNull(timeout, name);
            if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException(name + " must be positive and at most PT1M, got " + timeout);
            }
            return timeout;
        }
    }
}
