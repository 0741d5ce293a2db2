package dev.mcpguard.core.policy.opa;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OPA's {@code json.patch} (topdown/json.go): RFC 6902 operations applied one after another to an edit tree
 * (OPA's internal/edittree), ported with its bookkeeping rather than as a clean RFC 6902 implementation, because
 * OPA's answers follow that bookkeeping, quirks included:
 *
 * <ul>
 *   <li>a path is a string ({@code "/a/0"}, leading slashes trimmed, {@code ~1} then {@code ~0} unescaped;
 *       {@code ""} is the whole document) or an array of segments of any type; an array index is an integer
 *       number or a string OPA's {@code Atoi64} reads ({@code "1.0"}, {@code "."}, but not {@code "01"}), or
 *       {@code "-"} for the end;</li>
 *   <li>set members are addressed by themselves, and {@code add} into a set needs the value to equal the key;</li>
 *   <li>after an insertion into an array, reaching an original element by its index reads the element that was
 *       at that index before the insertion (OPA: {@code add /0} then {@code add /1/k} edits a copy of the old
 *       first element, leaving the shifted one as it was);</li>
 *   <li>where OPA's Go code panics (an edit of the document after the whole document was replaced or removed, an
 *       edit through a removed set member, a patch that removes the whole document), OPA never answers: its
 *       process or HTTP request dies. {@link OpaPanic} makes the embedded evaluation fail instead.</li>
 * </ul>
 *
 * Any other error of OPA's is undefined. Thread-safe (stateless; each call builds its own tree).
 */
final class JsonPatch {

    /** Thrown where OPA's Go code panics on the input; fails the evaluation rather than answering. */
    static final class OpaPanic extends JsonBuiltins.NoAnswer {
        private static final long serialVersionUID = 1L;

        OpaPanic(String why) {
            super("OPA panics on this input (" + why + "); the evaluation fails");
        }
    }

    private static final RegoValue.Str OP = new RegoValue.Str("op");
    private static final RegoValue.Str PATH = new RegoValue.Str("path");
    private static final RegoValue.Str FROM = new RegoValue.Str("from");
    private static final RegoValue.Str VALUE = new RegoValue.Str("value");
    private static final List<String> OPS = List.of("add", "remove", "replace", "move", "copy", "test");

    private JsonPatch() {
    }

    /** {@code json.patch(target, operations)}. */
    static RegoValue apply(RegoValue target, RegoValue operations) throws HostBuiltin.Undefined {
        if (!(operations instanceof RegoValue.Arr list)) {
            throw new HostBuiltin.Undefined("operand 2 must be an array");
        }
        Node root = Node.root(target);
        for (RegoValue element : list.elements()) {
            if (!(element instanceof RegoValue.Obj patch)) {
                throw new HostBuiltin.Undefined("must be an array of JSON-Patch objects");
            }
            RegoValue op = attribute(patch, OP);
            if (!(op instanceof RegoValue.Str opName)) {
                throw new HostBuiltin.Undefined("attribute 'op' must be a string");
            }
            if (!OPS.contains(opName.value())) {
                throw new HostBuiltin.Undefined("unrecognized op");
            }
            RegoValue pathTerm = attribute(patch, PATH);
            RegoValue fromTerm = opName.value().equals("move") || opName.value().equals("copy")
                    ? attribute(patch, FROM) : null;
            RegoValue value = switch (opName.value()) {
                case "add", "replace", "test" -> attribute(patch, VALUE);
                default -> null;
            };
            List<RegoValue> path = parsePath(pathTerm);
            switch (opName.value()) {
                case "add" -> root.insertAtPath(path, value);
                case "remove" -> root.deleteAtPath(path);
                case "replace" -> {
                    root.deleteAtPath(path);
                    root.insertAtPath(path, value);
                }
                case "move" -> {
                    List<RegoValue> from = parsePath(fromTerm);
                    RegoValue chunk = root.renderAtPath(from);
                    root.deleteAtPath(from);
                    root.insertAtPath(path, chunk);
                }
                case "copy" -> {
                    List<RegoValue> from = parsePath(fromTerm);
                    root.insertAtPath(path, root.renderAtPath(from));
                }
                default -> {
                    RegoValue chunk = root.renderAtPath(path);
                    if (chunk == null || !same(chunk, value)) {
                        throw new HostBuiltin.Undefined("test failed");
                    }
                }
            }
        }
        RegoValue result = root.render();
        if (result == null) {
            throw new OpaPanic("the patched document was removed");
        }
        return result;
    }

