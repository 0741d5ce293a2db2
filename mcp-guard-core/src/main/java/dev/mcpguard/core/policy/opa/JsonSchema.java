package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OPA's {@code json.verify_schema} and {@code json.match_schema} (topdown/jsonschema.go): the schema compiled and
 * the document validated as OPA's vendored gojsonschema does it, drafts 4, 6 and 7 and its "hybrid" default, with
 * its keyword set, its error texts and types, its error order, its {@code $ref}/{@code $id} resolution (Go's
 * {@code net/url}, {@link GoUrl}) and its formats.
 *
 * <p>Where gojsonschema iterates a Go map (properties, pattern properties, dependencies, definitions, the keys of
 * a validated object) OPA's order is random from one evaluation to the next; this port iterates in sorted key
 * order, which is one of OPA's orders. A {@code $ref} to a document that is not the schema itself nor one of the
 * draft meta-schemas makes OPA fetch it (over HTTP, or from its own file system for {@code file:}); the embedded
 * engine never does, and fails the evaluation ({@link JsonBuiltins.NoAnswer}). Thread-safe (stateless; a compiled
 * schema lives for one call).
 */
final class JsonSchema {

    /** A Go error on the compile or load path, with Go's text. */
    static final class SchemaError extends Exception {
        private static final long serialVersionUID = 1L;

        SchemaError(String message) {
            super(message, null, false, false);
        }
    }

    /** Go's {@code json.Number}. */
    record Num(String text) {
    }

    private static final int DRAFT4 = 4;
    private static final int DRAFT6 = 6;
    private static final int DRAFT7 = 7;
    private static final int HYBRID = Integer.MAX_VALUE;

