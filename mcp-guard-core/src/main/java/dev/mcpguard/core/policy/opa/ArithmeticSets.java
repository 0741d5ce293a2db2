package dev.mcpguard.core.policy.opa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * {@code minus} of two sets as OPA's {@code set.Diff} computes it (ast/term.go): the empty set when the two
 * compare equal, else the members of the first that the second does not contain. OPA finds a member by its hash
 * and then by equality, and a number out of float64's range hashes by its text: so {@code 1e400} is not found in
 * a set holding it written {@code 10e399} (though the two are equal, and two sets holding only them compare
 * equal). Thread-safe (stateless).
 */
final class ArithmeticSets {

    private ArithmeticSets() {
    }

    static RegoValue.RSet difference(RegoValue.RSet a, RegoValue.RSet b) {
        List<RegoValue> left = sorted(a.elements());
        List<RegoValue> right = sorted(b.elements());
        if (left.size() == right.size() && compareSorted(left, right) == 0) {
            return new RegoValue.RSet(List.of());
        }
        List<RegoValue> out = new ArrayList<>();
        for (RegoValue x : a.elements()) {
            if (!contains(right, x)) {
                out.add(x);
            }
        }
        return new RegoValue.RSet(List.copyOf(out));
    }

    private static List<RegoValue> sorted(List<RegoValue> elements) {
        List<RegoValue> sorted = new ArrayList<>(elements);
        sorted.sort(RegoValue::compare);
        return sorted;
    }

    private static int compareSorted(List<RegoValue> a, List<RegoValue> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = RegoValue.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** Whether {@code sorted} holds a member equal to {@code x} that OPA's hash lookup finds. */
    private static boolean contains(List<RegoValue> sorted, RegoValue x) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = RegoValue.compare(sorted.get(mid), x);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return sameHash(sorted.get(mid), x);
            }
        }
        return false;
    }

    /**
     * Whether two equal values hash alike in OPA: a number hashes as {@code int(float64)} when it has a float64,
     * else by its text; containers by their members'.
     */
    private static boolean sameHash(RegoValue a, RegoValue b) {
        if (a instanceof RegoValue.Num x && b instanceof RegoValue.Num y) {
            return x.text().equals(y.text())
                    || ArithmeticNumberText.isFinite(x.text()) && ArithmeticNumberText.isFinite(y.text());
        } else if (a instanceof RegoValue.Arr x && b instanceof RegoValue.Arr y) {
            return allSameHash(x.elements(), y.elements());
        } else if (a instanceof RegoValue.RSet x && b instanceof RegoValue.RSet y) {
            return allSameHash(sorted(x.elements()), sorted(y.elements()));
        } else if (a instanceof RegoValue.Obj x && b instanceof RegoValue.Obj y) {
            Integer[] left = byKey(x);
            Integer[] right = byKey(y);
            for (int i = 0; i < left.length; i++) {
                if (!sameHash(x.keys().get(left[i]), y.keys().get(right[i]))
                        || !sameHash(x.values().get(left[i]), y.values().get(right[i]))) {
                    return false;
                }
            }
            return true;
        }
        return true;
    }

    private static boolean allSameHash(List<RegoValue> a, List<RegoValue> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!sameHash(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static Integer[] byKey(RegoValue.Obj o) {
        Integer[] order = new Integer[o.keys().size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparing(o.keys()::get, RegoValue::compare));
        return order;
    }
}
