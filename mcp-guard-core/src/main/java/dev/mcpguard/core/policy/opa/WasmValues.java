package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.styra.opa.wasm.OpaWasm;
import java.nio.charset.StandardCharsets;

/**
 * Moves values between a policy instance's wasm memory and host builtins, without opa-java-wasm's helpers
 * (they size buffers by UTF-16 length and read with Jackson, which loses set literals and exact number text).
 * Reading uses {@code opa_value_dump} (sets, non-string keys and numbers as the module holds them); writing
 * hands ASCII-only JSON to {@code opa_json_parse}. Stateless and thread-safe; an instance is used by one thread.
 */
final class WasmValues {

    /**
     * Non-ASCII written as UTF-8, not escaped: the module's JSON parser decodes an escaped surrogate pair wrongly
     * (U+20000 becomes U+10000).
     */
    private static final ObjectWriter JSON = new ObjectMapper().writer();

    private WasmValues() {
    }

    /** The value at {@code address} in the instance's memory. */
    static RegoValue read(OpaWasm instance, int address) {
        int dump = instance.exports().opaValueDump(address);
        try {
            return RegoValue.parse(instance.memory().readCString(dump, StandardCharsets.UTF_8));
        } finally {
            instance.exports().opaFree(dump);
        }
    }

    /** Writes {@code text} as a Rego string into the instance's memory; returns its value address. */
    static int writeString(OpaWasm instance, String text) {
        try {
            return writeJson(instance, JSON.writeValueAsString(LoneSurrogates.replace(text)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string could not be encoded as JSON", e);
        }
    }

    /** Writes {@code value} (sets and non-string keys included) into the instance's memory; returns its address. */
    static int writeValue(OpaWasm instance, RegoValue value) {
        byte[] bytes = value.valueText().getBytes(StandardCharsets.UTF_8);
        int address = instance.exports().opaMalloc(bytes.length + 1);
        instance.memory().write(address, bytes);
        instance.memory().writeByte(address + bytes.length, (byte) 0);
        int parsed = instance.exports().opaValueParse(address, bytes.length);
        instance.exports().opaFree(address);
        if (parsed == 0) {
            throw new IllegalStateException("the policy module could not parse a builtin's result");
        }
        return parsed;
    }

    /** Parses {@code json} (UTF-8 beyond ASCII) into the instance's memory; returns its value address. */
    static int writeJson(OpaWasm instance, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        int address = instance.exports().opaMalloc(bytes.length + 1);
        instance.memory().write(address, bytes);
        instance.memory().writeByte(address + bytes.length, (byte) 0);
        int value = instance.exports().opaJsonParse(address, bytes.length);
        instance.exports().opaFree(address);
        if (value == 0) {
            throw new IllegalStateException("the policy module could not parse a builtin's result");
        }
        return value;
    }
}
