package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code time.*} host builtins decide as the real {@code opa} does, on edge cases and seeded random inputs. */
class TimeBuiltinsProbeTest {

    private static final List<String> ZONES = List.of("", "UTC", "Local", "America/New_York", "Europe/Berlin",
            "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "Europe/London", "Asia/Tokyo",
            "Bogus/Zone", "utc", "Etc/GMT+5", "America/Sao_Paulo", "+01:00");
    private static final List<String> LAYOUTS = List.of("", "RFC3339", "RFC3339Nano", "ANSIC", "UnixDate",
            "RubyDate", "RFC822", "RFC822Z", "RFC850", "RFC1123", "RFC1123Z", "2006-01-02", "Jan 2, 2006 at 3:04pm",
            "15:04:05.000", "Monday 02 January 2006 -07:00:00", "__2 002", ".999 ,000 Z07 -07 Z070000",
            "January Janet Mon Mond", "pm PM 03 3 4 5", "héllo 2006 ☃", "06 _2 1 01", "no tokens here", "Kitchen");
    private static final long NS_MAX = Long.MAX_VALUE;
    private static final long NS_MIN = Long.MIN_VALUE;

    @Test
    void timeBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2026L);
        BuiltinProbes probes = new BuiltinProbes()
                .builtin("time.parse_rfc3339_ns", 1).builtin("time.parse_ns", 2)
                .builtin("time.parse_duration_ns", 1).builtin("time.format", 1).builtin("time.date", 1)
                .builtin("time.clock", 1).builtin("time.weekday", 1).builtin("time.add_date", 4)
                .builtin("time.diff", 2);

        List<String> rfc3339 = List.of("2026-03-02T10:00:00Z", "2024-02-29T23:59:59.999999999+01:00",
                "2023-02-29T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T10:00:00z", "2026-03-02T10:00:00+24:00",
                "2026-03-02T10:00:00+23:59", "2026-03-02T10:00:00-00:00", "0000-01-01T00:00:00Z",
                "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775807Z",
                "2262-04-11T23:47:16.854775808Z", "2026-03-02T10:00:00.1234567891234Z", "2026-03-02T10:00:00,5Z",
                "2026-03-02 10:00:00Z", "2026-3-2T10:00:00Z", "", " 2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z ",
                "２０２６-03-02T10:00:00Z", "2026-03-02T10:00:60Z", "2026-13-02T10:00:00Z", "2026-03-02T10:00:00+0100",
                "2026-03-02T10:00:00.Z", "9999-12-31T23:59:59Z", "2026-03-02T10:00Z", "2026-03-02T10:00:00+01:00:00");
        for (String s : rfc3339) {
            probes.call("time.parse_rfc3339_ns", s);
        }
        probes.call("time.parse_rfc3339_ns", 12).call("time.parse_rfc3339_ns", List.of("x"));
        for (int i = 0; i < 150; i++) {
            long ns = randomNs(random);
            probes.call("time.parse_rfc3339_ns", GoTime.format(ns, zone(random), pick(random,
                    List.of(GoTime.RFC3339, GoTime.RFC3339_NANO, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05-07:00"))));
        }

        for (String layout : LAYOUTS) {
            for (int i = 0; i < 8; i++) {
                long ns = randomNs(random);
                String goLayout = named(layout);
                String value = GoTime.format(ns, zone(random), goLayout);
                probes.call("time.parse_ns", layout, value);
                probes.call("time.parse_ns", layout, mutate(random, value));
            }
        }
        probes.call("time.parse_ns", "2006-01-02 MST", "2026-03-02 PST")
                .call("time.parse_ns", "2006-01-02 MST", "2026-03-02 GMT+3")
                .call("time.parse_ns", "2006-01-02 MST", "2026-03-02 GMT-24")
                .call("time.parse_ns", "2006 002", "2024 366").call("time.parse_ns", "2006 002", "2023 366")
                .call("time.parse_ns", "2006 01 002", "2024 02 060").call("time.parse_ns", "06", "69")
                .call("time.parse_ns", "06", "68").call("time.parse_ns", "06", "+1")
                .call("time.parse_ns", "3PM", "12AM").call("time.parse_ns", "3PM", "12PM")
                .call("time.parse_ns", "3pm", "13pm").call("time.parse_ns", 1, "x")
                .call("time.parse_ns", "Jan", "jAN").call("time.parse_ns", "Monday", "MONDAY");

        List<String> durations = List.of("1h", "1.5h", "-2m3s", "1d", "1.5d", "2w", "1y", "1d12h", "3µs", "3μs", "3us",
                "", "1", "0", "-0", "+0", "1e3s", "9223372036s", "9223372037s", "2562047h", "2562048h", "106751d",
                "106752d", ".5s", "5.s", ".s", "1h-1m", "+1d", "1D", "1H", "1h ", " 1h", "1d 1h", "1.2.3d", "10000000000000000000000d",
                "1ms1us1ns", "1dd", "1x", "1dx", "-1.5w", "0.000000001s", "1.0000000001s", "0.1ns", "1m1d", "١h", "1hh",
                "-9223372036854775808ns", "9223372036854775807ns", "9223372036854775808ns", "1.5y", "53w", "365.25d");
        for (String d : durations) {
            probes.call("time.parse_duration_ns", d);
        }
        probes.call("time.parse_duration_ns", 5);
        String[] units = {"ns", "us", "ms", "s", "m", "h", "d", "w", "y", "µs"};
        for (int i = 0; i < 120; i++) {
            StringBuilder d = new StringBuilder(random.nextInt(5) == 0 ? "-" : "");
            for (int k = 0, n = 1 + random.nextInt(3); k < n; k++) {
                d.append(random.nextInt(1000));
                if (random.nextInt(3) == 0) {
                    d.append('.').append(random.nextInt(1000));
                }
                d.append(units[random.nextInt(units.length)]);
            }
            probes.call("time.parse_duration_ns", d.toString());
        }

        List<Object> timeOperands = List.of(0, -1, 1, NS_MAX, NS_MIN, new BigInteger("9223372036854775808"),
                1.5, 1e18, 1.0e9, "0", List.of(), List.of(0, 1), List.of("x"), Map.of("a", 1), true);
        for (Object t : timeOperands) {
            for (String f : List.of("time.format", "time.date", "time.clock", "time.weekday")) {
                probes.call(f, t);
            }
        }
        for (int i = 0; i < 200; i++) {
            long ns = randomNs(random);
            String zone = pick(random, ZONES);
            List<Object> operand = random.nextBoolean() ? List.of(ns, zone) : List.of(ns, zone, pick(random, LAYOUTS));
            probes.call("time.format", operand);
            probes.call("time.date", i % 3 == 0 ? ns : List.of(ns, zone));
            probes.call("time.clock", List.of(ns, zone));
            probes.call("time.weekday", List.of(ns, zone));
        }
        // DST edges: just before and after transitions
        for (String iso : List.of("2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-11-01T05:59:59Z",
                "2026-11-01T06:00:00Z", "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2024-02-29T12:00:00Z")) {
            long ns = Instant.parse(iso).getEpochSecond() * 1_000_000_000L;
            for (String zone : List.of("America/New_York", "Europe/Berlin", "Australia/Lord_Howe")) {
                probes.call("time.format", List.of(ns, zone, "2006-01-02 15:04:05 -07:00"));
                probes.call("time.clock", List.of(ns, zone));
                probes.call("time.add_date", List.of(ns, zone), 0, 0, 1);
                probes.call("time.add_date", List.of(ns, zone), 0, 1, -1);
            }
        }

        List<Object> counts = List.of(0, 1, -1, 12, -13, 400, 1.5, 1.0, "1", 100_000, -100_000, NS_MAX);
        long leap = Instant.parse("2024-02-29T12:34:56.789Z").getEpochSecond() * 1_000_000_000L + 789_000_000L;
        probes.call("time.add_date", leap, 1, 0, 0).call("time.add_date", leap, 0, 12, 0)
                .call("time.add_date", leap, -4, 0, 0).call("time.add_date", leap, 0, 0, 365)
                .call("time.add_date", Instant.parse("2026-01-31T00:00:00Z").getEpochSecond() * 1_000_000_000L, 0, 1, 0)
                .call("time.add_date", NS_MAX, 0, 0, 1).call("time.add_date", NS_MIN, 0, 0, -1)
                .call("time.add_date", NS_MAX, 0, 0, 0);
        for (int i = 0; i < 200; i++) {
            Object t = random.nextBoolean() ? randomNs(random) : List.of(randomNs(random), pick(random, ZONES));
            probes.call("time.add_date", t, pick(random, counts), pick(random, counts), pick(random, counts));
        }

        for (int i = 0; i < 200; i++) {
            Object a = random.nextBoolean() ? randomNs(random) : List.of(randomNs(random), pick(random, ZONES));
            Object b = random.nextInt(4) == 0 ? a : random.nextBoolean() ? randomNs(random)
                    : List.of(randomNs(random), pick(random, ZONES));
            probes.call("time.diff", a, b);
        }
        probes.call("time.diff", leap, leap + 1).call("time.diff", NS_MIN, NS_MAX).call("time.diff", "x", 1)
                .call("time.diff", Instant.parse("2024-01-31T00:00:00Z").getEpochSecond() * 1_000_000_000L,
                        Instant.parse("2024-03-01T00:00:00Z").getEpochSecond() * 1_000_000_000L);

        // Documented divergence (docs/policy.md): the MST layout element names a zone with the JDK's abbreviation,
        // where tzdata may use another or a numeric one (Pacific/Chatham "+1345", JDK "CHADT").
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa(pair -> pair.input().contains("\"time.format\"")
                && pair.opa().kind() == pair.embedded().kind()
                && pair.opa().toString().replaceAll("[A-Z]{3,5}|[+-]\\d{2,4}", "Z")
                        .equals(pair.embedded().toString().replaceAll("[A-Z]{3,5}|[+-]\\d{2,4}", "Z")), 8);
        assertThat(perBuiltin).hasSize(9).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(100));
    }

    static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static ZoneId zone(Random random) {
        String name = pick(random, List.of("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/Berlin"));
        return ZoneId.of(name);
    }

    private static String named(String layout) {
        return switch (layout) {
            case "" -> "";
            case "RFC3339" -> GoTime.RFC3339;
            case "RFC3339Nano" -> GoTime.RFC3339_NANO;
            case "ANSIC" -> "Mon Jan _2 15:04:05 2006";
            case "UnixDate" -> "Mon Jan _2 15:04:05 MST 2006";
            case "RubyDate" -> "Mon Jan 02 15:04:05 -0700 2006";
            case "RFC822" -> "02 Jan 06 15:04 MST";
            case "RFC822Z" -> "02 Jan 06 15:04 -0700";
            case "RFC850" -> "Monday, 02-Jan-06 15:04:05 MST";
            case "RFC1123" -> "Mon, 02 Jan 2006 15:04:05 MST";
            case "RFC1123Z" -> "Mon, 02 Jan 2006 15:04:05 -0700";
            default -> layout;
        };
    }

    private static String mutate(Random random, String value) {
        if (value.isEmpty()) {
            return "x";
        }
        int at = random.nextInt(value.length());
        return switch (random.nextInt(4)) {
            case 0 -> value.substring(0, at) + value.substring(at + 1);
            case 1 -> value.substring(0, at) + (char) ('0' + random.nextInt(10)) + value.substring(at + 1);
            case 2 -> value + " ";
            default -> value.substring(0, at) + "é" + value.substring(at);
        };
    }

    private static long randomNs(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> random.nextLong();
            case 1 -> (random.nextLong() % 4_000_000_000L) * 1_000_000_000L / 1000 * 1000 % Long.MAX_VALUE;
            case 2 -> -Math.abs(random.nextLong() % 2_000_000_000_000_000_000L);
            default -> 1_700_000_000_000_000_000L + (long) (random.nextDouble() * 200_000_000_000_000_000L);
        };
    }
}
