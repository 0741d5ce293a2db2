package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
                .expression("json.match_schema#sorted", 2,
                        "[json.match_schema($1, $2)[0], sort(json.match_schema($1, $2)[1])]");
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

    /** Adds the sorted probe, and the raw one when the embedded engine itself sees at most one error. */
    private static void call(BuiltinProbes probes, String document, String schema, Random random) {
        // Documents and schemas as text, or as values (objects and arrays), at random.
        Object doc = random.nextBoolean() ? document : value(document);
        Object sch = random.nextBoolean() ? schema : value(schema);
        probes.call("json.match_schema#sorted", doc, sch);
        try {
            RegoValue result = JsonSchema.match(new RegoValue.Str(document), new RegoValue.Str(schema));
            if (((RegoValue.Arr) ((RegoValue.Arr) result).elements().get(1)).elements().size() <= 1) {
                probes.call("json.match_schema", doc, sch);
            }
        } catch (HostBuiltin.Undefined | RuntimeException e) {
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
                Map.entry("regex", List.of("", "a+", "(", "(?=x)", "\\d{2,}", "[[:alpha:]]", "(?P<n>x)", "a{1001}")),
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

    static List<String> all() {
        List<String> all = new ArrayList<>(SCHEMAS);
        all.addAll(DOCUMENTS);
        return all;
    }
}