    private static RegoValue attribute(RegoValue.Obj patch, RegoValue.Str name) throws HostBuiltin.Undefined {
        RegoValue value = find(patch, name);
        if (value == null) {
            throw new HostBuiltin.Undefined("missing attribute");
        }
        return value;
    }

    /** OPA's {@code parsePath}: a {@code /}-separated string or an array of segments. */
    static List<RegoValue> parsePath(RegoValue path) throws HostBuiltin.Undefined {
        if (path instanceof RegoValue.Str s) {
            if (s.value().isEmpty()) {
                return List.of();
            }
            String trimmed = s.value();
            int start = 0;
            while (start < trimmed.length() && trimmed.charAt(start) == '/') {
                start++;
            }
            List<RegoValue> segments = new ArrayList<>();
            for (String part : trimmed.substring(start).split("/", -1)) {
                segments.add(new RegoValue.Str(part.replace("~1", "/").replace("~0", "~")));
            }
            return segments;
        }
        if (path instanceof RegoValue.Arr a) {
            return a.elements();
        }
        throw new HostBuiltin.Undefined("path must be a string or an array");
    }

    static boolean same(RegoValue a, RegoValue b) {
        return RegoValue.compare(a, b) == 0;
    }

    private static boolean composite(RegoValue value) {
        return value instanceof RegoValue.Obj || value instanceof RegoValue.Arr || value instanceof RegoValue.RSet;
    }

    private static RegoValue find(RegoValue.Obj object, RegoValue key) {
        for (int i = 0; i < object.keys().size(); i++) {
            if (same(object.keys().get(i), key)) {
                return object.values().get(i);
            }
        }
        return null;
    }

    private static boolean contains(List<RegoValue> members, RegoValue value) {
        for (RegoValue member : members) {
            if (same(member, value)) {
                return true;
            }
        }
        return false;
    }

    /** edittree's {@code toIndex}: an index into an array of {@code length} elements. */
    private static long toIndex(int length, RegoValue key) throws HostBuiltin.Undefined {
        if (key instanceof RegoValue.Num n) {
            return atoi64(n.text());
        }
        if (key instanceof RegoValue.Str s) {
            if (s.value().equals("-")) {
                return length;
            }
            long index = atoi64(s.value());
            if (!s.value().equals("0") && s.value().startsWith("0")) {
                throw new HostBuiltin.Undefined("leading zeros are not allowed in JSON paths");
            }
            return index;
        }
        throw new HostBuiltin.Undefined("invalid type for indexing");
    }

