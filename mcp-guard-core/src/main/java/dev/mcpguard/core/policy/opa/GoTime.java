package dev.mcpguard.core.policy.opa;

import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * A port of Go's {@code time} layouts ({@code Format}, {@code Parse}) and {@code ParseDuration}, which OPA's
 * {@code time.*} builtins expose to policies. Strings are handled as Go does, byte by byte over UTF-8 (held here
 * as Latin-1 chars). Zone abbreviations ({@code MST} in a layout) come from the JDK's zone names, which may
 * differ from Go's tzdata abbreviations for some zones; {@code time.Parse} resolves abbreviations against a host
 * zone of UTC. Thread-safe (stateless).
 */
final class GoTime {

    static final long NANOS = 1_000_000_000L;

    static final String RFC3339 = "2006-01-02T15:04:05Z07:00";
    static final String RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00";

    private GoTime() {
    }

    /** A Go layout error or a value out of range; only ever turned into an undefined builtin. */
    static final class GoTimeException extends Exception {
        private static final long serialVersionUID = 1L;

        GoTimeException(String message) {
            super(message, null, false, false);
        }
    }

    // std codes (without Go's flag bits)
    private static final int LONG_MONTH = 1;
    private static final int MONTH = 2;
    private static final int NUM_MONTH = 3;
    private static final int ZERO_MONTH = 4;
    private static final int LONG_WEEKDAY = 5;
    private static final int WEEKDAY = 6;
    private static final int DAY = 7;
    private static final int UNDER_DAY = 8;
    private static final int ZERO_DAY = 9;
    private static final int UNDER_YEAR_DAY = 10;
    private static final int ZERO_YEAR_DAY = 11;
    private static final int HOUR = 12;
    private static final int HOUR12 = 13;
    private static final int ZERO_HOUR12 = 14;
    private static final int MINUTE = 15;
    private static final int ZERO_MINUTE = 16;
    private static final int SECOND = 17;
    private static final int ZERO_SECOND = 18;
    private static final int LONG_YEAR = 19;
    private static final int YEAR = 20;
    private static final int PM = 21;
    private static final int PM_LOWER = 22;
    private static final int TZ = 23;
    private static final int ISO8601_TZ = 24;
    private static final int ISO8601_SECONDS_TZ = 25;
    private static final int ISO8601_SHORT_TZ = 26;
    private static final int ISO8601_COLON_TZ = 27;
    private static final int ISO8601_COLON_SECONDS_TZ = 28;
    private static final int NUM_TZ = 29;
    private static final int NUM_SECONDS_TZ = 30;
    private static final int NUM_SHORT_TZ = 31;
    private static final int NUM_COLON_TZ = 32;
    private static final int NUM_COLON_SECONDS_TZ = 33;
    private static final int FRAC_SECOND0 = 34;
    private static final int FRAC_SECOND9 = 35;

    private static final int[] STD0X = {ZERO_MONTH, ZERO_DAY, ZERO_HOUR12, ZERO_MINUTE, ZERO_SECOND, YEAR};

