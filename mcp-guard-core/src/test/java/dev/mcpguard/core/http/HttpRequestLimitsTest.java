package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HttpRequestLimitsTest {

    @Test
    void defaultsAreOnAndSane() {
        HttpRequestLimits limits = HttpRequestLimits.ofDefaults();

        assertThat(limits.maxBodyBytes()).isEqualTo(1024 * 1024);
        assertThat(limits.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(limits.requestBurst()).isEqualTo(600);
        assertThat(limits.requestsPerMinute()).isEqualTo(600);
        assertThat(limits.maxInFlightPerPrincipal()).isEqualTo(32);
        assertThat(limits.maxInFlightPerSession()).isEqualTo(16);
    }

    @Test
    void builderRejectsBadValuesShowingTheValue() {
        assertThatThrownBy(() -> HttpRequestLimits.custom().maxBodyBytes(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> HttpRequestLimits.custom().bodyReadTimeout(Duration.ofMillis(10)))
                .hasMessageContaining("PT0.01S");
        assertThatThrownBy(() -> HttpRequestLimits.custom().requestRate(0, 10)).hasMessageContaining("burst=0");
        assertThatThrownBy(() -> HttpRequestLimits.custom().maxInFlightPerPrincipal(-1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> HttpRequestLimits.custom().maxInFlightPerSession(0)).hasMessageContaining("got 0");
    }

    @Test
    void aBucketRefillsAtTheConfiguredRateAndIsPerPrincipal() {
        dev.mcpguard.core.testing.MutableClock clock =
                dev.mcpguard.core.testing.MutableClock.startingAt("2026-01-01T00:00:00Z");
        PrincipalRequestLimiter limiter = new PrincipalRequestLimiter(
                HttpRequestLimits.custom().requestRate(2, 60).build(), clock);

        assertThat(limiter.tryAcquireRequest("alice")).isZero();
        assertThat(limiter.tryAcquireRequest("alice")).isZero();
        assertThat(limiter.tryAcquireRequest("alice")).isEqualTo(1);
        assertThat(limiter.tryAcquireRequest("bob")).isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquireRequest("alice")).isZero();
    }

    @Test
    void inFlightPermitsAreGivenBackOnceAndCountersDisappearWhenIdle() {
        PrincipalRequestLimiter limiter = new PrincipalRequestLimiter(
                HttpRequestLimits.custom().maxInFlightPerPrincipal(1).build(), java.time.Clock.systemUTC());

        PrincipalRequestLimiter.InFlightPermit permit = limiter.tryAcquireInFlight("alice", "s1");
        assertThat(limiter.tryAcquireInFlight("alice", "s2")).isNull();
        permit.release();
        permit.release();

        assertThat(limiter.inFlight("alice")).isZero();
        assertThat(limiter.tryAcquireInFlight("alice", "s2")).isNotNull();
    }
}