    /**
     * OPA's {@code util.Atoi64}: optional sign, at most 19 further characters, decimal digits with at most one
     * point followed only by zeros ({@code "1.00"}, {@code "."} is 0), within int64.
     */
    static long atoi64(String text) throws HostBuiltin.Undefined {
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.isEmpty() || s.length() > 19) {
            throw new HostBuiltin.Undefined("not an int64");
        }
        boolean pastDecimal = false;
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (pastDecimal) {
                    throw new HostBuiltin.Undefined("not an int64");
                }
                pastDecimal = true;
                continue;
            }
            if (pastDecimal) {
                if (c == '0') {
                    continue;
                }
                throw new HostBuiltin.Undefined("not an int64");
            }
            if (c < '0' || c > '9') {
                throw new HostBuiltin.Undefined("not an int64");
            }
            n = n * 10 + (c - '0'); // wraps as Go's int64 does; the checks below catch it
        }
        if (!negative && n < 0) {
            throw new HostBuiltin.Undefined("overflow");
        }
        if (negative) {
            n = -n;
            if (n > 0) {
                throw new HostBuiltin.Undefined("underflow");
            }
        }
        return n;
    }

    /**
     * A child slot of an object or set node (Go: one hash slot in {@code childKeys} with its entry in
     * {@code childScalarValues} or {@code childCompositeValues}); a null value or node marks a deletion.
     */
    private static final class Slot {
        RegoValue key;
        boolean composite;
        RegoValue scalar;
        Node node;

        boolean deleted() {
            return composite ? node == null : scalar == null;
        }
    }

    /** One edit-tree node (Go's {@code EditTree}). */
    private static final class Node {
        RegoValue value;
        /** Go's maps are nil: {@code childKeys} ({@code keysNil}) or the value maps; writing to them panics. */
        boolean keysNil;
        boolean valuesNil;
        final List<Slot> slots = new ArrayList<>();
        final Map<Integer, RegoValue> scalarAt = new HashMap<>();
        final Map<Integer, Node> compositeAt = new HashMap<>();
        boolean[] eliminated;
        List<Boolean> insertions;

        private Node(RegoValue value) {
            this.value = value;
            if (value instanceof RegoValue.Arr a) {
                resetArray(a);
            }
        }

        /** {@code NewEditTree}: a scalar root gets no maps, an array root no key map. */
        static Node root(RegoValue value) {
            Node node = new Node(value);
            node.keysNil = !(value instanceof RegoValue.Obj || value instanceof RegoValue.RSet);
            node.valuesNil = !composite(value);
            return node;
        }

        private void resetArray(RegoValue.Arr array) {
            eliminated = new boolean[array.elements().size()];
            insertions = new ArrayList<>(array.elements().size());
            for (int i = 0; i < array.elements().size(); i++) {
                insertions.add(Boolean.FALSE);
            }
        }

        private void clearChildren() {
            slots.clear();
            scalarAt.clear();
            compositeAt.clear();
        }

        private Slot slot(RegoValue key) {
            for (Slot slot : slots) {
                if (same(slot.key, key)) {
                    return slot;
                }
            }
            return null;
        }

        private Slot setKey(Slot existing, RegoValue key) {
            if (keysNil) {
                throw new OpaPanic("assignment to entry in nil map");
            }
            Slot slot = existing;
            if (slot == null) {
                slot = new Slot();
                slots.add(slot);
            }
            slot.key = key;
            return slot;
        }

        private void collapse() {
            value = render();
            clearChildren();
        }

        Node insert(RegoValue key, RegoValue item) throws HostBuiltin.Undefined {
            if (value == null) {
                throw new HostBuiltin.Undefined("deleted node encountered during insert operation");
            }
            if (value instanceof RegoValue.Obj) {
                return insertKeyed(key, item);
            }
            if (value instanceof RegoValue.RSet) {
                if (!same(key, item)) {
                    throw new HostBuiltin.Undefined("set key does not equal value to be inserted");
                }
                if (composite(key)) {
                    collapse();
                }
                return insertKeyed(key, item);
            }
            if (value instanceof RegoValue.Arr) {
                long index = toIndex(insertions.size(), key);
                if (index < 0 || index > insertions.size()) {
                    throw new HostBuiltin.Undefined("index for array insertion out of bounds");
                }
                return insertArray((int) index, item);
            }
            throw new HostBuiltin.Undefined("expected composite type");
        }

        private Node insertKeyed(RegoValue key, RegoValue item) {
            Slot slot = setKey(slot(key), key);
            Node child = new Node(item);
            if (valuesNil) {
                throw new OpaPanic("assignment to entry in nil map");
            }
            slot.composite = composite(item);
            slot.scalar = slot.composite ? null : item;
            slot.node = slot.composite ? child : null;
            return child;
        }

        private Node insertArray(int index, RegoValue item) {
            if (valuesNil) {
                throw new OpaPanic("assignment to entry in nil map");
            }
            List<Integer> scalars = new ArrayList<>();
            List<Integer> composites = new ArrayList<>();
            movedAbove(index, scalars, composites);
            // Go moves the scalars, then the composites, each move deleting BOTH maps' entries at its origin: a
            // scalar just moved onto the origin of a composite is lost, as in OPA.
            for (int i = scalars.size() - 1; i >= 0; i--) {
                int from = scalars.get(i);
                RegoValue moved = scalarAt.get(from);
                deleteChildValue(from);
                scalarAt.put(from + 1, moved);
            }
            for (int i = composites.size() - 1; i >= 0; i--) {
                int from = composites.get(i);
                Node moved = compositeAt.get(from);
                deleteChildValue(from);
                compositeAt.put(from + 1, moved);
            }
            insertions.add(index, Boolean.TRUE);
            Node child = new Node(item);
            if (composite(item)) {
                compositeAt.put(index, child);
            } else {
                scalarAt.put(index, item);
            }
            return child;
        }

        /** The inserted (not original) elements from {@code start} on, by the map that holds them. */
        private void movedAbove(int start, List<Integer> scalars, List<Integer> composites) {
            for (int i = start; i < insertions.size(); i++) {
                if (insertions.get(i)) {
                    if (scalarAt.containsKey(i)) {
                        scalars.add(i);
                    } else if (compositeAt.containsKey(i)) {
                        composites.add(i);
                    } else {
                        throw new OpaPanic("invalid index " + i + " during Insert operation");
                    }
                }
            }
        }

        private void deleteChildValue(int index) {
            scalarAt.remove(index);
            compositeAt.remove(index);
        }

        void delete(RegoValue key) throws HostBuiltin.Undefined {
            if (value == null) {
                throw new HostBuiltin.Undefined("deleted node encountered during delete operation");
            }
            if (value instanceof RegoValue.Obj) {
                Slot slot = slot(key);
                if (slot != null) {
                    if (slot.deleted()) {
                        throw new HostBuiltin.Undefined("cannot delete the already deleted node");
                    }
                    slot.key = key;
                    slot.scalar = null;
                    slot.node = null;
                    return;
                }
                fallbackDelete(key);
            } else if (value instanceof RegoValue.RSet) {
                if (composite(key)) {
                    collapse();
                } else {
                    Slot slot = slot(key);
                    if (slot != null && !slot.composite) {
                        if (slot.scalar == null) {
                            throw new HostBuiltin.Undefined("cannot delete the already deleted scalar node");
                        }
                        if (same(key, slot.scalar)) {
                            slot.key = key;
                            slot.scalar = null;
                            return;
                        }
                    }
                }
                fallbackDelete(key);
            } else if (value instanceof RegoValue.Arr) {
                long at = toIndex(insertions.size(), key);
                if (at < 0 || at > insertions.size() - 1) {
                    throw new HostBuiltin.Undefined("index for array delete out of bounds");
                }
                int index = (int) at;
                List<Integer> scalars = new ArrayList<>();
                List<Integer> composites = new ArrayList<>();
                movedAbove(index + 1, scalars, composites);
                deleteChildValue(index);
                for (int from : scalars) {
                    RegoValue moved = scalarAt.get(from);
                    deleteChildValue(from);
                    scalarAt.put(from - 1, moved);
                }
                for (int from : composites) {
                    Node moved = compositeAt.get(from);
                    deleteChildValue(from);
                    compositeAt.put(from - 1, moved);
                }
                if (!insertions.get(index)) {
                    // "Bleed through" to the original array: knock out the n-th surviving original element.
                    int zeroes = 1;
                    for (int i = 0; i < index; i++) {
                        if (!insertions.get(i)) {
                            zeroes++;
                        }
                    }
                    int seen = 0;
                    int knockedOut = -1;
                    for (int i = 0; i < eliminated.length && knockedOut < 0; i++) {
                        if (!eliminated[i] && ++seen == zeroes) {
                            knockedOut = i;
                        }
                    }
                    if (knockedOut < 0) {
                        throw new OpaPanic("could not eliminate index " + index + " from array");
                    }
                    eliminated[knockedOut] = true;
                }
                insertions.remove(index);
            } else {
                throw new HostBuiltin.Undefined("expected composite type");
            }
        }

        private void fallbackDelete(RegoValue key) throws HostBuiltin.Undefined {
            RegoValue found;
            if (value instanceof RegoValue.Obj object) {
                found = find(object, key);
            } else {
                found = contains(((RegoValue.RSet) value).elements(), key) ? key : null;
            }
            if (found == null) {
                throw new HostBuiltin.Undefined("cannot delete child key that does not exist");
            }
            Slot slot = setKey(slot(key), key);
            if (valuesNil) {
                throw new OpaPanic("assignment to entry in nil map");
            }
            slot.composite = composite(found);
            slot.scalar = null;
            slot.node = null;
        }

        /** Go's {@code Unfold}; null is Go's nil tree (a removed set member), usable only as an empty path's end. */
        Node unfold(List<RegoValue> path) throws HostBuiltin.Undefined {
            if (path.isEmpty()) {
                return this;
            }
            if (value == null) {
                throw new HostBuiltin.Undefined("nil value encountered where composite value was expected");
            }
            RegoValue key = path.get(0);
            List<RegoValue> rest = path.subList(1, path.size());
            if (value instanceof RegoValue.Obj object) {
                Slot slot = slot(key);
                if (slot != null) {
                    if (slot.deleted()) {
                        throw new HostBuiltin.Undefined("cannot unfold the already deleted node");
                    }
                    return slot.composite ? slot.node.unfold(rest) : new Node(slot.scalar).unfold(rest);
                }
                RegoValue found = find(object, key);
                if (found != null) {
                    return insert(key, found).unfold(rest);
                }
                throw new HostBuiltin.Undefined("path does not exist in object term");
            }
            if (value instanceof RegoValue.RSet) {
                if (composite(key)) {
                    collapse();
                } else {
                    Slot slot = slot(key);
                    if (slot != null && !slot.composite) {
                        if (slot.scalar == null) {
                            return unfoldNil(rest);
                        }
                        return new Node(slot.scalar).unfold(rest);
                    }
                }
                if (contains(((RegoValue.RSet) value).elements(), key)) {
                    return insert(key, key).unfold(rest);
                }
                throw new HostBuiltin.Undefined("path does not exist in set term");
            }
            if (value instanceof RegoValue.Arr array) {
                long at = toIndex(insertions.size(), key);
                int index = at < 0 || at > Integer.MAX_VALUE ? -1 : (int) at;
                if (scalarAt.containsKey(index)) {
                    return new Node(scalarAt.get(index)).unfold(rest);
                }
                if (compositeAt.containsKey(index)) {
                    return compositeAt.get(index).unfold(rest);
                }
                // OPA looks the index up in the ORIGINAL array, whatever was inserted or deleted before it.
                if (index >= 0 && index < array.elements().size()) {
                    RegoValue original = array.elements().get(index);
                    RegoValue.Num indexTerm = new RegoValue.Num(Integer.toString(index));
                    delete(indexTerm);
                    return insert(indexTerm, original).unfold(rest);
                }
                throw new HostBuiltin.Undefined("path does not exist in array term");
            }
            throw new HostBuiltin.Undefined("expected composite type for path");
        }

        private static Node unfoldNil(List<RegoValue> rest) {
            if (rest.isEmpty()) {
                return null;
            }
            throw new OpaPanic("nil pointer dereference");
        }

        RegoValue render() {
            if (value == null) {
                return null;
            }
            if (value instanceof RegoValue.Obj object) {
                if (slots.isEmpty()) {
                    return value;
                }
                List<RegoValue> keys = new ArrayList<>();
                List<RegoValue> values = new ArrayList<>();
                for (Slot slot : slots) {
                    if (!slot.deleted()) {
                        keys.add(slot.key);
                        values.add(slot.composite ? slot.node.render() : slot.scalar);
                    }
                }
                for (int i = 0; i < object.keys().size(); i++) {
                    if (slot(object.keys().get(i)) == null) {
                        keys.add(object.keys().get(i));
                        values.add(object.values().get(i));
                    }
                }
                return new RegoValue.Obj(List.copyOf(keys), List.copyOf(values));
            }
            if (value instanceof RegoValue.RSet set) {
                if (slots.isEmpty()) {
                    return value;
                }
                List<RegoValue> members = new ArrayList<>();
                for (Slot slot : slots) {
                    if (!slot.composite && slot.scalar != null) {
                        addMember(members, slot.scalar);
                    }
                }
                for (Slot slot : slots) {
                    if (slot.composite && slot.node != null) {
                        addMember(members, slot.node.render());
                    }
                }
                for (RegoValue member : set.elements()) {
                    if (slot(member) == null) {
                        addMember(members, member);
                    }
                }
                return new RegoValue.RSet(List.copyOf(members));
            }
            if (value instanceof RegoValue.Arr array) {
                List<RegoValue> out = new ArrayList<>(insertions.size());
                int original = 0;
                for (int i = 0; i < insertions.size(); i++) {
                    if (!insertions.get(i)) {
                            while (original < eliminated.length && eliminated[original]) {
                            original++;
                        }
                        if (original == eliminated.length) {
                            throw new OpaPanic("too many eliminated indexes in array");
                        }
                        out.add(array.elements().get(original));
                        original++;
                    } else if (scalarAt.containsKey(i)) {
                        out.add(scalarAt.get(i));
                    } else if (compositeAt.containsKey(i)) {
                        out.add(compositeAt.get(i).render());
                    } else {
                        throw new OpaPanic("invalid index " + i + " does not exist in array");
                    }
                }
                return new RegoValue.Arr(List.copyOf(out));
            }
            return value;
        }

        private static void addMember(List<RegoValue> members, RegoValue member) {
            if (!contains(members, member)) {
                members.add(member);
            }
        }

        void insertAtPath(List<RegoValue> path, RegoValue item) throws HostBuiltin.Undefined {
            if (item == null) {
                throw new HostBuiltin.Undefined("cannot insert nil value into EditTree");
            }
            if (path.isEmpty()) {
                // Go clears the maps but does not make new ones: after a delete of the root they stay nil.
                value = item;
                clearChildren();
                if (item instanceof RegoValue.Arr a) {
                    resetArray(a);
                }
                return;
            }
            Node dest = unfold(path.subList(0, path.size() - 1));
            if (dest == null) {
                throw new OpaPanic("nil pointer dereference");
            }
            dest.insert(path.get(path.size() - 1), item);
        }

        void deleteAtPath(List<RegoValue> path) throws HostBuiltin.Undefined {
            if (path.isEmpty()) {
                if (value == null) {
                    throw new HostBuiltin.Undefined("deleted node encountered during delete operation");
                }
                value = null;
                keysNil = true;
                valuesNil = true;
                clearChildren();
                eliminated = null;
                insertions = null;
                return;
            }
            Node dest = unfold(path.subList(0, path.size() - 1));
            if (dest == null) {
                throw new OpaPanic("nil pointer dereference");
            }
            dest.delete(path.get(path.size() - 1));
        }

        RegoValue renderAtPath(List<RegoValue> path) throws HostBuiltin.Undefined {
            Node dest = unfold(path);
            if (dest == null) {
                throw new OpaPanic("nil pointer dereference");
            }
            return dest.render();
        }
    }
}
