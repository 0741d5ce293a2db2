package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code netip.ParseAddr} on its own; every expected value is what Go 1.26 gives. */
class GoNetipTest {

    @Test
    void parsesIpv4AndIpv6WithAZoneAndAnIpv4Tail() throws Exception {
        assertThat(GoNetip.parseAddr("1.2.3.4")).containsExactly(1, 2, 3, 4);
        assertThat(GoNetip.parseAddr("::1")).hasSize(16).endsWith(0, 1);
        assertThat(GoNetip.parseAddr("::ffff:1.2.3.4")).endsWith(0xff, 0xff, 1, 2, 3, 4);
        assertThat(GoNetip.parseAddr("fe80::1%eth0")).startsWith(0xfe, 0x80).endsWith(0, 1);
        assertThat(GoNetip.isIp("fe80::1")).isTrue();
        assertThat(GoNetip.isIp("fe80::1%eth0")).as("net.ParseIP refuses a zone").isFalse();
        assertThat(GoNetip.isIp("1.2.3")).isFalse();
    }

    @Test
    void refusesWhatGoRefusesWithGoErrorText() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("1.2.3.04", "IPv4 field has octet with leading zero"),
                Map.entry("1.2.3", "IPv4 address too short"), Map.entry("1.2.3.4.5", "IPv4 address too long"),
                Map.entry("256.0.0.1", "IPv4 field has value >255"),
                Map.entry("1..2.3", "IPv4 field must have at least one digit (at \".2.3\")"),
                Map.entry("fe80::1%", "zone must be a non-empty string"), Map.entry("%x", "missing IPv6 address"),
                Map.entry("x", "unable to parse IP"),
                Map.entry("1:2:3:4:5:6:7:8:9", "trailing garbage after address (at \"9\")"),
                Map.entry("1::2::3", "multiple :: in address (at \":3\")"),
                Map.entry("12345::", "each group must have 4 or less digits (at \"12345::\")"),
                Map.entry("1:2:3:4:5:6:7:1.2.3.4",
                        "embedded IPv4 address must replace the final 2 fields of the address (at \"1.2.3.4\")"),
                Map.entry("1:2:3:4:5:6:7:8::", "the :: must expand to at least one field of zeros"),
                Map.entry("g::1", "each colon-separated field must have at least one digit (at \"g::1\")"),
                Map.entry("1:", "colon must be followed by more characters (at \":\")"));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThatThrownBy(() -> GoNetip.parseAddr(e.getKey())).as(e.getKey())
                    .isInstanceOf(HostBuiltin.Undefined.class)
                    .hasMessage("ParseAddr(\"" + e.getKey() + "\"): " + e.getValue());
        }
    }
}
