package dev.mcpguard.core.http;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits {@link McpGuardHttpFilter} applies to every authenticated MCP request before the MCP SDK sees it:
 * the size of a request body and how long a client may take to send it, a per-principal request rate (a token
 * bucket counting every POST, GET and DELETE, tool call or not), and how many POST requests one principal and one
 * MCP session may have in flight at once.
 *
 * <p>The defaults ({@link #ofDefaults()}) are on and meant for interactive agents: a body of at most
 * {@value #DEFAULT_MAX_BODY_BYTES} bytes sent within {@link #DEFAULT_BODY_READ_TIMEOUT}, bursts of
 * {@value #DEFAULT_REQUEST_BURST} requests refilled at {@value #DEFAULT_REQUESTS_PER_MINUTE} a minute, and
 * {@value #DEFAULT_MAX_IN_FLIGHT_PER_PRINCIPAL} requests in flight per principal,
 * {@value #DEFAULT_MAX_IN_FLIGHT_PER_SESSION} per session. A principal is the token's issuer and subject, so
 * one tenant's user cannot use up another's allowance.
 *
 * <p>Immutable and thread-safe. Builder arguments are never null; setters reject bad values with a message that
 * shows the value.
 * <pre>{@code
 * HttpRequestLimits limits = HttpRequestLimits.custom()
 *     .maxBodyBytes(256 * 1024)
 *     .requestRate(120, 60)          // bursts of 120, 60 a minute after that
 *     .maxInFlightPerPrincipal(8)
 *     .build();
 * }</pre>
 */
public final class HttpRequestLimits {

    /** Default largest request body, in bytes (1 MiB; the SDK's own limit is 16 MiB). */
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** Default time a client has to send a whole request body once its headers arrived. */
    public static final Duration DEFAULT_BODY_READ_TIMEOUT = Duration.ofSeconds(10);
    /** Default burst of requests per principal. */
    public static final int DEFAULT_REQUEST_BURST = 600;
    /** Default sustained requests per principal and minute. */
    public static final int DEFAULT_REQUESTS_PER_MINUTE = 600;
    /** Default POST requests one principal may have in flight. */
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_PRINCIPAL = 32;
    /** Default POST requests one MCP session may have in flight. */
    public static final int DEFAULT_MAX_IN_FLIGHT_PER_SESSION = 16;

    private static final HttpRequestLimits DEFAULTS = custom().build();

    private final int maxBodyBytes;
    private final Duration bodyReadTimeout;
    private final int requestBurst;
    private final int requestsPerMinute;
    private final int maxInFlightPerPrincipal;
    private final int maxInFlightPerSession;

    private HttpRequestLimits(Builder b) {
        this.maxBodyBytes = b.maxBodyBytes;
        this.bodyReadTimeout = b.bodyReadTimeout;
        this.requestBurst = b.requestBurst;
        this.requestsPerMinute = b.requestsPerMinute;
        this.maxInFlightPerPrincipal = b.maxInFlightPerPrincipal;
        this.maxInFlightPerSession = b.maxInFlightPerSession;
    }

    /** The defaults described above. */
    public static HttpRequestLimits ofDefaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** The largest request body accepted, in bytes; larger is 413. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** How long a client may take to send a request body; slower is 408 and the connection is closed. */
    public Duration bodyReadTimeout() {
        return bodyReadTimeout;
    }

    /** The token bucket's capacity: requests a principal may send in a burst. */
    public int requestBurst() {
        return requestBurst;
    }

    /** The token bucket's refill: requests a principal may send per minute, sustained. */
    public int requestsPerMinute() {
        return requestsPerMinute;
    }

    /** POST requests one principal may have in flight; more is 429. */
    public int maxInFlightPerPrincipal() {
        return maxInFlightPerPrincipal;
    }

    /** POST requests one MCP session may have in flight; more is 429. */
    public int maxInFlightPerSession() {
        return maxInFlightPerSession;
    }

    @Override
    public String toString() {
        return "HttpRequestLimits[maxBodyBytes=" + maxBodyBytes + ", bodyReadTimeout=" + bodyReadTimeout
                + ", requestBurst=" + requestBurst + ", requestsPerMinute=" + requestsPerMinute
                + ", maxInFlightPerPrincipal=" + maxInFlightPerPrincipal
                + ", maxInFlightPerSession=" + maxInFlightPerSession + "]";
    }

    /** Builds {@link HttpRequestLimits}; starts from the defaults. Not thread-safe. */
    public static final class Builder {
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Duration bodyReadTimeout = DEFAULT_BODY_READ_TIMEOUT;
        private int requestBurst = DEFAULT_REQUEST_BURST;
        private int requestsPerMinute = DEFAULT_REQUESTS_PER_MINUTE;
        private int maxInFlightPerPrincipal = DEFAULT_MAX_IN_FLIGHT_PER_PRINCIPAL;
        private int maxInFlightPerSession = DEFAULT_MAX_IN_FLIGHT_PER_SESSION;

        private Builder() {
        }

        /** The largest request body, 1 byte to 64 MiB. */
        public Builder maxBodyBytes(int bytes) {
            if (bytes < 1 || bytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be between 1 and 67108864, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** How long a client may take to send a body, 1 second to 5 minutes. */
        public Builder bodyReadTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("bodyReadTimeout must be between 1s and 5m, got " + timeout);
            }
            this.bodyReadTimeout = timeout;
            return this;
        }

        /** Requests per principal: a burst of {@code burst}, then {@code perMinute} a minute; both at least 1. */
        public Builder requestRate(int burst, int perMinute) {
            if (burst < 1 || perMinute < 1) {
                throw new IllegalArgumentException("requestRate burst and perMinute must be at least 1, got burst="
                        + burst + " perMinute=" + perMinute);
            }
            this.requestBurst = burst;
            this.requestsPerMinute = perMinute;
            return this;
        }

        /** POST requests one principal may have in flight, at least 1. */
        public Builder maxInFlightPerPrincipal(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxInFlightPerPrincipal must be at least 1, got " + max);
            }
            this.maxInFlightPerPrincipal = max;
            return this;
        }

        /** POST requests one MCP session may have in flight, at least 1. */
        public Builder maxInFlightPerSession(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxInFlightPerSession must be at least 1, got " + max);
            }
            this.maxInFlightPerSession = max;
            return this;
        }

        /** Builds the limits. */
        public HttpRequestLimits build() {
            return new HttpRequestLimits(this);
        }
    }
}
