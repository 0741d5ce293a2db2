package dev.mcpguard.core.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.Throttle.ThrottleResult;
import dev.mcpguard.core.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BucketKeysTest {

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

    static ToolCall call(Optional<CallerIdentity> caller, String server, String tool) {
        return new ToolCall("call-1", server, ToolDescriptor.named(tool), Map.of(), Optional.empty(), caller,
                Instant.parse("2026-01-01T00:00:00Z"), ToolCall.Attributes.EMPTY);
    }

    static CallerIdentity caller(String issuer, String subject, String tenant) {
        CallerIdentity.Builder builder = CallerIdentity.builder(issuer, subject);
        return tenant == null ? builder.build() : builder.tenant(tenant).build();
    }

    /** The key as it was derived before keys were hashed incrementally: one string, hashed whole. */
    static String keyAsBefore(String kind, Set<LimitKey> keyedBy, String fingerprint, ToolCall call) throws Exception {
        StringBuilder material = new StringBuilder(kind).append('\u0001').append(fingerprint);
        for (LimitKey dimension : LimitKey.values()) {
            if (!keyedBy.contains(dimension)) {
                continue;
            }
            material.append('\u0001').append(dimension.name()).append('=');
            switch (dimension) {
                case CALLER -> material.append(call.caller().map(c -> c.issuer() + '\u0000' + c.subject()).orElse(""));
                case TENANT -> material.append(call.caller().flatMap(CallerIdentity::tenant).orElse(""));
                case TOOL -> material.append(call.toolName());
                case SERVER -> material.append(call.server());
            }
        }
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest(material.toString().getBytes(StandardCharsets.UTF_8));
        return kind + ':' + HexFormat.of().formatHex(digest, 0, 16);
    }

    @Test
    void keysAreExactlyTheOnesDerivedBeforeForEveryDimensionSetAndAwkwardValue() throws Exception {
        List<ToolCall> calls = new ArrayList<>();
        calls.add(call(Optional.empty(), "orders", "get_order"));
        for (String subject : List.of("alice", "b\u0000c", "\uD800", "x\uDC00", "ünï\uD83D\uDE00cødé",
                "alice\u0001TOOL=get_order")) {
            for (String tenant : new String[] {null, "acme", "\uDBFF"}) {
                calls.add(call(Optional.of(caller("https://issuer.example\uD800", subject, tenant)), "orders\uDFFF",
                        "get_order"));
                calls.add(call(Optional.of(caller("https://issuer.example", subject, tenant)), "orders", "t\u00e9"));
            }
        }
        for (int mask = 0; mask < 16; mask++) {
            Set<LimitKey> keyedBy = EnumSet.noneOf(LimitKey.class);
            for (LimitKey dimension : LimitKey.values()) {
                if ((mask & (1 << dimension.ordinal())) != 0) {
                    keyedBy.add(dimension);
                }
            }
            BucketKeys.Prefix prefix = new BucketKeys.Prefix("r", keyedBy, "30/30/60000000000");
            for (ToolCall call : calls) {
                BucketKeys.CallValues values = new BucketKeys.CallValues(call);
                String expected = keyAsBefore("r", keyedBy, "30/30/60000000000", call);
                assertThat(prefix.keyFor(values)).as("%s %s", keyedBy, call).isEqualTo(expected);
                assertThat(prefix.keyFor(values)).as("a second key from the same values").isEqualTo(expected);
            }
        }
    }

    @Test
    void callersAndToolsWhoseValuesConcatenateAlikeStillGetSeparateBuckets() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(1).refillPerHour(1).build())
                .limit(RateLimit.perCaller().perTenant().capacity(1).refillPerHour(1).build())
                .build();
        List<ToolCall> calls = List.of(
                call(Optional.of(caller("https://a", "alice", "acme")), "orders", "get_order"),
                call(Optional.of(caller("https://b", "alice", "acme")), "orders", "get_order"),
                call(Optional.of(caller("https://a", "alic", "acme")), "orders", "eget_order"),
                call(Optional.of(caller("https://a", "alice\u0001TOOL=get_order", "acme")), "orders", "x"),
                call(Optional.of(caller("https://a/ali", "ce", "acme")), "orders", "get_order"),
                call(Optional.of(caller("https://a", "alice\u0001TENANT=acme", null)), "orders", "get_order"),
                call(Optional.of(caller("https://a", "alice", "acm")), "orders", "eget_order"),
                call(Optional.empty(), "orders", "get_order"));

        for (ToolCall call : calls) {
            assertThat(throttle.tryAcquire(call)).as("first call of %s", call.caller())
                    .isInstanceOf(ThrottleResult.Acquired.class);
        }
        for (ToolCall call : calls) {
            assertThat(throttle.tryAcquire(call)).as("second call of %s", call.caller())
                    .isInstanceOf(ThrottleResult.Rejected.class);
        }
    }

    @Test
    void concurrencySlotsAreKeyedTheSameWayAsBefore() throws Exception {
        ToolCall call = call(Optional.of(caller("https://a", "alice", "acme")), "orders", "get_order");
        TokenBucketThrottle throttle = TokenBucketThrottle.builder()
                .concurrencyLimit(ConcurrencyLimit.perCaller().perTool().maxInFlight(1)).build();

        ThrottleResult first = throttle.tryAcquire(call);

        assertThat(first).isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(throttle.tryAcquire(call)).isInstanceOf(ThrottleResult.Rejected.class);
        assertThat(new BucketKeys.Prefix("c", EnumSet.of(LimitKey.CALLER, LimitKey.TOOL), "1")
                .keyFor(new BucketKeys.CallValues(call)))
                .isEqualTo(keyAsBefore("c", EnumSet.of(LimitKey.CALLER, LimitKey.TOOL), "1", call));
        ((ThrottleResult.Acquired) first).permit().close();
        assertThat(throttle.tryAcquire(call)).isInstanceOf(ThrottleResult.Acquired.class);
    }
}
