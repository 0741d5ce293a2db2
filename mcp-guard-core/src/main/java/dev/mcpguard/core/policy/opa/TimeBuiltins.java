package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OPA's {@code time.*} builtins (but {@code time.now_ns}, which {@link WasmBuiltins} reads from the engine's
 * clock), ported from {@code topdown/time.go} over {@link GoTime}. Time zones come from the JDK's zone database.
 * Thread-safe (stateless).
 */
final class TimeBuiltins {

    private static final Map<String, String> NAMED_LAYOUTS = Map.of(
            "ANSIC", "Mon Jan _2 15:04:05 2006",
            "UnixDate", "Mon Jan _2 15:04:05 MST 2006",
            "RubyDate", "Mon Jan 02 15:04:05 -0700 2006",
            "RFC822", "02 Jan 06 15:04 MST",
            "RFC822Z", "02 Jan 06 15:04 -0700",
            "RFC850", "Monday, 02-Jan-06 15:04:05 MST",
            "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST",
            "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700",
            "RFC3339", GoTime.RFC3339,
            "RFC3339Nano", GoTime.RFC3339_NANO);

    private static final Set<String> ZONES = ZoneId.getAvailableZoneIds();

    private TimeBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("time.parse_rfc3339_ns",
                        s -> RegoValues.integer(GoTime.parse(GoTime.RFC3339, HostBuiltin.text(s)))),
                HostBuiltin.of2("time.parse_ns", (layout, value) -> {
                    String l = HostBuiltin.text(layout);
                    return RegoValues.integer(GoTime.parse(NAMED_LAYOUTS.getOrDefault(l, l), HostBuiltin.text(value)));
                }),
                HostBuiltin.of1("time.parse_duration_ns", s -> RegoValues.integer(extendedDuration(HostBuiltin.text(s)))),
                HostBuiltin.of1("time.format", x -> {
                    ZonedTime t = zonedTime(x);
                    String layout = t.layout().isEmpty() ? GoTime.RFC3339_NANO
                            : NAMED_LAYOUTS.getOrDefault(t.layout(), t.layout());
                    return TextNode.valueOf(GoTime.format(t.ns(), t.zone(), layout));
                }),
                HostBuiltin.of1("time.date", x -> {
                    ZonedDateTime t = zonedTime(x).at();
                    return ints(t.getYear(), t.getMonthValue(), t.getDayOfMonth());
                }),
                HostBuiltin.of1("time.clock", x -> {
                    ZonedDateTime t = zonedTime(x).at();
                    return ints(t.getHour(), t.getMinute(), t.getSecond());
                }),
                HostBuiltin.of1("time.weekday", x -> TextNode.valueOf(GoTime.weekday(zonedTime(x).at().getDayOfWeek()))),
                HostBuiltin.of4("time.add_date", TimeBuiltins::addDate),
                HostBuiltin.of2("time.diff", TimeBuiltins::diff));
    }

    /** OPA's operand: ns, or [ns], [ns, tz], [ns, tz, layout]. */
    record ZonedTime(long ns, ZoneId zone, String layout) {
        ZonedDateTime at() {
            return Instant.ofEpochSecond(Math.floorDiv(ns, GoTime.NANOS), Math.floorMod(ns, GoTime.NANOS)).atZone(zone);
        }
    }

    static ZonedTime zonedTime(JsonNode x) throws HostBuiltin.Undefined {
        JsonNode number;
        ZoneId zone = ZoneOffset.UTC;
        String layout = "";
        if (HostBuiltin.isArray(x)) {
            if (x.isEmpty()) {
                throw new HostBuiltin.Undefined("empty array");
            }
            number = x.get(0);
            if (!number.isNumber()) {
                throw new HostBuiltin.Undefined("ns must be a number");
            }
            if (x.size() > 1) {
                String name = HostBuiltin.text(x.get(1));
                zone = switch (name) {
                    case "", "UTC" -> ZoneOffset.UTC;
                    case "Local" -> ZoneId.systemDefault();
                    default -> {
                        if (!ZONES.contains(name)) {
                            throw new HostBuiltin.Undefined("unknown time zone");
                        }
                        yield ZoneId.of(name);
                    }
                };
            }
            if (x.size() > 2) {
                layout = HostBuiltin.text(x.get(2));
            }
        } else if (x.isNumber()) {
            number = x;
        } else {
            throw new HostBuiltin.Undefined("either number (ns) or [number (ns), string (tz)]");
        }
        BigDecimal value = number.decimalValue();
        long ns;
        try {
            ns = value.longValueExact();
        } catch (ArithmeticException e) {
            throw new HostBuiltin.Undefined("timestamp too big");
        }
        return new ZonedTime(ns, zone, layout);
    }

    private static ArrayNode ints(int... values) {
        ArrayNode array = RegoValues.NODES.arrayNode();
        for (int v : values) {
            array.add(v);
        }
        return array;
    }

    private static JsonNode addDate(JsonNode x, JsonNode years, JsonNode months, JsonNode days) throws Exception {
        ZonedTime zt = zonedTime(x);
        ZonedDateTime t = zt.at();
        long y = HostBuiltin.integer(years);
        long m = HostBuiltin.integer(months);
        long d = HostBuiltin.integer(days);
        long[] nsec = new long[1];
        long unix = GoTime.date(t.getYear() + y, t.getMonthValue() + m, t.getDayOfMonth() + d, t.getHour(),
                t.getMinute(), t.getSecond(), t.getNano(), zt.zone(), nsec);
        return RegoValues.integer(GoTime.safeUnixNano(unix, nsec[0]));
    }

    private static JsonNode diff(JsonNode a, JsonNode b) throws Exception {
        ZonedTime first = zonedTime(a);
        ZonedTime second = zonedTime(b);
        ZonedDateTime t1 = first.at();
        ZonedDateTime t2 = second.at().withZoneSameInstant(first.zone());
        if (t1.isAfter(t2)) {
            ZonedDateTime swap = t1;
            t1 = t2;
            t2 = swap;
        }
        int year = t2.getYear() - t1.getYear();
        int month = t2.getMonthValue() - t1.getMonthValue();
        int day = t2.getDayOfMonth() - t1.getDayOfMonth();
        int hour = t2.getHour() - t1.getHour();
        int min = t2.getMinute() - t1.getMinute();
        int sec = t2.getSecond() - t1.getSecond();
        if (sec < 0) {
            sec += 60;
            min--;
        }
        if (min < 0) {
            min += 60;
            hour--;
        }
        if (hour < 0) {
            hour += 24;
            day--;
        }
        if (day < 0) {
            day += java.time.YearMonth.of(t1.getYear(), t1.getMonthValue()).lengthOfMonth();
            month--;
        }
        if (month < 0) {
            month += 12;
            year--;
        }
        return ints(year, month, day, hour, min, sec);
    }

    /** OPA's {@code parseExtendedDuration}: Go durations plus {@code d}, {@code w} and {@code y} units. */
    static long extendedDuration(String s) throws Exception {
        if (s.isEmpty()) {
            throw new HostBuiltin.Undefined("invalid duration");
        }
        if (s.chars().noneMatch(c -> c == 'd' || c == 'w' || c == 'y')) {
            return GoTime.parseDuration(s);
        }
        StringBuilder rewritten = new StringBuilder();
        int i = 0;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            rewritten.append(s.charAt(0));
            i = 1;
        }
        if (i == s.length()) {
            throw new HostBuiltin.Undefined("invalid duration");
        }
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '.')) {
                i++;
            }
            if (i == start || i == s.length()) {
                throw new HostBuiltin.Undefined("invalid duration");
            }
            String digits = s.substring(start, i);
            String unit;
            if (s.startsWith("ms", i) || s.startsWith("us", i) || s.startsWith("\u00b5s", i) || s.startsWith("ns", i)) {
                unit = s.substring(i, i + 2);
            } else if (s.charAt(i) >= 'a' && s.charAt(i) <= 'z') {
                unit = s.substring(i, i + 1);
            } else {
                throw new HostBuiltin.Undefined("invalid duration");
            }
            i += unit.length();
            int coefficient = switch (unit) {
                case "d" -> 24;
                case "w" -> 7 * 24;
                case "y" -> 365 * 24;
                default -> 0;
            };
            if (coefficient == 0) {
                rewritten.append(digits).append(unit);
                continue;
            }
            double value;
            try {
                value = GoFloats.parseFloat(digits);
            } catch (NumberFormatException e) {
                throw new HostBuiltin.Undefined("invalid duration");
            }
            rewritten.append(GoFloats.formatShortest(value * coefficient)).append('h');
        }
        return GoTime.parseDuration(rewritten.toString());
    }
}
