package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * OPA's {@code object.subset} (topdown/subset.go): objects recursively (a sub value equal to, or an object, set
 * or array subset of, the super value), sets by membership, arrays as a contiguous run, a set within an array by
 * membership; any other pair of operands is undefined (OPA's operand error). Values compare as Rego does
 * ({@code 1 == 1.0}). Thread-safe (stateless).
 */
final class ObjectBuiltins {

    private ObjectBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(HostBuiltin.of2("object.subset", (sup, sub) -> {
            if (sup.isObject() && sub.isObject()) {
                return BooleanNode.valueOf(objectSubset(sup, sub));
            } else if (HostBuiltin.isSet(sup) && HostBuiltin.isSet(sub)) {
                return BooleanNode.valueOf(setSubset(sup, sub));
            } else if (HostBuiltin.isArray(sup) && HostBuiltin.isArray(sub)) {
                return BooleanNode.valueOf(arraySubset(sup, sub));
            } else if (HostBuiltin.isArray(sup) && HostBuiltin.isSet(sub)) {
                return BooleanNode.valueOf(arraySetSubset(sup, sub));
            }
            throw new HostBuiltin.Undefined("both arguments must be of the same type or array and set");
        }));
    }

    private static boolean objectSubset(JsonNode sup, JsonNode sub) {
        for (Iterator<Map.Entry<String, JsonNode>> it = sub.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode superValue = sup.get(field.getKey());
            JsonNode subValue = field.getValue();
            if (superValue == null) {
                return false;
            }
            if (regoEquals(subValue, superValue)) {
                continue;
            }
            boolean nested;
            if (superValue.isObject() && subValue.isObject()) {
                nested = objectSubset(superValue, subValue);
            } else if (HostBuiltin.isSet(superValue) && HostBuiltin.isSet(subValue)) {
                nested = setSubset(superValue, subValue);
            } else if (HostBuiltin.isArray(superValue) && HostBuiltin.isArray(subValue)) {
                nested = arraySubset(superValue, subValue);
            } else {
                nested = false;
            }
            if (!nested) {
                return false;
            }
        }
        return true;
    }

    private static boolean setSubset(JsonNode sup, JsonNode sub) {
        for (JsonNode element : sub) {
            if (!contains(sup, element)) {
                return false;
            }
        }
        return true;
    }

    private static boolean arraySubset(JsonNode sup, JsonNode sub) {
        if (sub.size() > sup.size()) {
            return false;
        }
        int superCursor = 0;
        int subCursor = 0;
        while (true) {
            if (subCursor == sub.size()) {
                return true;
            }
            if (superCursor + subCursor == sup.size()) {
                return false;
            }
            if (regoEquals(sup.get(superCursor + subCursor), sub.get(subCursor))) {
                subCursor++;
            } else {
                superCursor++;
                subCursor = 0;
            }
        }
    }

    /** OPA's loop stops once every member was seen, so an empty set is a subset of no array at all. */
    private static boolean arraySetSubset(JsonNode sup, JsonNode sub) {
        int unmatched = sub.size();
        for (JsonNode element : sup) {
            if (contains(sub, element)) {
                unmatched--;
            }
            if (unmatched == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(JsonNode collection, JsonNode element) {
        for (JsonNode member : collection) {
            if (regoEquals(member, element)) {
                return true;
            }
        }
        return false;
    }

    /** Rego equality: numbers by value, sets unordered, objects by keys, arrays by position. */
    static boolean regoEquals(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (HostBuiltin.isSet(a) || HostBuiltin.isSet(b)) {
            return HostBuiltin.isSet(a) && HostBuiltin.isSet(b) && a.size() == b.size() && setSubset(a, b);
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!regoEquals(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode other = b.get(field.getKey());
                if (other == null || !regoEquals(field.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        return a.getNodeType() == b.getNodeType() && a.equals(b);
    }
}
