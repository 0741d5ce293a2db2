package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code json.verify_schema} and {@code json.match_schema} decide as the real {@code opa} does, error texts
 * included. OPA reports the errors of different properties in Go's random map order, so every match is also
 * compared with its errors sorted; the errors as listed are compared where there is at most one.
 */
class JsonSchemaBuiltinsProbeTest {

    /** Schemas as JSON text (so numbers keep their text on both sides). */
    static final List<String> SCHEMAS = List.of(
            "{}", "true", "false", "{\"type\":\"string\"}", "{\"type\":[\"string\",\"null\"]}",
            "{\"type\":\"integer\"}", "{\"type\":\"number\"}", "{\"type\":\"object\"}", "{\"type\":\"array\"}",
            "{\"type\":\"boolean\"}", "{\"type\":\"null\"}",
            "{\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":3},\"b\":{\"type\":\"integer\",\"maximum\":1000000}},"
                    + "\"required\":[\"c\"]}",
            "{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}",
            "{\"additionalProperties\":{\"type\":\"integer\"}}",
            "{\"patternProperties\":{\"^x\":{\"type\":\"string\"},\"[0-9]$\":{\"maximum\":3}}}",
            "{\"propertyNames\":{\"maxLength\":2}}", "{\"propertyNames\":{\"pattern\":\"^[a-z]+$\"}}",
            "{\"dependencies\":{\"a\":[\"b\",\"c\"],\"b\":{\"required\":[\"d\"]}}}",
            "{\"minProperties\":2,\"maxProperties\":3}",
            "{\"items\":{\"type\":\"integer\"},\"minItems\":2,\"maxItems\":4,\"uniqueItems\":true}",
            "{\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}],\"additionalItems\":false}",
            "{\"items\":[{\"type\":\"integer\"}],\"additionalItems\":{\"type\":\"string\"}}",
            "{\"contains\":{\"type\":\"string\"}}", "{\"contains\":{\"minimum\":5}}",
            "{\"minLength\":2,\"maxLength\":4}", "{\"pattern\":\"^[a-c]+$\"}", "{\"pattern\":\"é|😀\"}",
            "{\"minimum\":1e6}", "{\"maximum\":1234567}", "{\"maximum\":0.00001}", "{\"exclusiveMinimum\":0.5}",
            "{\"exclusiveMaximum\":100}", "{\"minimum\":1,\"exclusiveMinimum\":true}",
            "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"maximum\":10,\"exclusiveMaximum\":true}",
            "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"exclusiveMaximum\":10}",
            "{\"multipleOf\":0.1}", "{\"multipleOf\":3}", "{\"multipleOf\":0.01,\"maximum\":12345678901234567890}",
            "{\"enum\":[1,\"a\",null,{\"k\":[1,2]},\"<b>\"]}", "{\"enum\":[1.0,2.5]}", "{\"const\":{\"a\":1}}",
            "{\"const\":\"x&y\"}", "{\"const\":12345678901234567890}",
            "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":3}]}", "{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":3}]}",
            "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":3}]}", "{\"not\":{\"type\":\"string\"}}",
            "{\"if\":{\"type\":\"integer\"},\"then\":{\"minimum\":10},\"else\":{\"type\":\"string\"}}",
            "{\"definitions\":{\"pos\":{\"type\":\"integer\",\"minimum\":1}},\"properties\":{\"n\":{\"$ref\":\"#/definitions/pos\"}}}",
            "{\"$id\":\"http://example.com/root.json\",\"definitions\":{\"s\":{\"type\":\"string\"}},"
                    + "\"items\":{\"$ref\":\"#/definitions/s\"}}",
            "{\"type\":\"object\",\"properties\":{\"child\":{\"$ref\":\"#\"},\"v\":{\"type\":\"integer\"}}}",
            "{\"definitions\":{\"a b\":{\"const\":1},\"x/y\":{\"const\":2}},\"anyOf\":[{\"$ref\":\"#/definitions/a%20b\"},"
                    + "{\"$ref\":\"#/definitions/x~1y\"}]}",
            "{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}",
            "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"properties\":{\"a\":{\"type\":\"string\"}}}",
            "{\"format\":\"email\"}", "{\"format\":\"date-time\"}", "{\"format\":\"ipv4\"}", "{\"format\":\"uri\"}",
            "{\"properties\":{\"a\":{\"properties\":{\"b\":{\"items\":{\"type\":\"string\"}}}}}}",
            "{\"type\":\"object\",\"required\":[\"a\",\"b\"],\"properties\":{\"a\":{\"enum\":[\"x\"]}}}",
            "{\"anyOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"],\"properties\":{\"b\":{\"type\":\"string\"}}}]}",
            "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"string\",\"minLength\":2}]}");

    /** Documents as JSON text. */
    static final List<String> DOCUMENTS = List.of("null", "true", "false", "0", "1", "2", "3", "5", "10", "-3",
            "1.5", "0.3", "1000001", "12345678901234567890", "\"\"", "\"ab\"", "\"abc\"", "\"abcdef\"", "\"é😀\"",
            "\"x\"", "\"<b>\"", "[]", "[1]", "[1,2]", "[1,2,2]", "[1,\"a\"]", "[1,\"a\",\"b\"]", "[1,2,3,4,5]",
            "[\"a\",\"b\"]", "{}", "{\"a\":1}", "{\"a\":\"x\",\"b\":2000000.5}", "{\"a\":\"xyz\",\"b\":5,\"c\":1}",
            "{\"x1\":\"s\",\"x5\":2,\"y\":1}", "{\"ab\":1,\"abc\":2}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}",
            "{\"n\":0}", "{\"n\":5}", "{\"child\":{\"child\":{\"v\":\"x\"}},\"v\":1}", "{\"k\":[1,2]}",
            "{\"a\":{\"b\":[\"x\",1]}}", "{\"b\":1}");

    @Test
    void matchSchemaMatchesOpaOnSchemasAndDocuments() {
        BuiltinProbes probes = new BuiltinProbes().builtin("json.match_schema", 2)
                .template("json.match_schema#sorted", 2,
                        "[json.match_schema(@0, @1)[0], sort(json.match_schema(@0, @1)[1])]");
        Random random = new Random(11_2032L);
        for (String schema : SCHEMAS) {
            for (int i = 0; i < 9; i++) {
                String document = DOCUMENTS.get(random.nextInt(DOCUMENTS.size()));
                call(probes, document, schema, random);
            }
        }
        for (String document : DOCUMENTS) {
            call(probes, document, SCHEMAS.get(11), random);
        }
        // How Go prints numbers in messages: big.Float's %v (bounds, multipleOf), float64 JSON (enum, const).
        for (String n : List.of("0.1", "123456.789", "1e21", "1e-7", "100", "999999", "1000000", "-5.5",
                "18446744073709551616", "0.000123", "1.5e300", "3.0", "0", "-0", "7e-5", "123456789012345678",
                "0.30000000000000004", "2.5E+3")) {
            probes.call("json.match_schema", "1e301", "{\"maximum\":" + n + "}")
                    .call("json.match_schema", "-1e301", "{\"minimum\":" + n + "}")
                    .call("json.match_schema", "1e301", "{\"exclusiveMaximum\":" + n + "}")
                    .call("json.match_schema", "0.7777", "{\"multipleOf\":" + n + "}")
                    .call("json.match_schema", "\"no\"", "{\"enum\":[" + n + ", \"x\"]}")
                    .call("json.match_schema", "[" + n + "," + n + "]", "{\"uniqueItems\":true}")
                    .call("json.match_schema", "\"no\"", "{\"const\":" + n + "}");
        }
        // Operands that are not JSON, or not a string, object or array: undefined.
        for (Object bad : List.of(1, true, BuiltinProbes.set("a"), "{", "[1,]", "{} {}", "01")) {
            probes.call("json.match_schema", bad, "{}").call("json.match_schema", "{}", bad);
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.match_schema#sorted")).isGreaterThanOrEqualTo(500);
    }

    /** Schemas on which OPA's process dies: never sent to the shared opa server (see the no-answer test). */
    static final List<String> CRASHING = List.of("{\"$ref\":\"#\"}", "{\"$ref\":\"#foo\",\"type\":\"integer\"}");

    /**
     * Adds the sorted probe, and the raw one when the embedded engine itself sees at most one error. A case on
     * which the embedded engine gives no answer must be one of {@link #CRASHING}, and is not sent to opa.
     */
    private static void call(BuiltinProbes probes, String document, String schema, Random random) {
        // Documents and schemas as text, or as values (objects and arrays), at random.
        Object doc = random.nextBoolean() ? document : value(document);
        Object sch = random.nextBoolean() ? schema : value(schema);
        boolean raw;
        try {
            RegoValue result = JsonSchema.match(new RegoValue.Str(document), new RegoValue.Str(schema));
            raw = ((RegoValue.Arr) ((RegoValue.Arr) result).elements().get(1)).elements().size() <= 1;
        } catch (JsonBuiltins.NoAnswer e) {
            assertThat(CRASHING).as("no answer on %s", schema).contains(schema);
            return;
        } catch (HostBuiltin.Undefined e) {
            raw = true;
        }
        probes.call("json.match_schema#sorted", doc, sch);
        if (raw) {
            probes.call("json.match_schema", doc, sch);
        }
    }

    /** JSON text as a probe operand value; numbers that Jackson would rewrite stay text. */
    private static Object value(String json) {
        if (json.matches(".*[0-9][eE][0-9+-].*") || json.matches(".*[0-9]{17,}.*")) {
            return json;
        }
        try {
            JsonNode node = BuiltinProbes.MAPPER.readTree(json);
            return node.isObject() || node.isArray() ? node : json;
        } catch (java.io.IOException e) {
            return json;
        }
    }

    @Test
    void verifySchemaMatchesOpaOnValidAndInvalidSchemas() {
        List<String> invalid = List.of("[]", "1", "\"x\"", "null", "{\"type\":\"strin\"}", "{\"type\":[\"string\",\"string\"]}",
                "{\"type\":1}", "{\"type\":[1]}", "{\"properties\":1}", "{\"properties\":{\"a\":1}}",
                "{\"additionalProperties\":1}", "{\"patternProperties\":{\"(\":{}}}", "{\"patternProperties\":1}",
                "{\"propertyNames\":1}", "{\"dependencies\":1}", "{\"dependencies\":{\"a\":[1]}}",
                "{\"dependencies\":{\"a\":1}}", "{\"items\":1}", "{\"items\":[1]}", "{\"additionalItems\":1}",
                "{\"multipleOf\":0}", "{\"multipleOf\":-1}", "{\"multipleOf\":\"x\"}", "{\"minimum\":\"x\"}",
                "{\"maximum\":null}", "{\"exclusiveMinimum\":true}", "{\"exclusiveMinimum\":\"x\"}",
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"exclusiveMinimum\":1}",
                "{\"$schema\":\"http://json-schema.org/draft-06/schema#\",\"exclusiveMaximum\":true}",
                "{\"exclusiveMaximum\":false}", "{\"minLength\":-1}", "{\"minLength\":1.5}", "{\"minLength\":1.0}",
                "{\"maxLength\":\"1\"}", "{\"minLength\":5,\"maxLength\":2}", "{\"pattern\":\"(?=x)\"}",
                "{\"pattern\":1}", "{\"pattern\":\"(a{1000}){1000}\"}", "{\"format\":1}", "{\"minProperties\":-2}",
                "{\"minProperties\":3,\"maxProperties\":1}", "{\"required\":\"a\"}", "{\"required\":[1]}",
                "{\"required\":[\"a\",\"a\"]}", "{\"minItems\":1e2}", "{\"maxItems\":-1}", "{\"uniqueItems\":1}",
                "{\"contains\":1}", "{\"enum\":1}", "{\"enum\":[1,1.0]}", "{\"enum\":[1e400]}", "{\"const\":1e400}",
                "{\"oneOf\":{}}", "{\"anyOf\":[1]}", "{\"allOf\":[{\"type\":\"x\"}]}", "{\"not\":1}", "{\"if\":1}",
                "{\"then\":\"x\"}", "{\"else\":[]}", "{\"definitions\":1}", "{\"definitions\":{\"a\":1}}",
                "{\"title\":1}", "{\"description\":[]}", "{\"$id\":1}", "{\"id\":1}", "{\"$ref\":1}",
                "{\"$schema\":1}", "{\"$ref\":\"#/definitions/x\"}", "{\"$ref\":\"#/items/5\"}",
                "{\"$ref\":\"other.json\"}", "{\"$ref\":\"%zz\"}", "{\"$ref\":\"#/definitions/a\",\"definitions\":{\"a\":1}}",
                "{\"$id\":\"http://x.com/a\",\"definitions\":{\"b\":{\"$id\":\"http://x.com/a\"}}}",
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"items\":true}", "{\"$ref\":\"#foo\"}",
                "{", "{\"a\":}", "[1,]", "{} x", "\"\\ud800\"");
        BuiltinProbes probes = new BuiltinProbes().builtin("json.verify_schema", 1);
        for (String schema : SCHEMAS) {
            probes.call("json.verify_schema", schema).call("json.verify_schema", value(schema));
        }
        for (String schema : invalid) {
            probes.call("json.verify_schema", schema).call("json.verify_schema", value(schema));
        }
        for (Object bad : List.of(1, true, BuiltinProbes.set("a"), List.of(), Map.of())) {
            probes.call("json.verify_schema", bad);
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.verify_schema")).isGreaterThanOrEqualTo(250);
    }

    @Test
    void formatsMatchOpa() {
        Map<String, List<String>> samples = Map.ofEntries(
                Map.entry("email", List.of("a@b.c", "a@b", "a.b@c.d", ".a@b", "a..b@c", "a@b..c", "\"a b\"@c",
                        "\"\"@c", "John <j@x.org>", "<j@x.org>", "j@x.org (John)", "a@[1.2.3.4]", "a@[1.2.3.999]",
                        "a@[::1]", "a", "@b", "a@", "a b@c", "é@ü.de", "g: a@b.c;", "g: ;", "g: a@b, c@d;",
                        "=?utf-8?q?J=C3=B6rg?= <j@x.org>", "=?koi8-r?q?x?= <j@x.org>", "a@b (=?koi8-r?q?x?=)",
                        "a@b (c", "\"unclosed@x", "a@b.c.", "a@-b.c", "(comment) a@b.c", "a@b.c (c) d")),
                Map.entry("date-time", List.of("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00",
                        "2024-01-02", "03:04:05", "03:04:05+01:00", "2024-13-02", "2024-02-30T00:00:00Z",
                        "2024-01-02 03:04:05Z", "9999-12-31T23:59:59Z", "2024-01-02T03:04:05", "24:00:00", "x")),
                Map.entry("date", List.of("2024-01-02", "2024-1-2", "0000-01-01", "2024-02-29", "2023-02-29", "")),
                Map.entry("time", List.of("03:04:05", "03:04:05Z", "03:04:05-07:00", "3:04:05", "03:04", "03:04:60")),
                Map.entry("hostname", List.of("a", "a.b", "a-b.c", "-a.b", "a_b", "a..b", "a.", "x".repeat(64),
                        "x".repeat(63), "é.de", "a\n", String.join(".", java.util.Collections.nCopies(128, "a")))),
                Map.entry("ipv4", List.of("1.2.3.4", "01.2.3.4", "256.1.1.1", "1.2.3", "::ffff:1.2.3.4", "1.2.3.4 ")),
                Map.entry("ipv6", List.of("::1", "::", "1:2:3:4:5:6:7:8", "1::2::3", "fe80::1%eth0", "::ffff:1.2.3.4",
                        "1:2:3:4:5:6:7:8:9", "12345::", "1.2.3.4")),
                Map.entry("uri", List.of("http://x", "http://x/a b", "x:y", "/a", "a", "http://[::1]:80/", "http://x:y",
                        "http://a\\b", "mailto:a@b", "http://x/%zz", "http://x/%41", "://x", "http://us er@x",
                        "http://[1.2.3.4]/", "http://x#frag", "HTTP://X")),
                Map.entry("uri-reference", List.of("", "/a", "a:b/c", "a/b:c", "#f", "?q", "%", "//x:1")),
                Map.entry("uri-template", List.of("/a/{b}", "/a/{b", "/a/}b", "http://x/{a}{b}", "/%7Ba")),
                Map.entry("uuid", List.of("123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
                        "123e4567e89b12d3a456426614174000", "g23e4567-e89b-12d3-a456-426614174000")),
                Map.entry("regex", List.of("", "a+", "(", "(?=x)", "\\d{2,}", "[[:alpha:]]", "(?P<n>x)", "a{1001}",
                        "(?<n>x)", "(a{1000}){1000}", "((a{10}){10}){10}", "((a{10}){10}){11}", "(?i)x{2}{3}",
                        "(?:a{500}){2}", "(?:a{500}){3}", "[a-\\d]", "\\pL+", "\\p{Greek}", "\\z\\A", "\\Z",
                        "(" .repeat(999) + "a" + ")".repeat(999), "(".repeat(1000) + "a" + ")".repeat(1000))),
                Map.entry("json-pointer", List.of("", "/", "/a/b", "a", "/a~2", "/a~0~1", "/é\n")),
                Map.entry("relative-json-pointer", List.of("0", "1#", "01", "2/a", "1/a~", "-1", "0/")),
                Map.entry("unknown-format", List.of("anything")));
        BuiltinProbes probes = new BuiltinProbes().builtin("json.match_schema", 2);
        for (Map.Entry<String, List<String>> e : samples.entrySet()) {
            String schema = "{\"format\":" + BuiltinProbes.MAPPER.valueToTree(e.getKey()) + "}";
            for (String sample : e.getValue()) {
                probes.call("json.match_schema", BuiltinProbes.MAPPER.valueToTree(sample).toString(), schema);
            }
            probes.call("json.match_schema", "5", schema);
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.match_schema")).isGreaterThanOrEqualTo(150);
    }

    /** Keyword fragments that random schemas are made of (each a valid "key":value). */
    private static final List<String> KEYWORDS = List.of("\"type\":\"string\"", "\"type\":\"integer\"",
            "\"type\":[\"object\",\"array\"]", "\"minLength\":2", "\"maxLength\":3", "\"pattern\":\"b\"",
            "\"minimum\":2", "\"maximum\":4.5", "\"multipleOf\":2", "\"required\":[\"a\",\"b\"]",
            "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"minLength\":2},\"é\":false}",
            "\"additionalProperties\":false", "\"additionalProperties\":{\"type\":\"string\"}",
            "\"patternProperties\":{\"^a\":{\"minimum\":3},\"b\":{\"type\":\"string\"}}",
            "\"propertyNames\":{\"maxLength\":1}", "\"minProperties\":2", "\"maxProperties\":1",
            "\"dependencies\":{\"a\":[\"b\"],\"b\":{\"properties\":{\"a\":{\"const\":1}}}}",
            "\"items\":{\"type\":\"integer\"}", "\"items\":[{\"type\":\"string\"},true,false]",
            "\"additionalItems\":{\"type\":\"boolean\"}", "\"minItems\":2", "\"maxItems\":2",
            "\"uniqueItems\":true", "\"contains\":{\"type\":\"integer\",\"minimum\":3}",
            "\"enum\":[1,\"ab\",[1,2],{\"a\":1}]", "\"const\":\"ab\"", "\"format\":\"ipv4\"",
            "\"anyOf\":[{\"type\":\"string\",\"minLength\":3},{\"type\":\"integer\",\"maximum\":1}]",
            "\"oneOf\":[{\"minimum\":1},{\"multipleOf\":3}]", "\"allOf\":[{\"minimum\":1},{\"maximum\":5}]",
            "\"not\":{\"enum\":[2]}", "\"if\":{\"minimum\":3},\"then\":{\"multipleOf\":2},\"else\":{\"maximum\":0}}",
            "\"definitions\":{\"d\":{\"type\":\"integer\"}}", "\"title\":\"t\",\"description\":\"d\"");

    private static String randomSchema(Random random, int depth) {
        StringBuilder schema = new StringBuilder("{");
        int n = 1 + random.nextInt(3);
        java.util.Set<String> used = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            String keyword = KEYWORDS.get(random.nextInt(KEYWORDS.size()));
            String key = keyword.substring(0, keyword.indexOf(':'));
            if (!used.add(key)) {
                continue;
            }
            schema.append(schema.length() > 1 ? "," : "").append(keyword);
        }
        if (depth > 0 && random.nextInt(3) == 0 && used.add("\"properties\"")) {
            schema.append(",\"properties\":{\"a\":").append(randomSchema(random, depth - 1)).append(",\"c\":")
                    .append(randomSchema(random, depth - 1)).append('}');
        }
        if (depth > 0 && random.nextInt(4) == 0 && used.add("\"anyOf\"")) {
            schema.append(",\"anyOf\":[").append(randomSchema(random, depth - 1)).append(',')
                    .append(randomSchema(random, depth - 1)).append(']');
        }
        return schema.append('}').toString();
    }

    private static String randomDocument(Random random, int depth) {
        return switch (random.nextInt(depth > 0 ? 9 : 6)) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Integer.toString(random.nextInt(9) - 2);
            case 3 -> random.nextBoolean() ? "4.5" : "1.0";
            case 4 -> List.of("\"\"", "\"a\"", "\"ab\"", "\"abc\"", "\"1.2.3.4\"", "\"é\"").get(random.nextInt(6));
            case 5 -> "[]";
            case 6 -> {
                StringBuilder a = new StringBuilder("[");
                for (int i = 0, n = random.nextInt(4); i < n; i++) {
                    a.append(i > 0 ? "," : "").append(randomDocument(random, depth - 1));
                }
                yield a.append(']').toString();
            }
            default -> {
                StringBuilder o = new StringBuilder("{");
                List<String> keys = new ArrayList<>(List.of("a", "b", "c", "é", "ab"));
                java.util.Collections.shuffle(keys, random);
                for (int i = 0, n = random.nextInt(4); i < n; i++) {
                    o.append(i > 0 ? "," : "").append('"').append(keys.get(i)).append("\":")
                            .append(randomDocument(random, depth - 1));
                }
                yield o.append('}').toString();
            }
        };
    }

    @Test
    void matchSchemaMatchesOpaOnRandomSchemasAndDocuments() {
        BuiltinProbes probes = new BuiltinProbes().builtin("json.match_schema", 2)
                .template("json.match_schema#sorted", 2,
                        "[json.match_schema(@0, @1)[0], sort(json.match_schema(@0, @1)[1])]")
                .builtin("json.verify_schema", 1);
        Random random = new Random(11_2033L);
        for (int i = 0; i < 400; i++) {
            String schema = randomSchema(random, 2);
            String document = randomDocument(random, 2);
            call(probes, document, schema, random);
            if (i % 4 == 0) {
                probes.call("json.verify_schema", schema);
            }
        }
        // References: ids, pointers with escapes, recursion, draft-4 ids, a $ref beside other keywords.
        List<String> references = List.of(
                "{\"$id\":\"http://x.org/root\",\"definitions\":{\"a\":{\"$id\":\"http://x.org/a\",\"type\":\"string\"}},"
                        + "\"$ref\":\"http://x.org/a\"}",
                "{\"$id\":\"http://x.org/dir/root.json\",\"definitions\":{\"a\":{\"$id\":\"a.json\",\"minimum\":3}},"
                        + "\"items\":{\"$ref\":\"a.json\"}}",
                "{\"id\":\"http://x.org/r\",\"definitions\":{\"é\":{\"maxLength\":1}},\"$ref\":\"#/definitions/%C3%A9\"}",
                "{\"definitions\":{\"é\":{\"maxLength\":1}},\"$ref\":\"#/definitions/é\"}",
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"id\":\"http://x.org/d4\","
                        + "\"definitions\":{\"p\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":\"#/definitions/p\"}}}",
                "{\"$ref\":\"#/definitions/p\",\"type\":\"x\",\"definitions\":{\"p\":{\"type\":\"integer\"}}}",
                "{\"properties\":{\"a\":{\"$ref\":\"#/properties/b\"},\"b\":{\"type\":\"string\"}}}",
                "{\"items\":[{\"type\":\"string\"},{\"$ref\":\"#/items/0\"}]}",
                "{\"anyOf\":[{\"$ref\":\"#/definitions/n\"},{\"type\":\"string\"}],\"definitions\":{\"n\":{\"type\":\"null\"}}}",
                "{\"$ref\":\"#\"}", "{\"$ref\":\"#foo\",\"type\":\"integer\"}",
                "{\"$id\":\"http://x.org/a#frag\",\"minimum\":2}", "{\"$id\":\"urn:x:y\",\"minimum\":2}",
                "{\"$ref\":\"http://json-schema.org/draft-04/schema#/definitions/positiveInteger\"}",
                "{\"$ref\":\"http://json-schema.org/draft-06/schema#\"}");
        for (String schema : references) {
            probes.call("json.verify_schema", schema);
            for (String document : List.of("\"s\"", "5", "1", "[\"a\",\"b\"]", "[\"a\",1]", "{\"a\":1}",
                    "{\"a\":\"x\",\"b\":\"y\"}", "null", "-1", "{\"type\":\"q\"}", "\"éé\"")) {
                call(probes, document, schema, random);
            }
        }
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("json.match_schema#sorted")).isGreaterThanOrEqualTo(500);
    }

    /**
     * Where OPA gives no answer, the embedded evaluation fails: a document number beyond float64 checked against
     * {@code enum}, {@code const} or {@code uniqueItems} (Go dereferences a nil result: panic), a schema that refers
     * to itself without descending (Go overflows its stack: the whole process dies), each checked in a fresh
     * {@code opa eval}; and a {@code $ref} that OPA would fetch over HTTP or read from its file system (not run
     * against opa: its answer depends on the network and the host's files).
     */
    @Test
    void schemaBuiltinsFailTheEvaluationWhereOpaGivesNoAnswer(@TempDir Path work) throws Exception {
        BuiltinProbes probes = new BuiltinProbes().builtin("json.match_schema", 2).builtin("json.verify_schema", 1);
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("probe.rego"), probes.module());
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        List<List<Object>> crashing = List.of(List.of("1e400", "{\"enum\":[1]}"), List.of("1e400", "{\"const\":1}"),
                List.of("[1e400]", "{\"uniqueItems\":true}"), List.of("1", CRASHING.get(0)),
                List.of("{}", CRASHING.get(1)));
        List<List<Object>> outside = List.of(List.of("1", "{\"$ref\":\"http://127.0.0.1:9/schema.json\"}"),
                List.of("1", "{\"$ref\":\"file:///etc/hostname\"}"),
                List.of("1", "{\"$id\":\"http://x.org/a\",\"$ref\":\"b.json\"}"));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            int i = 0;
            for (List<Object> c : crashing) {
                ObjectNode input = BuiltinProbes.NODES.objectNode().put("f", "json.match_schema");
                input.set("args", BuiltinProbes.MAPPER.valueToTree(c));
                Path file = work.resolve("input-" + i++ + ".json");
                Files.writeString(file, input.toString());
                assertThatThrownBy(() -> OpaBinary.run(work, List.of("eval", "-d", src.toString(), "-i",
                        file.toString(), "data.probe.out"))).as("opa on %s", input)
                        .hasMessageMatching("(?s).*(panic: |fatal error: stack overflow).*");
                assertThatThrownBy(() -> embedded.evaluate(input)).as("embedded on %s", input)
                        .isInstanceOf(JsonBuiltins.NoAnswer.class);
            }
            for (List<Object> c : outside) {
                ObjectNode match = BuiltinProbes.NODES.objectNode().put("f", "json.match_schema");
                match.set("args", BuiltinProbes.MAPPER.valueToTree(c));
                assertThatThrownBy(() -> embedded.evaluate(match)).as("embedded on %s", match)
                        .isInstanceOf(JsonBuiltins.NoAnswer.class);
                ObjectNode verify = BuiltinProbes.NODES.objectNode().put("f", "json.verify_schema");
                verify.set("args", BuiltinProbes.MAPPER.valueToTree(List.of(c.get(1))));
                assertThatThrownBy(() -> embedded.evaluate(verify)).as("embedded on %s", verify)
                        .isInstanceOf(JsonBuiltins.NoAnswer.class);
            }
        }
    }
}