    private static final String[] LONG_DAYS = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    private static final String[] SHORT_DAYS = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    private static final String[] SHORT_MONTHS =
            {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    private static final String[] LONG_MONTHS = {"January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December"};

    private record Chunk(String prefix, int std, int digits, char separator, String suffix) {
    }

    private static Chunk chunk(String layout, int i, int std, int length) {
        return new Chunk(layout.substring(0, i), std, 0, '.', layout.substring(i + length));
    }

    private static boolean startsWithLowerCase(String s) {
        return !s.isEmpty() && s.charAt(0) >= 'a' && s.charAt(0) <= 'z';
    }

    private static boolean isDigit(String s, int i) {
        return s.length() > i && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    private static Chunk nextStdChunk(String layout) {
        int n = layout.length();
        for (int i = 0; i < n; i++) {
            char c = layout.charAt(i);
            switch (c) {
                case 'J':
                    if (layout.startsWith("Jan", i)) {
                        if (layout.startsWith("January", i)) {
                            return chunk(layout, i, LONG_MONTH, 7);
                        }
                        if (!startsWithLowerCase(layout.substring(i + 3))) {
                            return chunk(layout, i, MONTH, 3);
                        }
                    }
                    break;
                case 'M':
                    if (layout.startsWith("Mon", i)) {
                        if (layout.startsWith("Monday", i)) {
                            return chunk(layout, i, LONG_WEEKDAY, 6);
                        }
                        if (!startsWithLowerCase(layout.substring(i + 3))) {
                            return chunk(layout, i, WEEKDAY, 3);
                        }
                    }
                    if (layout.startsWith("MST", i)) {
                        return chunk(layout, i, TZ, 3);
                    }
                    break;
                case '0':
                    if (n >= i + 2 && layout.charAt(i + 1) >= '1' && layout.charAt(i + 1) <= '6') {
                        return chunk(layout, i, STD0X[layout.charAt(i + 1) - '1'], 2);
                    }
                    if (n >= i + 3 && layout.charAt(i + 1) == '0' && layout.charAt(i + 2) == '2') {
                        return chunk(layout, i, ZERO_YEAR_DAY, 3);
                    }
                    break;
                case '1':
                    if (n >= i + 2 && layout.charAt(i + 1) == '5') {
                        return chunk(layout, i, HOUR, 2);
                    }
                    return chunk(layout, i, NUM_MONTH, 1);
                case '2':
                    if (layout.startsWith("2006", i)) {
                        return chunk(layout, i, LONG_YEAR, 4);
                    }
                    return chunk(layout, i, DAY, 1);
                case '_':
                    if (n >= i + 2 && layout.charAt(i + 1) == '2') {
                        if (layout.startsWith("2006", i + 1)) {
                            return new Chunk(layout.substring(0, i + 1), LONG_YEAR, 0, '.', layout.substring(i + 5));
                        }
                        return chunk(layout, i, UNDER_DAY, 2);
                    }
                    if (n >= i + 3 && layout.charAt(i + 1) == '_' && layout.charAt(i + 2) == '2') {
                        return chunk(layout, i, UNDER_YEAR_DAY, 3);
                    }
                    break;
                case '3':
                    return chunk(layout, i, HOUR12, 1);
                case '4':
                    return chunk(layout, i, MINUTE, 1);
                case '5':
                    return chunk(layout, i, SECOND, 1);
                case 'P':
                    if (n >= i + 2 && layout.charAt(i + 1) == 'M') {
                        return chunk(layout, i, PM, 2);
                    }
                    break;
                case 'p':
                    if (n >= i + 2 && layout.charAt(i + 1) == 'm') {
                        return chunk(layout, i, PM_LOWER, 2);
                    }
                    break;
                case '-':
                    if (layout.startsWith("-070000", i)) {
                        return chunk(layout, i, NUM_SECONDS_TZ, 7);
                    }
                    if (layout.startsWith("-07:00:00", i)) {
                        return chunk(layout, i, NUM_COLON_SECONDS_TZ, 9);
                    }
                    if (layout.startsWith("-0700", i)) {
                        return chunk(layout, i, NUM_TZ, 5);
                    }
                    if (layout.startsWith("-07:00", i)) {
                        return chunk(layout, i, NUM_COLON_TZ, 6);
                    }
                    if (layout.startsWith("-07", i)) {
                        return chunk(layout, i, NUM_SHORT_TZ, 3);
                    }
                    break;
                case 'Z':
                    if (layout.startsWith("Z070000", i)) {
                        return chunk(layout, i, ISO8601_SECONDS_TZ, 7);
                    }
                    if (layout.startsWith("Z07:00:00", i)) {
                        return chunk(layout, i, ISO8601_COLON_SECONDS_TZ, 9);
                    }
                    if (layout.startsWith("Z0700", i)) {
                        return chunk(layout, i, ISO8601_TZ, 5);
                    }
                    if (layout.startsWith("Z07:00", i)) {
                        return chunk(layout, i, ISO8601_COLON_TZ, 6);
                    }
                    if (layout.startsWith("Z07", i)) {
                        return chunk(layout, i, ISO8601_SHORT_TZ, 3);
                    }
                    break;
                case '.':
                case ',':
                    if (i + 1 < n && (layout.charAt(i + 1) == '0' || layout.charAt(i + 1) == '9')) {
                        char ch = layout.charAt(i + 1);
                        int j = i + 1;
                        while (j < n && layout.charAt(j) == ch) {
                            j++;
                        }
                        if (!isDigit(layout, j)) {
                            int code = ch == '9' ? FRAC_SECOND9 : FRAC_SECOND0;
                            return new Chunk(layout.substring(0, i), code, (j - (i + 1)) & 0xfff, c, layout.substring(j));
                        }
                    }
                    break;
                default:
                    break;
            }
        }
        return new Chunk(layout, 0, 0, '.', "");
    }

    // ------------------------------------------------------------------ format

    /** Go's {@code t.Format(layout)} for the instant {@code ns} (Unix nanoseconds) in {@code zone}. */
    static String format(long ns, ZoneId zone, String layoutUtf8) {
        ZonedDateTime t = Instant.ofEpochSecond(Math.floorDiv(ns, NANOS), Math.floorMod(ns, NANOS)).atZone(zone);
        String layout = bytes(layoutUtf8);
        StringBuilder b = new StringBuilder();
        int offset = t.getOffset().getTotalSeconds();
        while (!layout.isEmpty()) {
            Chunk chunk = nextStdChunk(layout);
            b.append(chunk.prefix());
            if (chunk.std() == 0) {
                break;
            }
            layout = chunk.suffix();
            int year = t.getYear();
            int hour = t.getHour();
            switch (chunk.std()) {
                case YEAR -> appendInt(b, Math.abs(year) % 100, 2);
                case LONG_YEAR -> appendInt(b, year, 4);
                case MONTH -> b.append(LONG_MONTHS[t.getMonthValue() - 1], 0, 3);
                case LONG_MONTH -> b.append(LONG_MONTHS[t.getMonthValue() - 1]);
                case NUM_MONTH -> appendInt(b, t.getMonthValue(), 0);
                case ZERO_MONTH -> appendInt(b, t.getMonthValue(), 2);
                case WEEKDAY -> b.append(weekday(t.getDayOfWeek()), 0, 3);
                case LONG_WEEKDAY -> b.append(weekday(t.getDayOfWeek()));
                case DAY -> appendInt(b, t.getDayOfMonth(), 0);
                case UNDER_DAY -> {
                    if (t.getDayOfMonth() < 10) {
                        b.append(' ');
                    }
                    appendInt(b, t.getDayOfMonth(), 0);
                }
                case ZERO_DAY -> appendInt(b, t.getDayOfMonth(), 2);
                case UNDER_YEAR_DAY -> {
                    int yday = t.getDayOfYear();
                    if (yday < 100) {
                        b.append(' ');
                        if (yday < 10) {
                            b.append(' ');
                        }
                    }
                    appendInt(b, yday, 0);
                }
                case ZERO_YEAR_DAY -> appendInt(b, t.getDayOfYear(), 3);
                case HOUR -> appendInt(b, hour, 2);
                case HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 0);
                case ZERO_HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 2);
                case MINUTE -> appendInt(b, t.getMinute(), 0);
                case ZERO_MINUTE -> appendInt(b, t.getMinute(), 2);
                case SECOND -> appendInt(b, t.getSecond(), 0);
                case ZERO_SECOND -> appendInt(b, t.getSecond(), 2);
                case PM -> b.append(hour >= 12 ? "PM" : "AM");
                case PM_LOWER -> b.append(hour >= 12 ? "pm" : "am");
                case ISO8601_TZ, ISO8601_COLON_TZ, ISO8601_SECONDS_TZ, ISO8601_SHORT_TZ, ISO8601_COLON_SECONDS_TZ,
                        NUM_TZ, NUM_COLON_TZ, NUM_SECONDS_TZ, NUM_SHORT_TZ, NUM_COLON_SECONDS_TZ ->
                        appendOffset(b, chunk.std(), offset);
                case TZ -> {
                    String name = zoneName(t);
                    if (!name.isEmpty()) {
                        b.append(name);
                    } else {
                        int minutes = offset / 60;
                        b.append(minutes < 0 ? '-' : '+');
                        minutes = Math.abs(minutes);
                        appendInt(b, minutes / 60, 2);
                        appendInt(b, minutes % 60, 2);
                    }
                }
                case FRAC_SECOND0, FRAC_SECOND9 -> appendNano(b, t.getNano(), chunk);
                default -> { }
            }
        }
        return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private static void appendOffset(StringBuilder b, int std, int offset) {
        boolean iso = std == ISO8601_TZ || std == ISO8601_COLON_TZ || std == ISO8601_SECONDS_TZ
                || std == ISO8601_SHORT_TZ || std == ISO8601_COLON_SECONDS_TZ;
        if (offset == 0 && iso) {
            b.append('Z');
            return;
        }
        int zone = offset / 60;
        int absoffset = offset;
        if (zone < 0) {
            b.append('-');
            zone = -zone;
            absoffset = -absoffset;
        } else {
            b.append('+');
        }
        appendInt(b, zone / 60, 2);
        if (std == ISO8601_COLON_TZ || std == NUM_COLON_TZ || std == ISO8601_COLON_SECONDS_TZ
                || std == NUM_COLON_SECONDS_TZ) {
            b.append(':');
        }
        if (std != NUM_SHORT_TZ && std != ISO8601_SHORT_TZ) {
            appendInt(b, zone % 60, 2);
        }
        if (std == ISO8601_SECONDS_TZ || std == NUM_SECONDS_TZ || std == NUM_COLON_SECONDS_TZ
                || std == ISO8601_COLON_SECONDS_TZ) {
            if (std == NUM_COLON_SECONDS_TZ || std == ISO8601_COLON_SECONDS_TZ) {
                b.append(':');
            }
            appendInt(b, absoffset % 60, 2);
        }
    }

    private static final DateTimeFormatter SHORT_ZONE = DateTimeFormatter.ofPattern("zzz", Locale.ROOT);

    private static String zoneName(ZonedDateTime t) {
        ZoneId zone = t.getZone();
        if (zone.equals(ZoneOffset.UTC) || zone.getId().equals("UTC") || zone.getId().equals("Etc/UTC")) {
            return "UTC";
        }
        java.time.zone.ZoneRules rules = zone.getRules();
        if (!rules.isFixedOffset()) {
            var first = rules.nextTransition(Instant.MIN.plusSeconds(1));
            // tzdata's first period of a region is its local mean time, which Go names LMT
            if (first != null && t.toInstant().isBefore(first.getInstant())) {
                return "LMT";
            }
        }
        return SHORT_ZONE.format(t);
    }

    static String weekday(DayOfWeek day) {
        return LONG_DAYS[day.getValue() % 7];
    }

    private static void appendInt(StringBuilder b, int x, int width) {
        if (x < 0) {
            b.append('-');
            x = -x;
        }
        String digits = Integer.toString(x);
        for (int pad = width - digits.length(); pad > 0; pad--) {
            b.append('0');
        }
        b.append(digits);
    }

    private static void appendNano(StringBuilder b, int nanosec, Chunk chunk) {
        boolean trim = chunk.std() == FRAC_SECOND9;
        int n = chunk.digits();
        if (trim && (n == 0 || nanosec == 0)) {
            return;
        }
        StringBuilder frac = new StringBuilder();
        frac.append(chunk.separator());
        String nine = String.format(Locale.ROOT, "%09d", nanosec);
        frac.append(n < 9 ? nine.substring(0, n) : nine);
        if (trim) {
            while (frac.length() > 0 && frac.charAt(frac.length() - 1) == '0') {
                frac.setLength(frac.length() - 1);
            }
            if (frac.length() > 0 && frac.charAt(frac.length() - 1) == chunk.separator()) {
                frac.setLength(frac.length() - 1);
            }
        }
        b.append(frac);
    }

    // ------------------------------------------------------------------ parse

    /** Go's {@code time.Parse(layout, value)} as Unix nanoseconds; fails where Go fails or the instant is out of int64 ns. */
    static long parse(String layoutUtf8, String valueUtf8) throws GoTimeException {
        long[] parsed = parseSeconds(layoutUtf8, valueUtf8);
        return safeUnixNano(parsed[0], parsed[1]);
    }

    /** Whether Go's {@code time.Parse(layout, value)} succeeds (any year Go's layouts can write). */
    static boolean parses(String layoutUtf8, String valueUtf8) {
        try {
            parseSeconds(layoutUtf8, valueUtf8);
            return true;
        } catch (GoTimeException | RuntimeException e) {
            return false;
        }
    }

    /** {@code time.Parse} as {Unix seconds, nanoseconds}. */
    private static long[] parseSeconds(String layoutUtf8, String valueUtf8) throws GoTimeException {
        String layout = bytes(layoutUtf8);
        String value = bytes(valueUtf8);
        boolean amSet = false;
        boolean pmSet = false;
        int year = 0;
        int month = -1;
        int day = -1;
        int yday = -1;
        int hour = 0;
        int min = 0;
        int sec = 0;
        int nsec = 0;
        boolean utc = false;
        int zoneOffset = -1;
        String zoneName = "";
        while (true) {
            Chunk chunk = nextStdChunk(layout);
            value = skip(value, chunk.prefix());
            if (chunk.std() == 0) {
                if (!value.isEmpty()) {
                    throw new GoTimeException("extra text");
                }
                break;
            }
            layout = chunk.suffix();
            int std = chunk.std();
            int[] num;
            switch (std) {
                case YEAR -> {
                    need(value.length() >= 2);
                    year = atoi(value.substring(0, 2));
                    value = value.substring(2);
                    year += year >= 69 ? 1900 : 2000;
                }
                case LONG_YEAR -> {
                    need(value.length() >= 4 && isDigit(value, 0));
                    year = atoi(value.substring(0, 4));
                    value = value.substring(4);
                }
                case MONTH, LONG_MONTH -> {
                    String[] table = std == MONTH ? SHORT_MONTHS : LONG_MONTHS;
                    int found = lookup(table, value);
                    month = found + 1;
                    value = value.substring(table[found].length());
                }
                case NUM_MONTH, ZERO_MONTH -> {
                    num = getnum(value, std == ZERO_MONTH);
                    month = num[0];
                    value = value.substring(num[1]);
                    range(month > 0 && month <= 12);
                }
                case WEEKDAY, LONG_WEEKDAY -> {
                    String[] table = std == WEEKDAY ? SHORT_DAYS : LONG_DAYS;
                    value = value.substring(table[lookup(table, value)].length());
                }
                case DAY, UNDER_DAY, ZERO_DAY -> {
                    if (std == UNDER_DAY && !value.isEmpty() && value.charAt(0) == ' ') {
                        value = value.substring(1);
                    }
                    num = getnum(value, std == ZERO_DAY);
                    day = num[0];
                    value = value.substring(num[1]);
                }
                case UNDER_YEAR_DAY, ZERO_YEAR_DAY -> {
                    for (int i = 0; i < 2; i++) {
                        if (std == UNDER_YEAR_DAY && !value.isEmpty() && value.charAt(0) == ' ') {
                            value = value.substring(1);
                        }
                    }
                    num = getnum3(value, std == ZERO_YEAR_DAY);
                    yday = num[0];
                    value = value.substring(num[1]);
                }
                case HOUR -> {
                    num = getnum(value, false);
                    hour = num[0];
                    value = value.substring(num[1]);
                    range(hour < 24);
                }
                case HOUR12, ZERO_HOUR12 -> {
                    num = getnum(value, std == ZERO_HOUR12);
                    hour = num[0];
                    value = value.substring(num[1]);
                    range(hour <= 12);
                }
                case MINUTE, ZERO_MINUTE -> {
                    num = getnum(value, std == ZERO_MINUTE);
                    min = num[0];
                    value = value.substring(num[1]);
                    range(min < 60);
                }
                case SECOND, ZERO_SECOND -> {
                    num = getnum(value, std == ZERO_SECOND);
                    sec = num[0];
                    value = value.substring(num[1]);
                    range(sec < 60);
                    if (value.length() >= 2 && commaOrPeriod(value.charAt(0)) && isDigit(value, 1)) {
                        int next = nextStdChunk(layout).std();
                        if (next == FRAC_SECOND0 || next == FRAC_SECOND9) {
                            break;
                        }
                        int n = 2;
                        while (n < value.length() && isDigit(value, n)) {
                            n++;
                        }
                        nsec = parseNanoseconds(value, n);
                        value = value.substring(n);
                    }
                }
                case PM, PM_LOWER -> {
                    need(value.length() >= 2);
                    String p = value.substring(0, 2);
                    value = value.substring(2);
                    if (p.equals(std == PM ? "PM" : "pm")) {
                        pmSet = true;
                    } else if (p.equals(std == PM ? "AM" : "am")) {
                        amSet = true;
                    } else {
                        throw new GoTimeException("bad AM/PM");
                    }
                }
                case ISO8601_TZ, ISO8601_SHORT_TZ, ISO8601_COLON_TZ, ISO8601_SECONDS_TZ, ISO8601_COLON_SECONDS_TZ,
                        NUM_TZ, NUM_SHORT_TZ, NUM_COLON_TZ, NUM_SECONDS_TZ, NUM_COLON_SECONDS_TZ -> {
                    boolean iso = std == ISO8601_TZ || std == ISO8601_SHORT_TZ || std == ISO8601_COLON_TZ
                            || std == ISO8601_SECONDS_TZ || std == ISO8601_COLON_SECONDS_TZ;
                    if (iso && !value.isEmpty() && value.charAt(0) == 'Z') {
                        value = value.substring(1);
                        utc = true;
                        break;
                    }
                    String sign;
                    String hh;
                    String mm;
                    String ss;
                    if (std == ISO8601_COLON_TZ || std == NUM_COLON_TZ) {
                        need(value.length() >= 6 && value.charAt(3) == ':');
                        sign = value.substring(0, 1);
                        hh = value.substring(1, 3);
                        mm = value.substring(4, 6);
                        ss = "00";
                        value = value.substring(6);
                    } else if (std == NUM_SHORT_TZ || std == ISO8601_SHORT_TZ) {
                        need(value.length() >= 3);
                        sign = value.substring(0, 1);
                        hh = value.substring(1, 3);
                        mm = "00";
                        ss = "00";
                        value = value.substring(3);
                    } else if (std == ISO8601_COLON_SECONDS_TZ || std == NUM_COLON_SECONDS_TZ) {
                        need(value.length() >= 9 && value.charAt(3) == ':' && value.charAt(6) == ':');
                        sign = value.substring(0, 1);
                        hh = value.substring(1, 3);
                        mm = value.substring(4, 6);
                        ss = value.substring(7, 9);
                        value = value.substring(9);
                    } else if (std == ISO8601_SECONDS_TZ || std == NUM_SECONDS_TZ) {
                        need(value.length() >= 7);
                        sign = value.substring(0, 1);
                        hh = value.substring(1, 3);
                        mm = value.substring(3, 5);
                        ss = value.substring(5, 7);
                        value = value.substring(7);
                    } else {
                        need(value.length() >= 5);
                        sign = value.substring(0, 1);
                        hh = value.substring(1, 3);
                        mm = value.substring(3, 5);
                        ss = "00";
                        value = value.substring(5);
                    }
                    int hr = getnum(hh, true)[0];
                    int mi = getnum(mm, true)[0];
                    int se = getnum(ss, true)[0];
                    range(hr <= 24 && mi <= 60 && se <= 60);
                    zoneOffset = (hr * 60 + mi) * 60 + se;
                    if (sign.charAt(0) == '-') {
                        zoneOffset = -zoneOffset;
                    } else if (sign.charAt(0) != '+') {
                        throw new GoTimeException("bad zone sign");
                    }
                }
                case TZ -> {
                    if (value.startsWith("UTC")) {
                        utc = true;
                        value = value.substring(3);
                        break;
                    }
                    int n = parseTimeZone(value);
                    need(n > 0);
                    zoneName = value.substring(0, n);
                    value = value.substring(n);
                }
                case FRAC_SECOND0 -> {
                    int ndigit = 1 + chunk.digits();
                    need(value.length() >= ndigit);
                    nsec = parseNanoseconds(value, ndigit);
                    value = value.substring(ndigit);
                }
                case FRAC_SECOND9 -> {
                    if (value.length() < 2 || !commaOrPeriod(value.charAt(0)) || !isDigit(value, 1)) {
                        break;
                    }
                    int i = 0;
                    while (i + 1 < value.length() && isDigit(value, i + 1)) {
                        i++;
                    }
                    nsec = parseNanoseconds(value, 1 + i);
                    value = value.substring(1 + i);
                }
                default -> { }
            }
        }
        if (pmSet && hour < 12) {
            hour += 12;
        } else if (amSet && hour == 12) {
            hour = 0;
        }
        if (yday >= 0) {
            int d = 0;
            int m = 0;
            boolean leap = Year.isLeap(year);
            if (leap) {
                if (yday == 31 + 29) {
                    m = 2;
                    d = 29;
                } else if (yday > 31 + 29) {
                    yday--;
                }
            }
            if (yday < 1 || yday > 365) {
                throw new GoTimeException("day-of-year out of range");
            }
            if (m == 0) {
                m = (yday - 1) / 31 + 1;
                if (daysBefore(m + 1) < yday) {
                    m++;
                }
                d = yday - daysBefore(m);
            }
            if (month >= 0 && month != m) {
                throw new GoTimeException("day-of-year does not match month");
            }
            month = m;
            if (day >= 0 && day != d) {
                throw new GoTimeException("day-of-year does not match day");
            }
            day = d;
        } else {
            if (month < 0) {
                month = 1;
            }
            if (day < 0) {
                day = 1;
            }
        }
        if (day < 1 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            throw new GoTimeException("day out of range");
        }
        long seconds = LocalDateTime.of(year, month, day, hour, min, sec).toEpochSecond(ZoneOffset.UTC);
        if (!utc && zoneOffset != -1) {
            seconds -= zoneOffset;
        }
        // A zone abbreviation (MST, GMT+3) the host zone does not know keeps the wall clock as UTC: Go attaches a
        // fixed zone of that name without moving the instant.
        return new long[] {seconds, nsec};
    }

    /** Unix nanoseconds, or a failure outside int64 (OPA's "time outside of valid range"). */
    static long safeUnixNano(long seconds, long nanos) throws GoTimeException {
        seconds += Math.floorDiv(nanos, NANOS);
        nanos = Math.floorMod(nanos, NANOS);
        long minSeconds = Math.floorDiv(Long.MIN_VALUE, NANOS);
        long maxSeconds = Math.floorDiv(Long.MAX_VALUE, NANOS);
        if (seconds < minSeconds || seconds == minSeconds && nanos < Math.floorMod(Long.MIN_VALUE, NANOS)
                || seconds > maxSeconds || seconds == maxSeconds && nanos > Math.floorMod(Long.MAX_VALUE, NANOS)) {
            throw new GoTimeException("time outside of valid range");
        }
        return seconds * NANOS + nanos; // wraps back into range at the lower edge, as Go's UnixNano does
    }

    private static final long SECONDS_PER_DAY = 86_400L;
    private static final long ABSOLUTE_YEARS = 292_277_022_400L;
    private static final long UNIX_TO_INTERNAL = (1969L * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * SECONDS_PER_DAY;
    // -(absoluteYears*365.2425 + marchThruDecember) * secondsPerDay, exact as Go's untyped constant
    private static final long ABSOLUTE_TO_UNIX = new java.math.BigDecimal(ABSOLUTE_YEARS)
            .multiply(new java.math.BigDecimal("365.2425")).add(java.math.BigDecimal.valueOf(306))
            .multiply(java.math.BigDecimal.valueOf(SECONDS_PER_DAY)).negate().longValueExact() - UNIX_TO_INTERNAL;

    /**
     * Go's {@code time.Date(year, month, day, hour, min, sec, nsec, loc)} as Unix seconds (nanoseconds returned in
     * {@code nsecOut[0]}), with Go's normalisation and int64 wrap-around for out-of-range fields.
     */
    static long date(long year, long month, long day, long hour, long min, long sec, long nsec, ZoneId zone,
            long[] nsecOut) {
        long[] n = norm(year, month - 1, 12);
        year = n[0];
        month = n[1] + 1;
        n = norm(sec, nsec, NANOS);
        sec = n[0];
        nsec = n[1];
        n = norm(min, sec, 60);
        min = n[0];
        sec = n[1];
        n = norm(hour, min, 60);
        hour = n[0];
        min = n[1];
        n = norm(day, hour, 24);
        day = n[0];
        hour = n[1];
        long unix = dateToAbsDays(year, (int) month, day) * SECONDS_PER_DAY + (hour * 3600 + min * 60 + sec)
                + ABSOLUTE_TO_UNIX;
        if (!(zone instanceof ZoneOffset offsetZone && offsetZone.getTotalSeconds() == 0)) {
            java.time.zone.ZoneRules rules = zone.getRules();
            int offset = offsetAt(rules, unix);
            if (offset != 0) {
                long utc = unix - offset;
                int atUtc = offsetAt(rules, utc);
                if (atUtc != offset) { // utc lies in another zone period: Go looks its offset up again
                    offset = atUtc;
                }
                unix -= offset;
            }
        }
        nsecOut[0] = nsec;
        return unix;
    }

    private static int offsetAt(java.time.zone.ZoneRules rules, long unix) {
        long clamped = Math.max(Instant.MIN.getEpochSecond(), Math.min(Instant.MAX.getEpochSecond(), unix));
        return rules.getOffset(Instant.ofEpochSecond(clamped)).getTotalSeconds();
    }

    private static long[] norm(long hi, long lo, long base) {
        if (lo < 0) {
            long n = (-lo - 1) / base + 1;
            hi -= n;
            lo += n * base;
        }
        if (lo >= base) {
            long n = lo / base;
            hi += n;
            lo -= n * base;
        }
        return new long[] {hi, lo};
    }

    /** Go's dateToAbsDays, in uint64 arithmetic. */
    private static long dateToAbsDays(long year, int month, long day) {
        long amonth = month;
        long janFeb = amonth < 3 ? 1 : 0;
        amonth += 12 * janFeb;
        long y = year - janFeb + ABSOLUTE_YEARS;
        long ayday = ((979 * amonth - 2919) & 0xffffffffL) >>> 5;
        long century = Long.divideUnsigned(y, 100);
        long cyear = Long.remainderUnsigned(y, 100);
        long cday = 1461 * cyear / 4;
        long centurydays = Long.divideUnsigned(146097 * century, 4);
        return centurydays + ((cday + ayday) + day - 1);
    }

    private static int daysBefore(int month) {
        int[] before = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
        return before[month - 1];
    }

    private static void need(boolean ok) throws GoTimeException {
        if (!ok) {
            throw new GoTimeException("bad value for field");
        }
    }

    private static void range(boolean ok) throws GoTimeException {
        if (!ok) {
            throw new GoTimeException("value out of range");
        }
    }

    private static boolean commaOrPeriod(char c) {
        return c == '.' || c == ',';
    }

    private static int lookup(String[] table, String value) throws GoTimeException {
        for (int i = 0; i < table.length; i++) {
            String v = table[i];
            if (value.length() >= v.length() && matchFold(value.substring(0, v.length()), v)) {
                return i;
            }
        }
        throw new GoTimeException("bad name");
    }

    private static boolean matchFold(String s1, String s2) {
        for (int i = 0; i < s1.length(); i++) {
            int c1 = s1.charAt(i);
            int c2 = s2.charAt(i);
            if (c1 != c2) {
                c1 |= 'a' - 'A';
                c2 |= 'a' - 'A';
                if (c1 != c2 || c1 < 'a' || c1 > 'z') {
                    return false;
                }
            }
        }
        return true;
    }

    /** {value, consumed}. */
    private static int[] getnum(String s, boolean fixed) throws GoTimeException {
        if (!isDigit(s, 0)) {
            throw new GoTimeException("bad number");
        }
        if (!isDigit(s, 1)) {
            if (fixed) {
                throw new GoTimeException("bad number");
            }
            return new int[] {s.charAt(0) - '0', 1};
        }
        return new int[] {(s.charAt(0) - '0') * 10 + (s.charAt(1) - '0'), 2};
    }

    private static int[] getnum3(String s, boolean fixed) throws GoTimeException {
        int n = 0;
        int i;
        for (i = 0; i < 3 && isDigit(s, i); i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        if (i == 0 || fixed && i != 3) {
            throw new GoTimeException("bad number");
        }
        return new int[] {n, i};
    }

    private static String cutspace(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        return s.substring(i);
    }

    private static String skip(String value, String prefix) throws GoTimeException {
        while (!prefix.isEmpty()) {
            if (prefix.charAt(0) == ' ') {
                if (!value.isEmpty() && value.charAt(0) != ' ') {
                    throw new GoTimeException("bad value");
                }
                prefix = cutspace(prefix);
                value = cutspace(value);
                continue;
            }
            if (value.isEmpty() || value.charAt(0) != prefix.charAt(0)) {
                throw new GoTimeException("bad value");
            }
            prefix = prefix.substring(1);
            value = value.substring(1);
        }
        return value;
    }

    /** Go's {@code atoi}: optional sign, digits, nothing else; at most 2^63. */
    private static int atoi(String s) throws GoTimeException {
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        long[] lead = leadingInt(s);
        if (lead == null || lead[1] != s.length()) {
            throw new GoTimeException("invalid number");
        }
        long x = lead[0];
        return (int) (neg ? -x : x);
    }

    /** {value, digits consumed}; null on overflow past 2^63. Values up to 2^63 are held as unsigned. */
    private static long[] leadingInt(String s) {
        long x = 0;
        int i = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            if (Long.compareUnsigned(x, Long.divideUnsigned(Long.MIN_VALUE, 10)) > 0) {
                return null;
            }
            x = x * 10 + (c - '0');
            if (Long.compareUnsigned(x, Long.MIN_VALUE) > 0) {
                return null;
            }
        }
        return new long[] {x, i};
    }

    private static int parseNanoseconds(String value, int nbytes) throws GoTimeException {
        if (!commaOrPeriod(value.charAt(0))) {
            throw new GoTimeException("bad fraction");
        }
        if (nbytes > 10) {
            value = value.substring(0, 10);
            nbytes = 10;
        }
        int ns = atoi(value.substring(1, nbytes));
        if (ns < 0) {
            throw new GoTimeException("fractional second out of range");
        }
        for (int i = 0; i < 10 - nbytes; i++) {
            ns *= 10;
        }
        return ns;
    }

    private static int parseTimeZone(String value) {
        if (value.length() < 3) {
            return 0;
        }
        if (value.length() >= 4 && (value.startsWith("ChST") || value.startsWith("MeST"))) {
            return 4;
        }
        if (value.startsWith("GMT")) {
            String rest = value.substring(3);
            return rest.isEmpty() ? 3 : 3 + parseSignedOffset(rest);
        }
        if (value.charAt(0) == '+' || value.charAt(0) == '-') {
            return parseSignedOffset(value);
        }
        int upper = 0;
        while (upper < 6 && upper < value.length() && value.charAt(upper) >= 'A' && value.charAt(upper) <= 'Z') {
            upper++;
        }
        switch (upper) {
            case 5:
                return value.charAt(4) == 'T' ? 5 : 0;
            case 4:
                return value.charAt(3) == 'T' || value.startsWith("WITA") ? 4 : 0;
            case 3:
                return 3;
            default:
                return 0;
        }
    }

    private static int parseSignedOffset(String value) {
        char sign = value.charAt(0);
        if (sign != '-' && sign != '+') {
            return 0;
        }
        long[] lead = leadingInt(value.substring(1));
        if (lead == null || lead[1] == 0) {
            return 0;
        }
        if (Long.compareUnsigned(lead[0], 23) > 0) {
            return 0;
        }
        return 1 + (int) lead[1];
    }

    // ------------------------------------------------------------------ durations

    /** Go's {@code time.ParseDuration} in nanoseconds. */
    static long parseDuration(String original) throws GoTimeException {
        String s = bytes(original);
        long d = 0; // unsigned
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        if (s.isEmpty()) {
            throw new GoTimeException("invalid duration");
        }
        while (!s.isEmpty()) {
            long v;
            long f = 0;
            double scale = 1;
            if (!(s.charAt(0) == '.' || isDigit(s, 0))) {
                throw new GoTimeException("invalid duration");
            }
            long[] lead = leadingInt(s);
            if (lead == null) {
                throw new GoTimeException("invalid duration");
            }
            v = lead[0];
            boolean pre = lead[1] != 0;
            s = s.substring((int) lead[1]);
            boolean post = false;
            if (!s.isEmpty() && s.charAt(0) == '.') {
                s = s.substring(1);
                int i = 0;
                boolean overflow = false;
                for (; i < s.length() && isDigit(s, i); i++) {
                    if (overflow) {
                        continue;
                    }
                    if (Long.compareUnsigned(f, Long.MAX_VALUE / 10) > 0) {
                        overflow = true;
                        continue;
                    }
                    long y = f * 10 + (s.charAt(i) - '0');
                    if (Long.compareUnsigned(y, Long.MIN_VALUE) > 0) {
                        overflow = true;
                        continue;
                    }
                    f = y;
                    scale *= 10;
                }
                post = i != 0;
                s = s.substring(i);
            }
            if (!pre && !post) {
                throw new GoTimeException("invalid duration");
            }
            int i = 0;
            while (i < s.length() && !(s.charAt(i) == '.' || isDigit(s, i))) {
                i++;
            }
            if (i == 0) {
                throw new GoTimeException("missing unit in duration");
            }
            String u = new String(s.substring(0, i).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            s = s.substring(i);
            long unit = switch (u) {
                case "ns" -> 1L;
                case "us", "\u00b5s", "\u03bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> NANOS;
                case "m" -> 60 * NANOS;
                case "h" -> 3600 * NANOS;
                default -> throw new GoTimeException("unknown unit in duration");
            };
            if (Long.compareUnsigned(v, Long.divideUnsigned(Long.MIN_VALUE, unit)) > 0) {
                throw new GoTimeException("invalid duration");
            }
            v *= unit;
            if (f > 0) {
                v += (long) (unsignedToDouble(f) * ((double) unit / scale));
                if (Long.compareUnsigned(v, Long.MIN_VALUE) > 0) {
                    throw new GoTimeException("invalid duration");
                }
            }
            d += v;
            if (Long.compareUnsigned(d, Long.MIN_VALUE) > 0) {
                throw new GoTimeException("invalid duration");
            }
        }
        if (neg) {
            return -d;
        }
        if (Long.compareUnsigned(d, Long.MAX_VALUE) > 0) {
            throw new GoTimeException("invalid duration");
        }
        return d;
    }

    private static double unsignedToDouble(long x) {
        return x >= 0 ? (double) x : ((double) (x >>> 1)) * 2.0;
    }

    /** A UTF-8 string as one char per byte, so indexing matches Go's byte indexing. */
    static String bytes(String utf8) {
        return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }
}