    static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
            b.getBytes(StandardCharsets.UTF_8));

    private static final String ROOT = "(Root)";
    private static final String VALID_SCHEMA = "Valid Schema";
    private static final List<String> JSON_TYPES = List.of("array", "boolean", "integer", "number", "null", "object",
            "string");

    private JsonSchema() {
    }

    // ================================================================== the builtins

    /** {@code json.verify_schema(schema)}: {@code [true, null]} or {@code [false, "jsonschema: ..."]}. */
    static RegoValue verify(RegoValue schema) {
        try {
            compile(load(schema));
            return new RegoValue.Arr(List.of(new RegoValue.Bool(true), new RegoValue.Null()));
        } catch (SchemaError e) {
            return new RegoValue.Arr(List.of(new RegoValue.Bool(false), new RegoValue.Str("jsonschema: "
                    + e.getMessage())));
        }
    }

    /** {@code json.match_schema(document, schema)}: {@code [valid, errors]}; an OPA error is undefined. */
    static RegoValue match(RegoValue document, RegoValue schema) throws HostBuiltin.Undefined {
        try {
            Object doc = load(document);
            Compiled compiled = compile(load(schema));
            Result result = new Result();
            try {
                compiled.root.validateRecursive(compiled.root, doc, result, new Context(ROOT, null));
            } catch (StackOverflowError e) {
                // A schema that refers to itself without descending into the document ({"$ref": "#"}): Go
                // recurses until its stack limit and the whole opa process dies ("fatal error: stack overflow").
                throw new JsonBuiltins.NoAnswer("json.match_schema: the schema refers to itself endlessly; OPA's "
                        + "process dies on it");
            }
            List<RegoValue> errors = new ArrayList<>();
            for (ResultError e : result.errors) {
                errors.add(new RegoValue.Obj(List.of(new RegoValue.Str("desc"), new RegoValue.Str("error"),
                        new RegoValue.Str("field"), new RegoValue.Str("type")),
                        List.of(new RegoValue.Str(e.description), new RegoValue.Str(e.field() + ": " + e.description),
                                new RegoValue.Str(e.field()), new RegoValue.Str(e.type))));
            }
            return new RegoValue.Arr(List.of(new RegoValue.Bool(errors.isEmpty()), new RegoValue.Arr(List.copyOf(errors))));
        } catch (SchemaError e) {
            throw new HostBuiltin.Undefined(e.getMessage());
        }
    }

    // ================================================================== loading: ast.JSON, json.Marshal, decode

    /** {@code astValueToJSONSchemaLoader(...).LoadJSON()}. */
    static Object load(RegoValue value) throws SchemaError {
        if (value instanceof RegoValue.Str s) {
            Object parsed = GoJsonReader.read(s.value());
            if (parsed == GoJsonReader.INVALID) {
                throw new SchemaError("invalid JSON string");
            }
            return parsed;
        }
        if (value instanceof RegoValue.Obj || value instanceof RegoValue.Arr) {
            return fromRego(value);
        }
        throw new SchemaError("wrong type, expected string or object");
    }

    private static Object fromRego(RegoValue value) throws SchemaError {
        if (value instanceof RegoValue.Null) {
            return null;
        } else if (value instanceof RegoValue.Bool b) {
            return b.value();
        } else if (value instanceof RegoValue.Num n) {
            String text = n.text().isEmpty() ? "0" : n.text();
            if (!GoJsonReader.NUMBER.matcher(text).matches()) {
                throw new SchemaError("json: invalid number literal " + GoFormat.quote(text, false));
            }
            return new Num(text);
        } else if (value instanceof RegoValue.Str s) {
            return s.value();
        } else if (value instanceof RegoValue.Arr a) {
            List<Object> out = new ArrayList<>();
            for (RegoValue element : a.elements()) {
                out.add(fromRego(element));
            }
            return out;
        } else if (value instanceof RegoValue.RSet set) {
            List<RegoValue> sorted = new ArrayList<>(set.elements());
            sorted.sort(RegoValue::compare);
            List<Object> out = new ArrayList<>();
            for (RegoValue element : sorted) {
                out.add(fromRego(element));
            }
            return out;
        }
        RegoValue.Obj object = (RegoValue.Obj) value;
        Integer[] order = new Integer[object.keys().size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(object.keys()::get, RegoValue::compare));
        Map<String, Object> out = new TreeMap<>(UTF8_ORDER);
        for (int i : order) {
            RegoValue key = object.keys().get(i);
            String name;
            if (key instanceof RegoValue.Str s) {
                name = s.value();
            } else {
                try {
                    name = GoJsonEncoder.marshal(key);
                } catch (HostBuiltin.Undefined e) {
                    throw new SchemaError("json: invalid number literal");
                }
            }
            out.put(name, fromRego(object.values().get(i)));
        }
        return out;
    }

    // ================================================================== Go's encoding/json over these values

    /** {@code json.Marshal} of a document value (json.Number as its text, float64 as Go writes it). */
    static String marshal(Object value) {
        StringBuilder out = new StringBuilder();
        marshal(value, out);
        return out.toString();
    }

    private static void marshal(Object value, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Num n) {
            out.append(n.text());
        } else if (value instanceof Double d) {
            out.append(GoNumbers.formatJsonFloat(d));
        } else if (value instanceof String s) {
            GoJsonEncoder.string(s, out);
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                marshal(list.get(i), out);
            }
            out.append(']');
        } else {
            Map<?, ?> map = (Map<?, ?>) value;
            List<String> keys = new ArrayList<>();
            for (Object k : map.keySet()) {
                keys.add((String) k);
            }
            keys.sort(UTF8_ORDER);
            out.append('{');
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                GoJsonEncoder.string(keys.get(i), out);
                out.append(':');
                marshal(map.get(keys.get(i)), out);
            }
            out.append('}');
        }
    }

    /** gojsonschema's {@code marshalWithoutNumber}: numbers through float64, as {@code json.Unmarshal} reads them. */
    static String marshalWithoutNumber(Object value) throws SchemaError {
        return marshal(withoutNumbers(value));
    }

    private static Object withoutNumbers(Object value) throws SchemaError {
        if (value instanceof Num n) {
            double d = Double.parseDouble(n.text());
            if (Double.isInfinite(d)) {
                throw new SchemaError("json: cannot unmarshal number " + n.text() + " into Go value of type float64");
            }
            return d;
        } else if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object element : list) {
                out.add(withoutNumbers(element));
            }
            return out;
        } else if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new TreeMap<>(UTF8_ORDER);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put((String) e.getKey(), withoutNumbers(e.getValue()));
            }
            return out;
        }
        return value;
    }

    // ================================================================== references (gojsonreference, gojsonpointer)

    /** gojsonreference's {@code JsonReference}. */
    static final class Reference {
        final GoUrl.Url url;
        final List<String> pointer;
        final boolean hasFullUrl;
        final boolean hasFileScheme;
        final boolean hasFullFilePath;
        final boolean hasFragmentOnly;

        private Reference(GoUrl.Url url) {
            this.url = url;
            hasFullUrl = !url.scheme().isEmpty() && !url.host().isEmpty();
            hasFragmentOnly = !hasFullUrl && url.path().isEmpty() && url.rawQuery().isEmpty()
                    && !url.fragment().isEmpty();
            hasFileScheme = url.scheme().equals("file");
            hasFullFilePath = url.path().startsWith("/");
            // The pointer's error is ignored: a fragment that is not a JSON pointer points at the whole document.
            if (url.fragment().startsWith("/")) {
                pointer = List.of(url.fragment().substring(1).split("/", -1));
            } else {
                pointer = List.of();
            }
        }

        /** {@code NewJsonReference(s)} for a Java string. */
        static Reference of(String s) throws SchemaError {
            return ofBytes(GoTime.bytes(s));
        }

        static Reference ofBytes(String bytes) throws SchemaError {
            try {
                return new Reference(GoUrl.parse(bytes));
            } catch (HostBuiltin.Undefined e) {
                throw new SchemaError(e.getMessage());
            }
        }

        /** {@code String()}, as a Java string. */
        String text() {
            return GoUrl.utf8(url.toString());
        }

        boolean canonical() {
            return hasFileScheme && hasFullFilePath || !hasFileScheme && hasFullUrl;
        }

        Reference inherits(Reference child) throws SchemaError {
            return ofBytes(url.withoutFragment().resolveReference(child.url).toString());
        }

        Reference withoutFragment() throws SchemaError {
            return ofBytes(url.withoutFragment().toString());
        }

        /** gojsonpointer's {@code Get}. */
        Object get(Object document) throws SchemaError {
            Object node = document;
            for (String rawToken : pointer) {
                String token = GoUrl.utf8(rawToken);
                if (node instanceof Map<?, ?> map) {
                    String decoded = token.replace("~1", "/").replace("~0", "~");
                    if (!map.containsKey(decoded)) {
                        throw new SchemaError("Object has no key '" + decoded + "'");
                    }
                    node = map.get(decoded);
                } else if (node instanceof List<?> list) {
                    long index;
                    try {
                        index = GoNumbers.atoi(token);
                    } catch (NumberFormatException e) {
                        throw new SchemaError("Invalid array index '" + token + "'");
                    }
                    if (index < 0 || index >= list.size()) {
                        throw new SchemaError("Out of bound array[0," + list.size() + "] index '" + index + "'");
                    }
                    node = list.get((int) index);
                } else {
                    throw new SchemaError("Invalid token reference '" + token + "'");
                }
            }
            return node;
        }
    }

    private record PoolDocument(Object document, Integer draft) {
    }

    /** gojsonschema's {@code schemaPool}. */
    private static final class Pool {
        final Map<String, PoolDocument> documents = new HashMap<>();

        void parseReferences(Object document, Reference ref, boolean pooled) throws SchemaError {
            String reference = ref.text();
            if (pooled && documents.containsKey(reference)) {
                throw new SchemaError("Reference already exists: \"" + reference + "\"");
            }
            Integer draft = parseSchemaUrl(document).draft;
            SchemaError failure = null;
            try {
                parseReferencesRecursive(document, ref, draft);
            } catch (SchemaError e) {
                failure = e;
            }
            if (pooled) {
                documents.put(reference, new PoolDocument(document, draft));
            }
            if (failure != null) {
                throw failure;
            }
        }

        @SuppressWarnings("unchecked")
        private void parseReferencesRecursive(Object document, Reference ref, Integer draft) throws SchemaError {
            if (document instanceof List<?> list) {
                for (Object v : list) {
                    parseReferencesRecursive(v, ref, draft);
                }
            } else if (document instanceof Map<?, ?> raw) {
                Map<String, Object> m = (Map<String, Object>) raw;
                Reference localRef = ref;
                String keyId = m.containsKey("id") ? "id" : "$id";
                if (m.get(keyId) instanceof String value) {
                    try {
                        Reference id = Reference.of(value);
                        localRef = ref.inherits(id);
                        String key = localRef.text();
                        if (documents.containsKey(key)) {
                            throw new SchemaError("Reference already exists: \"" + key + "\"");
                        }
                        documents.put(key, new PoolDocument(document, draft));
                    } catch (SchemaError e) {
                        if (e.getMessage().startsWith("Reference already exists")) {
                            throw e;
                        }
                        localRef = ref; // Go ignores an id that does not parse
                    }
                }
                if (m.get("$ref") instanceof String s) {
                    try {
                        m.put("$ref", localRef.inherits(Reference.of(s)).text());
                    } catch (SchemaError e) {
                        // Go leaves a $ref that does not parse as it is
                    }
                }
                for (Map.Entry<String, Object> e : new ArrayList<>(m.entrySet())) {
                    String k = e.getKey();
                    if (k.equals("const") || k.equals("enum")) {
                        continue;
                    }
                    if (k.equals("properties") || k.equals("dependencies") || k.equals("patternProperties")) {
                        if (e.getValue() instanceof Map<?, ?> child) {
                            for (Object v : child.values()) {
                                parseReferencesRecursive(v, localRef, draft);
                            }
                        }
                    } else {
                        parseReferencesRecursive(e.getValue(), localRef, draft);
                    }
                }
            }
        }

        PoolDocument getDocument(Reference reference) throws SchemaError {
            Reference refToUrl = Reference.ofBytes(reference.url.toString());
            PoolDocument spd = documents.get(refToUrl.text());
            if (spd != null) {
                return spd;
            }
            Reference withoutFragment = refToUrl.withoutFragment();
            PoolDocument cached = documents.get(withoutFragment.text());
            if (cached != null) {
                Object document = reference.get(cached.document);
                spd = new PoolDocument(document, cached.draft);
                documents.put(reference.text(), spd);
                return spd;
            }
            if (!reference.canonical()) {
                throw new SchemaError("Reference " + reference.text() + " must be canonical");
            }
            Object document = loadRemote(reference);
            parseReferences(document, withoutFragment, true);
            Integer draft = parseSchemaUrlQuietly(document);
            return new PoolDocument(reference.get(document), draft);
        }

        private static Object loadRemote(Reference reference) throws SchemaError {
            if (reference.hasFileScheme) {
                throw new JsonBuiltins.NoAnswer("json schema $ref " + reference.text()
                        + ": OPA reads it from its own file system; the embedded engine never does");
            }
            String metaSchema = MetaSchemas.forUrl(GoUrl.utf8(reference.url.withoutFragment().toString()));
            if (metaSchema != null) {
                return GoJsonReader.read(metaSchema);
            }
            throw new JsonBuiltins.NoAnswer("json schema $ref " + reference.text()
                    + ": OPA fetches it over the network; the embedded engine never does");
        }
    }

    private record SchemaUrl(String url, Integer draft) {
    }

    /** {@code parseSchemaURL}: the {@code $schema} of a document and the draft it names. */
    private static SchemaUrl parseSchemaUrl(Object document) throws SchemaError {
        if (document instanceof Boolean) {
            return new SchemaUrl("", null);
        }
        if (!(document instanceof Map<?, ?> m)) {
            throw new SchemaError("schema is invalid");
        }
        if (m.containsKey("$schema")) {
            if (!(m.get("$schema") instanceof String s)) {
                throw new SchemaError("$schema must be of type string");
            }
            String url = Reference.of(s).text();
            return new SchemaUrl(url, MetaSchemas.draft(url));
        }
        return new SchemaUrl("", null);
    }

    private static Integer parseSchemaUrlQuietly(Object document) {
        try {
            return parseSchemaUrl(document).draft;
        } catch (SchemaError e) {
            return null;
        }
    }

    // ================================================================== compiling (schema.go)

    private record Compiled(SubSchema root) {
    }

    /** {@code SchemaLoader.Compile} of a loaded document (string or Go loader: reference "#", i.e. ""). */
    private static Compiled compile(Object document) throws SchemaError {
        Parser parser = new Parser();
        Reference ref = Reference.of("#");
        parser.documentReference = ref;
        parser.pool.parseReferences(document, ref, true);
        int draft = HYBRID;
        Integer detected = parseSchemaUrl(document).draft;
        if (detected != null) {
            draft = detected;
        }
        SubSchema root = new SubSchema();
        root.property = ROOT;
        root.draft = draft;
        parser.root = root;
        parser.parseSchema(document, root);
        return new Compiled(root);
    }

    private static final class Parser {
        final Pool pool = new Pool();
        final Map<String, SubSchema> referencePool = new HashMap<>();
        Reference documentReference;
        SubSchema root;

        private static SchemaError invalidType(String expected, String given) {
            return new SchemaError("Invalid type. Expected: " + expected + ", given: " + given);
        }

        private static String getString(Map<String, Object> m, String key) throws SchemaError {
            if (!m.containsKey(key)) {
                return null;
            }
            if (!(m.get(key) instanceof String s)) {
                throw invalidType("string", key);
            }
            return s;
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> getMap(Map<String, Object> m, String key) throws SchemaError {
            if (!m.containsKey(key)) {
                return null;
            }
            if (!(m.get(key) instanceof Map<?, ?> map)) {
                throw invalidType(VALID_SCHEMA, key);
            }
            return (Map<String, Object>) map;
        }

        private static List<?> getSlice(Map<String, Object> m, String key) throws SchemaError {
            if (!m.containsKey(key)) {
                return null;
            }
            if (!(m.get(key) instanceof List<?> list)) {
                throw new SchemaError(key + " must be of an array");
            }
            return list;
        }

        private static SubSchema child(String property, SubSchema parent, boolean inheritRef) {
            SubSchema s = new SubSchema();
            s.property = property;
            s.parent = parent;
            if (inheritRef) {
                s.ref = parent.ref;
            }
            return s;
        }

        @SuppressWarnings("unchecked")
        void parseSchema(Object documentNode, SubSchema current) throws SchemaError {
            if (current.draft == null) {
                current.draft = current.parent.draft;
            }
            if (current.draft >= DRAFT6 && documentNode instanceof Boolean b) {
                current.pass = b;
                return;
            }
            if (!(documentNode instanceof Map<?, ?> raw)) {
                throw new SchemaError("Expected: " + VALID_SCHEMA + ", given: Invalid JSON");
            }
            Map<String, Object> m = (Map<String, Object>) raw;
            if (current.parent == null) {
                current.ref = documentReference;
                current.id = documentReference;
            }
            if (current.id == null && current.parent != null) {
                current.id = current.parent.id;
            }
            String keyId = switch (current.draft) {
                case DRAFT4 -> "id";
                case HYBRID -> m.containsKey("id") ? "id" : "$id";
                default -> "$id";
            };
            String id = getString(m, keyId);
            if (id != null) {
                Reference reference = Reference.of(id);
                current.id = current == root ? reference : current.parent.id.inherits(reference);
            }
            if (m.containsKey("definitions")) {
                if (!(m.get("definitions") instanceof Map<?, ?> definitions)) {
                    throw invalidType("Array Of Schemas", "definitions");
                }
                for (Object dv : sortedValues(definitions)) {
                    if (!(dv instanceof Boolean || dv instanceof Map)) {
                        throw invalidType("Array Of Schemas", "definitions");
                    }
                    parseSchema(dv, child("definitions", current, false));
                }
            }
            getString(m, "title");
            getString(m, "description");
            String refText = getString(m, "$ref");
            if (refText != null) {
                current.ref = Reference.of(refText);
                SubSchema known = referencePool.get(current.ref.text());
                if (known != null) {
                    current.refSchema = known;
                } else {
                    parseReference(current);
                    return;
                }
            }
            if (m.containsKey("type")) {
                Object type = m.get("type");
                if (type instanceof String t) {
                    current.addType(t);
                } else if (type instanceof List<?> list) {
                    for (Object t : list) {
                        if (!(t instanceof String s)) {
                            throw invalidType("type", "string/Array Of Strings"); // sic: Go passes them swapped
                        }
                        current.addType(s);
                    }
                } else {
                    throw invalidType("type", "string/Array Of Strings"); // sic: Go passes them swapped
                }
            }
            if (m.containsKey("properties")) {
                if (!(m.get("properties") instanceof Map<?, ?> properties)) {
                    throw new SchemaError("Properties must be of type object");
                }
                for (String k : sortedKeys(properties)) {
                    SubSchema property = child(k, current, true);
                    current.propertiesChildren.add(property);
                    parseSchema(properties.get(k), property);
                }
            }
            if (m.containsKey("additionalProperties")) {
                Object ap = m.get("additionalProperties");
                if (ap instanceof Boolean b) {
                    current.additionalProperties = b;
                } else if (ap instanceof Map) {
                    SubSchema s = child("additionalProperties", current, true);
                    current.additionalProperties = s;
                    parseSchema(ap, s);
                } else {
                    throw invalidType("boolean/" + VALID_SCHEMA, "additionalProperties");
                }
            }
            Map<String, Object> patternProperties = getMap(m, "patternProperties");
            if (patternProperties != null && !patternProperties.isEmpty()) {
                current.patternProperties = new LinkedHashMap<>();
                for (String k : sortedKeys(patternProperties)) {
                    com.google.re2j.Pattern compiled = SchemaRegexp.compile(k);
                    if (compiled == null) {
                        throw new SchemaError("Invalid regex pattern '" + k + "'");
                    }
                    SubSchema s = child(k, current, true);
                    parseSchema(patternProperties.get(k), s);
                    current.patternProperties.put(k, s);
                    current.patternRegexps.put(k, compiled);
                }
            }
            if (m.containsKey("propertyNames") && current.draft >= DRAFT6) {
                Object pn = m.get("propertyNames");
                if (pn instanceof Boolean || pn instanceof Map) {
                    SubSchema s = child("propertyNames", current, true);
                    current.propertyNames = s;
                    parseSchema(pn, s);
                } else {
                    throw invalidType(VALID_SCHEMA, "patternProperties");
                }
            }
            if (m.containsKey("dependencies")) {
                if (!(m.get("dependencies") instanceof Map<?, ?> dependencies)) {
                    throw new SchemaError("dependencies must be of type object");
                }
                current.dependencies = new LinkedHashMap<>();
                for (String k : sortedKeys(dependencies)) {
                    Object v = dependencies.get(k);
                    if (v instanceof List<?> values) {
                        List<String> register = new ArrayList<>();
                        for (Object value : values) {
                            if (!(value instanceof String s)) {
                                throw new SchemaError("Dependency must be of type Schema Or Array Of Strings");
                            }
                            register.add(s);
                            current.dependencies.put(k, List.copyOf(register));
                        }
                    } else if (v instanceof Boolean || v instanceof Map) {
                        SubSchema s = child(k, current, true);
                        parseSchema(v, s);
                        current.dependencies.put(k, s);
                    } else {
                        throw new SchemaError("Dependency must be of type Schema Or Array Of Strings");
                    }
                }
            }
            if (m.containsKey("items")) {
                Object items = m.get("items");
                if (items instanceof List<?> list) {
                    for (Object element : list) {
                        if (!(element instanceof Map || element instanceof Boolean)) {
                            throw invalidType(VALID_SCHEMA + "/Array Of Schemas", "items");
                        }
                        SubSchema s = child("items", current, true);
                        current.itemsChildren.add(s);
                        parseSchema(element, s);
                        current.itemsChildrenIsSingleSchema = false;
                    }
                } else if (items instanceof Map || items instanceof Boolean) {
                    SubSchema s = child("items", current, true);
                    current.itemsChildren.add(s);
                    parseSchema(items, s);
                    current.itemsChildrenIsSingleSchema = true;
                } else {
                    throw invalidType(VALID_SCHEMA + "/Array Of Schemas", "items");
                }
            }
            if (m.containsKey("additionalItems")) {
                Object ai = m.get("additionalItems");
                if (ai instanceof Boolean b) {
                    current.additionalItems = b;
                } else if (ai instanceof Map) {
                    SubSchema s = child("additionalItems", current, true);
                    current.additionalItems = s;
                    parseSchema(ai, s);
                } else {
                    throw invalidType("boolean/" + VALID_SCHEMA, "additionalItems");
                }
            }
            if (m.containsKey("multipleOf")) {
                BigRat value = BigRat.of(m.get("multipleOf"));
                if (value == null) {
                    throw invalidType("Number", "multipleOf");
                }
                if (value.signum() <= 0) {
                    throw new SchemaError("multipleOf must be strictly greater than 0");
                }
                current.multipleOf = value;
            }
            if (m.containsKey("minimum")) {
                current.minimum = BigRat.of(m.get("minimum"));
                if (current.minimum == null) {
                    throw new SchemaError("minimum must be of a Number");
                }
            }
            if (m.containsKey("exclusiveMinimum")) {
                Object v = m.get("exclusiveMinimum");
                switch (current.draft) {
                    case DRAFT4 -> {
                        if (!(v instanceof Boolean b)) {
                            throw invalidType("boolean", "exclusiveMinimum");
                        }
                        if (current.minimum == null) {
                            throw new SchemaError("exclusiveMinimum cannot be used without minimum");
                        }
                        if (b) {
                            current.exclusiveMinimum = current.minimum;
                            current.minimum = null;
                        }
                    }
                    case HYBRID -> {
                        if (v instanceof Boolean b) {
                            if (current.minimum == null) {
                                throw new SchemaError("exclusiveMinimum cannot be used without minimum");
                            }
                            if (b) {
                                current.exclusiveMinimum = current.minimum;
                                current.minimum = null;
                            }
                        } else if (v instanceof Num) {
                            current.exclusiveMinimum = BigRat.of(v);
                        } else {
                            throw invalidType("boolean/number", "exclusiveMinimum");
                        }
                    }
                    default -> {
                        if (!(v instanceof Num)) {
                            throw invalidType("number", "exclusiveMinimum");
                        }
                        current.exclusiveMinimum = BigRat.of(v);
                    }
                }
            }
            if (m.containsKey("maximum")) {
                current.maximum = BigRat.of(m.get("maximum"));
                if (current.maximum == null) {
                    throw new SchemaError("maximum must be of a Number");
                }
            }
            if (m.containsKey("exclusiveMaximum")) {
                Object v = m.get("exclusiveMaximum");
                switch (current.draft) {
                    case DRAFT4 -> {
                        if (!(v instanceof Boolean b)) {
                            throw invalidType("boolean", "exclusiveMaximum");
                        }
                        if (current.maximum == null) {
                            throw new SchemaError("exclusiveMaximum cannot be used without maximum");
                        }
                        if (b) {
                            current.exclusiveMaximum = current.maximum;
                            current.maximum = null;
                        }
                    }
                    case HYBRID -> {
                        if (v instanceof Boolean b) {
                            if (current.maximum == null) {
                                throw new SchemaError("exclusiveMaximum cannot be used without maximum");
                            }
                            if (b) {
                                current.exclusiveMaximum = current.maximum;
                                current.maximum = null;
                            }
                        } else if (v instanceof Num) {
                            current.exclusiveMaximum = BigRat.of(v);
                        } else {
                            throw invalidType("boolean/number", "exclusiveMaximum");
                        }
                    }
                    default -> {
                        if (!(v instanceof Num)) {
                            throw invalidType("number", "exclusiveMaximum");
                        }
                        current.exclusiveMaximum = BigRat.of(v);
                    }
                }
            }
            current.minLength = nonNegativeInteger(m, "minLength");
            current.maxLength = nonNegativeInteger(m, "maxLength");
            if (current.minLength != null && current.maxLength != null && current.minLength > current.maxLength) {
                throw new SchemaError("minLength cannot be greater than maxLength");
            }
            String pattern = getString(m, "pattern");
            if (pattern != null) {
                current.pattern = SchemaRegexp.compile(pattern);
                if (current.pattern == null) {
                    throw new SchemaError("pattern must be a valid regex");
                }
                current.patternText = pattern;
            }
            String format = getString(m, "format");
            if (format != null) {
                current.format = format;
            }
            current.minProperties = nonNegativeInteger(m, "minProperties");
            current.maxProperties = nonNegativeInteger(m, "maxProperties");
            if (current.minProperties != null && current.maxProperties != null
                    && current.minProperties > current.maxProperties) {
                throw new SchemaError("minProperties cannot be greater than maxProperties");
            }
            List<?> required = getSlice(m, "required");
            if (required != null) {
                for (Object r : required) {
                    if (!(r instanceof String s)) {
                        throw invalidType("string", "required");
                    }
                    if (current.required.contains(s)) {
                        throw new SchemaError("required items must be unique");
                    }
                    current.required.add(s);
                }
            }
            current.minItems = nonNegativeInteger(m, "minItems");
            current.maxItems = nonNegativeInteger(m, "maxItems");
            if (m.containsKey("uniqueItems")) {
                if (!(m.get("uniqueItems") instanceof Boolean b)) {
                    throw new SchemaError("uniqueItems must be of a boolean");
                }
                current.uniqueItems = b;
            }
            if (m.containsKey("contains") && current.draft >= DRAFT6) {
                SubSchema s = child("contains", current, true);
                current.contains = s;
                parseSchema(m.get("contains"), s);
            }
            if (m.containsKey("const") && current.draft >= DRAFT6) {
                current.constValue = marshalWithoutNumber(m.get("const"));
            }
            List<?> enumValues = getSlice(m, "enum");
            if (enumValues != null) {
                current.enumValues = new ArrayList<>();
                for (Object v : enumValues) {
                    String text = marshalWithoutNumber(v);
                    if (current.enumValues.contains(text)) {
                        throw new SchemaError("enum items must be unique");
                    }
                    current.enumValues.add(text);
                }
            }
            parseList(m, "oneOf", current, current.oneOf);
            parseList(m, "anyOf", current, current.anyOf);
            parseList(m, "allOf", current, current.allOf);
            if (m.containsKey("not")) {
                Object not = m.get("not");
                if (!(not instanceof Boolean || not instanceof Map)) {
                    throw new SchemaError("not must be of an object");
                }
                current.not = child("not", current, true);
                parseSchema(not, current.not);
            }
            if (current.draft >= DRAFT7) {
                current.ifSchema = conditional(m, "if", current);
                current.thenSchema = conditional(m, "then", current);
                current.elseSchema = conditional(m, "else", current);
            }
        }

        private SubSchema conditional(Map<String, Object> m, String key, SubSchema current) throws SchemaError {
            if (!m.containsKey(key)) {
                return null;
            }
            Object v = m.get(key);
            if (!(v instanceof Boolean || v instanceof Map)) {
                throw new SchemaError(key + " must be of an object");
            }
            SubSchema s = child(key, current, true);
            parseSchema(v, s);
            return s;
        }

        private void parseList(Map<String, Object> m, String key, SubSchema current, List<SubSchema> into)
                throws SchemaError {
            List<?> list = getSlice(m, key);
            if (list == null) {
                return;
            }
            for (Object v : list) {
                SubSchema s = child(key, current, true);
                into.add(s);
                parseSchema(v, s);
            }
        }

        private static Integer nonNegativeInteger(Map<String, Object> m, String key) throws SchemaError {
            if (!m.containsKey(key)) {
                return null;
            }
            Object v = m.get(key);
            Long value = null;
            if (v instanceof Num n) {
                BigRat rat = BigRat.of(n);
                if (rat != null && rat.isInt()) {
                    try {
                        value = GoNumbers.parseInt64(n.text());
                    } catch (NumberFormatException e) {
                        value = null;
                    }
                }
            }
            if (value == null) {
                throw new SchemaError(key + " must be of an integer");
            }
            if (value < 0) {
                throw new SchemaError(key + " must be greater than or equal to 0");
            }
            // Go keeps it as an int (64 bits); comparisons below use long semantics via Integer only when it fits.
            return value > Integer.MAX_VALUE ? Integer.MAX_VALUE : value.intValue();
        }

        private void parseReference(SubSchema current) throws SchemaError {
            SubSchema schema = child("$ref", current, true);
            referencePool.putIfAbsent(current.ref.text(), schema);
            PoolDocument dsp = pool.getDocument(current.ref);
            schema.id = current.ref;
            schema.draft = dsp.draft;
            if (!(dsp.document instanceof Boolean || dsp.document instanceof Map)) {
                throw new SchemaError(VALID_SCHEMA + " must be of type object");
            }
            parseSchema(dsp.document, schema);
            current.refSchema = schema;
        }
    }

    private static List<String> sortedKeys(Map<?, ?> map) {
        List<String> keys = new ArrayList<>();
        for (Object k : map.keySet()) {
            keys.add((String) k);
        }
        keys.sort(UTF8_ORDER);
        return keys;
    }

    private static List<Object> sortedValues(Map<?, ?> map) {
        List<Object> values = new ArrayList<>();
        for (String k : sortedKeys(map)) {
            values.add(map.get(k));
        }
        return values;
    }

    // ================================================================== validating (validation.go)

    /** A validation error (ResultErrorFields). */
    private static final class ResultError {
        final String type;
        final Context context;
        final String description;

        ResultError(String type, Context context, String description) {
            this.type = type;
            this.context = context;
            this.description = description;
        }

        String field() {
            return context.field();
        }
    }

    private static final class Result {
        final List<ResultError> errors = new ArrayList<>();
        int score;

        boolean valid() {
            return errors.isEmpty();
        }

        /** {@code addInternalError}. */
        void add(String type, Context context, String description) {
            errors.add(new ResultError(type, context, description));
            score -= 2;
        }

        void merge(Result other) {
            errors.addAll(other.errors);
            score += other.score;
        }
    }

    /** gojsonschema's {@code JSONContext}: a path from the root, written with dots. */
    private record Context(String head, Context tail) {
        String text() {
            return tail == null ? head : tail.text() + "." + head;
        }

        String field() {
            String c = text();
            return c.startsWith(ROOT + ".") ? c.substring(ROOT.length() + 1) : c;
        }
    }

    private static final class SubSchema {
        Integer draft;
        Reference id;
        String property;
        Boolean pass;
        final List<String> types = new ArrayList<>();
        Reference ref;
        SubSchema refSchema;
        SubSchema parent;
        final List<SubSchema> itemsChildren = new ArrayList<>();
        boolean itemsChildrenIsSingleSchema;
        final List<SubSchema> propertiesChildren = new ArrayList<>();
        BigRat multipleOf;
        BigRat maximum;
        BigRat exclusiveMaximum;
        BigRat minimum;
        BigRat exclusiveMinimum;
        Integer minLength;
        Integer maxLength;
        com.google.re2j.Pattern pattern;
        String patternText;
        String format = "";
        Integer minProperties;
        Integer maxProperties;
        final List<String> required = new ArrayList<>();
        Map<String, Object> dependencies;
        Object additionalProperties;
        Map<String, SubSchema> patternProperties;
        final Map<String, com.google.re2j.Pattern> patternRegexps = new HashMap<>();
        SubSchema propertyNames;
        Integer minItems;
        Integer maxItems;
        boolean uniqueItems;
        SubSchema contains;
        Object additionalItems;
        String constValue;
        List<String> enumValues;
        final List<SubSchema> oneOf = new ArrayList<>();
        final List<SubSchema> anyOf = new ArrayList<>();
        final List<SubSchema> allOf = new ArrayList<>();
        SubSchema not;
        SubSchema ifSchema;
        SubSchema thenSchema;
        SubSchema elseSchema;

        void addType(String type) throws SchemaError {
            if (!JSON_TYPES.contains(type)) {
                throw new SchemaError("has a primitive type that is NOT VALID -- given: /" + type
                        + "/ Expected valid values are:[" + String.join(" ", JSON_TYPES) + "]");
            }
            if (types.contains(type)) {
                throw new SchemaError(type + " type is duplicated");
            }
            types.add(type);
        }

        private String typesText() {
            if (types.isEmpty()) {
                return "Undefined";
            }
            return types.size() > 1 ? "[" + String.join(",", types) + "]" : types.get(0);
        }

        private Result subValidate(Object document, Context context) {
            Result result = new Result();
            validateRecursive(this, document, result, context);
            return result;
        }

        private static void error(Result result, String type, Context context, String description) {
            result.add(type, context, description);
        }

        void validateRecursive(SubSchema current, Object node, Result result, Context context) {
            if (current.pass != null) {
                if (!current.pass) {
                    error(result, "false", context, "False always fails validation");
                }
                return;
            }
            if (current.refSchema != null) {
                validateRecursive(current.refSchema, node, result, context);
                return;
            }
            boolean typed = !current.types.isEmpty();
            if (node == null) {
                if (typed && !current.types.contains("null")) {
                    invalidType(result, current, context, "null");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateCommon(node, result, context);
            } else if (node instanceof Num number) {
                BigRat rat = BigRat.of(number);
                boolean isInt = rat != null && rat.isInt();
                boolean validType = current.types.contains("number") || isInt && current.types.contains("integer");
                if (typed && !validType) {
                    invalidType(result, current, context, isInt ? "integer" : "number");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateNumber(number, result, context);
                current.validateCommon(node, result, context);
            } else if (node instanceof List<?> list) {
                if (typed && !current.types.contains("array")) {
                    invalidType(result, current, context, "array");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateArray(list, result, context);
                current.validateCommon(node, result, context);
            } else if (node instanceof Map<?, ?> map) {
                if (typed && !current.types.contains("object")) {
                    invalidType(result, current, context, "object");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateObject(map, result, context);
                current.validateCommon(node, result, context);
                for (SubSchema property : current.propertiesChildren) {
                    if (map.containsKey(property.property)) {
                        validateRecursive(property, map.get(property.property), result,
                                new Context(property.property, context));
                    }
                }
            } else if (node instanceof Boolean) {
                if (typed && !current.types.contains("boolean")) {
                    invalidType(result, current, context, "boolean");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateCommon(node, result, context);
            } else if (node instanceof String s) {
                if (typed && !current.types.contains("string")) {
                    invalidType(result, current, context, "string");
                    return;
                }
                current.validateSchema(node, result, context);
                current.validateCommon(node, result, context);
                current.validateString(s, result, context);
            }
            result.score++;
        }

        private static void invalidType(Result result, SubSchema current, Context context, String given) {
            error(result, "invalid_type", context, "Invalid type. Expected: " + current.typesText() + ", given: "
                    + given);
        }

        private void validateSchema(Object node, Result result, Context context) {
            if (!anyOf.isEmpty()) {
                boolean validated = false;
                Result best = null;
                for (SubSchema s : anyOf) {
                    if (!validated) {
                        Result r = s.subValidate(node, context);
                        validated = r.valid();
                        if (!validated && (best == null || r.score > best.score)) {
                            best = r;
                        }
                    }
                }
                if (!validated) {
                    error(result, "number_any_of", context, "Must validate at least one schema (anyOf)");
                    if (best != null) {
                        result.merge(best);
                    }
                }
            }
            if (!oneOf.isEmpty()) {
                int validated = 0;
                Result best = null;
                for (SubSchema s : oneOf) {
                    Result r = s.subValidate(node, context);
                    if (r.valid()) {
                        validated++;
                    } else if (validated == 0 && (best == null || r.score > best.score)) {
                        best = r;
                    }
                }
                if (validated != 1) {
                    error(result, "number_one_of", context, "Must validate one and only one schema (oneOf)");
                    if (validated == 0) {
                        result.merge(best);
                    }
                }
            }
            if (!allOf.isEmpty()) {
                int validated = 0;
                for (SubSchema s : allOf) {
                    Result r = s.subValidate(node, context);
                    if (r.valid()) {
                        validated++;
                    }
                    result.merge(r);
                }
                if (validated != allOf.size()) {
                    error(result, "number_all_of", context, "Must validate all the schemas (allOf)");
                }
            }
            if (not != null && not.subValidate(node, context).valid()) {
                error(result, "number_not", context, "Must not validate the schema (not)");
            }
            if (dependencies != null && !dependencies.isEmpty() && node instanceof Map<?, ?> map) {
                for (String key : sortedKeys(map)) {
                    Object dependency = dependencies.get(key);
                    if (dependency instanceof List<?> keys) {
                        for (Object dependOn : keys) {
                            if (!map.containsKey(dependOn)) {
                                error(result, "missing_dependency", context, "Has a dependency on " + dependOn);
                            }
                        }
                    } else if (dependency instanceof SubSchema s) {
                        s.validateRecursive(s, node, result, context);
                    }
                }
            }
            if (ifSchema != null) {
                boolean ifValid = ifSchema.subValidate(node, context).valid();
                if (thenSchema != null && ifValid) {
                    Result r = thenSchema.subValidate(node, context);
                    if (!r.valid()) {
                        error(result, "condition_then", context, "Must validate \"then\" as \"if\" was valid");
                        result.merge(r);
                    }
                }
                if (elseSchema != null && !ifValid) {
                    Result r = elseSchema.subValidate(node, context);
                    if (!r.valid()) {
                        error(result, "condition_else", context, "Must validate \"else\" as \"if\" was not valid");
                        result.merge(r);
                    }
                }
            }
            result.score++;
        }

        private static String withoutNumber(Object value) {
            try {
                return marshalWithoutNumber(value);
            } catch (SchemaError e) {
                // Go adds an internal error, then dereferences the nil result: a panic.
                throw new JsonPatch.OpaPanic("json.match_schema: " + e.getMessage());
            }
        }

        private void validateCommon(Object value, Result result, Context context) {
            if (constValue != null) {
                if (!withoutNumber(value).equals(constValue)) {
                    error(result, "const", context, context.field() + " does not match: " + constValue);
                }
            }
            if (enumValues != null) {
                if (!enumValues.contains(withoutNumber(value))) {
                    error(result, "enum", context, context.field() + " must be one of the following: "
                            + String.join(", ", enumValues));
                }
            }
            if (!format.isEmpty() && !JsonSchemaFormats.isFormat(format, value)) {
                error(result, "format", context, "Does not match format '" + format + "'");
            }
            result.score++;
        }

        private void validateArray(List<?> value, Result result, Context context) {
            int n = value.size();
            if (itemsChildrenIsSingleSchema) {
                for (int i = 0; i < n; i++) {
                    result.merge(itemsChildren.get(0).subValidate(value.get(i), new Context(Integer.toString(i),
                            context)));
                }
            } else if (!itemsChildren.isEmpty()) {
                int items = itemsChildren.size();
                for (int i = 0; i != items && i != n; i++) {
                    result.merge(itemsChildren.get(i).subValidate(value.get(i), new Context(Integer.toString(i),
                            context)));
                }
                if (items < n) {
                    if (additionalItems instanceof Boolean b) {
                        if (!b) {
                            error(result, "array_no_additional_items", context, "No additional items allowed on array");
                        }
                    } else if (additionalItems instanceof SubSchema s) {
                        for (int i = items; i != n; i++) {
                            result.merge(s.subValidate(value.get(i), new Context(Integer.toString(i), context)));
                        }
                    }
                }
            }
            if (minItems != null && n < minItems) {
                error(result, "array_min_items", context, "Array must have at least " + minItems + " items");
            }
            if (maxItems != null && n > maxItems) {
                error(result, "array_max_items", context, "Array must have at most " + maxItems + " items");
            }
            if (uniqueItems) {
                Map<String, Integer> seen = new HashMap<>();
                for (int j = 0; j < n; j++) {
                    String text = withoutNumber(value.get(j));
                    Integer i = seen.get(text);
                    if (i != null) {
                        error(result, "unique", context, "array items[" + i + "," + j + "] must be unique");
                    }
                    seen.put(text, j);
                }
            }
            if (contains != null) {
                boolean validatedOne = false;
                Result best = null;
                for (int i = 0; i < n; i++) {
                    Result r = contains.subValidate(value.get(i), new Context(Integer.toString(i), context));
                    if (r.valid()) {
                        validatedOne = true;
                        break;
                    }
                    if (best == null || r.score > best.score) {
                        best = r;
                    }
                }
                if (!validatedOne) {
                    error(result, "contains", context, "At least one of the items must match");
                    if (best != null) {
                        result.merge(best);
                    }
                }
            }
            result.score++;
        }

        private void validateObject(Map<?, ?> value, Result result, Context context) {
            if (minProperties != null && value.size() < minProperties) {
                error(result, "array_min_properties", context, "Must have at least " + minProperties + " properties");
            }
            if (maxProperties != null && value.size() > maxProperties) {
                error(result, "array_max_properties", context, "Must have at most " + maxProperties + " properties");
            }
            for (String property : required) {
                if (value.containsKey(property)) {
                    result.score++;
                } else {
                    error(result, "required", context, property + " is required");
                }
            }
            for (String pk : sortedKeys(value)) {
                boolean found = false;
                for (SubSchema s : propertiesChildren) {
                    if (pk.equals(s.property)) {
                        found = true;
                    }
                }
                boolean ppMatch = validatePatternProperty(pk, value.get(pk), result, context);
                if (!found && !ppMatch) {
                    if (additionalProperties instanceof Boolean b) {
                        if (!b) {
                            error(result, "additional_property_not_allowed", context, "Additional property " + pk
                                    + " is not allowed");
                        }
                    } else if (additionalProperties instanceof SubSchema ap) {
                        result.merge(ap.subValidate(value.get(pk), new Context(pk, context)));
                    }
                }
            }
            if (propertyNames != null) {
                for (String pk : sortedKeys(value)) {
                    Result r = propertyNames.subValidate(pk, context);
                    if (!r.valid()) {
                        error(result, "invalid_property_name", context, "Property name of \"" + pk
                                + "\" does not match");
                        result.merge(r);
                    }
                }
            }
            result.score++;
        }

        private boolean validatePatternProperty(String key, Object value, Result result, Context context) {
            if (patternProperties == null) {
                return false;
            }
            boolean validated = false;
            for (Map.Entry<String, SubSchema> e : patternProperties.entrySet()) {
                if (patternRegexps.get(e.getKey()).matcher(key).find()) {
                    validated = true;
                    result.merge(e.getValue().subValidate(value, new Context(key, context)));
                }
            }
            if (!validated) {
                return false;
            }
            result.score++;
            return true;
        }

        private void validateString(String value, Result result, Context context) {
            int runes = value.codePointCount(0, value.length());
            if (minLength != null && runes < minLength) {
                error(result, "string_gte", context, "String length must be greater than or equal to " + minLength);
            }
            if (maxLength != null && runes > maxLength) {
                error(result, "string_lte", context, "String length must be less than or equal to " + maxLength);
            }
            if (pattern != null && !pattern.matcher(value).find()) {
                error(result, "pattern", context, "Does not match pattern '" + patternText + "'");
            }
            result.score++;
        }

        private void validateNumber(Num number, Result result, Context context) {
            BigRat value = BigRat.of(number);
            if (multipleOf != null && !value.divide(multipleOf).isInt()) {
                error(result, "multiple_of", context, "Must be a multiple of " + multipleOf.goFloatText());
            }
            if (maximum != null && value.compareTo(maximum) == 1) {
                error(result, "number_lte", context, "Must be less than or equal to " + maximum.goFloatText());
            }
            if (exclusiveMaximum != null && value.compareTo(exclusiveMaximum) >= 0) {
                error(result, "number_lt", context, "Must be less than " + exclusiveMaximum.goFloatText());
            }
            if (minimum != null && value.compareTo(minimum) == -1) {
                error(result, "number_gte", context, "Must be greater than or equal to " + minimum.goFloatText());
            }
            if (exclusiveMinimum != null && value.compareTo(exclusiveMinimum) <= 0) {
                error(result, "number_gt", context, "Must be greater than " + exclusiveMinimum.goFloatText());
            }
            result.score++;
        }
    }

    // ================================================================== big.Rat and big.Float's %v

    /** An exact rational (Go's {@code big.Rat}), from a JSON number's text. */
    static final class BigRat {
        final BigInteger num;
        final BigInteger den;

        private BigRat(BigInteger num, BigInteger den) {
            BigInteger g = num.gcd(den);
            if (g.signum() == 0) {
                g = BigInteger.ONE;
            }
            BigInteger n = num.divide(g);
            BigInteger d = den.divide(g);
            if (d.signum() < 0) {
                n = n.negate();
                d = d.negate();
            }
            this.num = n;
            this.den = d;
        }

        /** {@code mustBeNumber}: a json.Number, else null. */
        static BigRat of(Object value) {
            if (!(value instanceof Num n)) {
                return null;
            }
            try {
                BigDecimal d = new BigDecimal(n.text());
                if (d.scale() > 0) {
                    return new BigRat(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
                }
                return new BigRat(d.unscaledValue().multiply(BigInteger.TEN.pow(-d.scale())), BigInteger.ONE);
            } catch (NumberFormatException | ArithmeticException e) {
                return null;
            }
        }

        int signum() {
            return num.signum();
        }

        boolean isInt() {
            return den.equals(BigInteger.ONE);
        }

        BigRat divide(BigRat other) {
            return new BigRat(num.multiply(other.den), den.multiply(other.num));
        }

        int compareTo(BigRat other) {
            return num.multiply(other.den).compareTo(other.num.multiply(den));
        }

        /** {@code fmt.Sprint(new(big.Float).SetRat(r))}: rounded to max(64, bit lengths) bits, shortest %g. */
        String goFloatText() {
            int prec = Math.max(64, Math.max(num.abs().bitLength(), den.bitLength()));
            return GoNumbers.shortestG(num, den, prec);
        }
    }

    // ================================================================== the draft meta-schemas

    /** The meta-schemas gojsonschema carries for drafts 4, 6 and 7 (resources of this package). */
    static final class MetaSchemas {
        private static final Map<String, Integer> DRAFTS = Map.of(
                "http://json-schema.org/draft-04/schema", DRAFT4,
                "http://json-schema.org/draft-06/schema", DRAFT6,
                "http://json-schema.org/draft-07/schema", DRAFT7);

        private MetaSchemas() {
        }

        static Integer draft(String url) {
            return DRAFTS.get(url);
        }

        static String forUrl(String url) {
            Integer draft = DRAFTS.get(url);
            if (draft == null) {
                return null;
            }
            try (var in = JsonSchema.class.getResourceAsStream("json-schema-draft-0" + draft + ".json")) {
                if (in == null) {
                    throw new IllegalStateException("missing meta-schema resource for draft " + draft);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot read the meta-schema for draft " + draft, e);
            }
        }
    }
}
