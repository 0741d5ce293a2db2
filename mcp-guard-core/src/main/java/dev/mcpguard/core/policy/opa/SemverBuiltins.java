package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's {@code semver.is_valid} and {@code semver.compare} (topdown/semver.go, OPA's {@code internal/semver}), as
 * OPA 1.22.2 decides them: one optional leading {@code v}, then SemVer 2.0.0 exactly (no leading zeroes in the
 * three numbers or in numeric pre-release identifiers, no empty identifiers, ASCII {@code [0-9A-Za-z-]} only), the
 * three numbers within int64. Comparison ignores build metadata; a version without pre-release is greater; numeric
 * identifiers are below alphanumeric ones, and a numeric identifier beyond int64 counts as 2^63-1, as Go's
 * {@code strconv.Atoi} clamps it. {@code is_valid} of a non-string is false; {@code compare} of an invalid version
 * is undefined.
 *
 * <p>Where OPA never returns: two pre-releases that differ but compare equal identifier by identifier (which
 * needs numeric identifiers of 2^63-1 or more, such as {@code 1.0.0-99999999999999999999} against
 * {@code 1.0.0-99999999999999999998}) make OPA's comparison loop forever; here they halt the evaluation, so the
 * call is denied (docs/policy-embedded-builtins.md). Thread-safe (stateless).
 */
final class SemverBuiltins {

    private SemverBuiltins() {
    }

    /** A parsed version; the pre-release as its identifiers (empty when none). */
    record Version(long major, long minor, long patch, List<String> preRelease) {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("semver.is_valid",
                        x -> BooleanNode.valueOf(x.isTextual() && parse(x.textValue()) != null)),
                HostBuiltin.of2("semver.compare", (a, b) -> {
                    Version va = parse(HostBuiltin.text(a));
                    Version vb = parse(HostBuiltin.text(b));
                    if (va == null || vb == null) {
                        throw new HostBuiltin.Undefined("not a valid SemVer");
                    }
                    return RegoValues.integer(compare(va, vb));
                }));
    }

    /** The version, or null when OPA rejects it. */
    static Version parse(String version) {
        String s = version.startsWith("v") ? version.substring(1) : version;
        int[] at = {0};
        Long major = number(s, at);
        if (major == null || !expect(s, at, '.')) {
            return null;
        }
        Long minor = number(s, at);
        if (minor == null || !expect(s, at, '.')) {
            return null;
        }
        Long patch = number(s, at);
        if (patch == null) {
            return null;
        }
        List<String> preRelease = List.of();
        if (expect(s, at, '-')) {
            preRelease = identifiers(s, at, true);
            if (preRelease == null) {
                return null;
            }
        }
        if (expect(s, at, '+') && identifiers(s, at, false) == null) {
            return null;
        }
        return at[0] == s.length() ? new Version(major, minor, patch, preRelease) : null;
    }

    /** {@code 0|[1-9][0-9]*} within int64. */
    private static Long number(String s, int[] at) {
        int start = at[0];
        int end = start;
        while (end < s.length() && isDigit(s.charAt(end))) {
            end++;
        }
        if (end == start || s.charAt(start) == '0' && end - start > 1) {
            return null;
        }
        at[0] = end;
        try {
            return Long.parseLong(s.substring(start, end));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Dot-separated identifiers of {@code [0-9A-Za-z-]+}; a pre-release one that is all digits has no leading zero.
     * Null when malformed.
     */
    private static List<String> identifiers(String s, int[] at, boolean preRelease) {
        List<String> out = new java.util.ArrayList<>();
        while (true) {
            int start = at[0];
            int end = start;
            while (end < s.length() && isIdentifierChar(s.charAt(end))) {
                end++;
            }
            String id = s.substring(start, end);
            if (id.isEmpty() || preRelease && allDigits(id) && id.length() > 1 && id.charAt(0) == '0') {
                return null;
            }
            out.add(id);
            at[0] = end;
            if (!expect(s, at, '.')) {
                return out;
            }
        }
    }

    private static boolean expect(String s, int[] at, char c) {
        if (at[0] < s.length() && s.charAt(at[0]) == c) {
            at[0]++;
            return true;
        }
        return false;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentifierChar(char c) {
        return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-';
    }

    private static boolean allDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> isDigit((char) c));
    }

    /** OPA's {@code Version.Compare}: -1, 0 or 1. */
    static int compare(Version a, Version b) {
        int c = Long.compare(a.major, b.major);
        if (c == 0) {
            c = Long.compare(a.minor, b.minor);
        }
        if (c == 0) {
            c = Long.compare(a.patch, b.patch);
        }
        if (c != 0) {
            return Integer.signum(c);
        }
        List<String> pa = a.preRelease;
        List<String> pb = b.preRelease;
        if (pa.equals(pb)) {
            return 0;
        }
        if (pa.isEmpty()) {
            return 1;
        }
        if (pb.isEmpty()) {
            return -1;
        }
        for (int i = 0; ; i++) {
            if (i == pa.size() && i == pb.size()) {
                // OPA's loop never ends here (its cut of "" yields "" forever); fail the evaluation instead. The
                // message names no input: it reaches the engine's log.
                throw new HostBuiltin.Halt("semver.compare: pre-releases equal beyond int64, OPA never returns");
            }
            String x = pa.get(i);
            String y = pb.get(i);
            boolean xNumeric = allDigits(x);
            boolean yNumeric = allDigits(y);
            if (xNumeric != yNumeric) {
                return xNumeric ? -1 : 1;
            }
            if (xNumeric) {
                c = Long.compare(atoi(x), atoi(y));
            } else {
                c = x.compareTo(y); // ASCII only, so UTF-16 order is Go's byte order
            }
            if (c != 0) {
                return Integer.signum(c);
            }
            boolean xMore = i + 1 < pa.size();
            boolean yMore = i + 1 < pb.size();
            if (xMore != yMore) {
                return xMore ? 1 : -1;
            }
        }
    }

    /** Go's {@code strconv.Atoi} of a digit string: beyond int64 it gives 2^63-1 (and an error OPA ignores). */
    private static long atoi(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
