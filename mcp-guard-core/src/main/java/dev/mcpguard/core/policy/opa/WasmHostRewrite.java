package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.NameCustomSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rewrites an OPA wasm module so that builtins OPA compiled into it are computed by the host instead: the body of
 * each such builtin's runtime function ({@code opa_arith_plus} for {@code plus}) is replaced by a call of the ABI's
 * host dispatch import ({@code opa_builtin2(id, ctx, a, b)} for two operands), and the {@code builtins} export,
 * which tells the host which builtin each id stands for, is replaced by one that returns the module's own mapping
 * plus the new ids. Nothing else changes: no function is added, removed or renumbered, so every other call,
 * table entry, export and the name section stay valid, and every caller of a rewritten function, the policy's
 * code and the runtime's own functions alike, now gets the host's answer.
 *
 * <p>The rewrite reads the module's structure (imports, exports, types, function names) with Chicory's parser and
 * edits only the code section's bytes. It refuses, with a {@link BundleException} naming what is wrong, a module
 * whose dispatch imports, {@code builtins}/{@code opa_malloc}/{@code opa_json_parse}/{@code opa_free} exports or
 * runtime function signatures are not what {@code opa build -t wasm} writes. Thread-safe (stateless).
 */
final class WasmHostRewrite {

    private static final int CODE_SECTION = 10;
    private static final int MAX_OPERANDS = 4;

    private static final byte I32_CONST = 0x41;
    private static final byte LOCAL_GET = 0x20;
    private static final byte LOCAL_SET = 0x21;
    private static final byte CALL = 0x10;
    private static final byte END = 0x0b;
    private static final byte I32_STORE = 0x36;
    private static final byte I32_STORE8 = 0x3a;
    private static final byte I32 = 0x7f;

    private WasmHostRewrite() {
    }

    /** The rewritten module, and the builtin name to id mapping its {@code builtins} export now returns. */
    record Rewritten(byte[] wasm, Map<String, Integer> mapping) {
    }

    /**
     * Rewrites {@code wasm} so that each runtime function of {@code runtimeFunctions} (builtin name to runtime
     * function name) present in the module calls the host builtin of that name; {@code mapping} is the module's
     * own {@code builtins} export (name to id). Returns {@code wasm} itself when none is present.
     *
     * @throws BundleException when the module is not shaped as {@code opa build} writes modules
     */
    static Rewritten rewrite(byte[] wasm, Map<String, Integer> mapping, Map<String, String> runtimeFunctions)
            throws BundleException {
        WasmModule module;
        try {
            module = Parser.parse(wasm);
        } catch (RuntimeException e) {
            throw new BundleException("policy.wasm is not a valid wasm module: " + e.getClass().getSimpleName(), e);
        }
        NameCustomSection names = module.nameSection();
        if (names == null) {
            throw new BundleException("policy.wasm has no name section; build it with opa build -t wasm");
        }
        int imported = module.importSection().count(ExternalType.FUNCTION);
        int defined = module.functionSection().functionCount();
        Map<String, Integer> byName = new HashMap<>();
        for (int index = imported; index < imported + defined; index++) {
            String name = names.nameOfFunction(index);
            if (name != null) {
                byName.putIfAbsent(name, index);
            }
        }
        Map<String, Integer> targets = new TreeMap<>();
        for (Map.Entry<String, String> entry : runtimeFunctions.entrySet()) {
            Integer index = byName.get(entry.getValue());
            if (index != null) {
                targets.put(entry.getKey(), index);
            }
        }
        if (targets.isEmpty()) {
            return new Rewritten(wasm, mapping);
        }

        int[] dispatch = dispatchImports(module);
        int nextId = mapping.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        Map<String, Integer> newMapping = new LinkedHashMap<>(mapping);
        Map<Integer, byte[]> bodies = new HashMap<>();
        for (Map.Entry<String, Integer> target : targets.entrySet()) {
            String builtin = target.getKey();
            if (newMapping.containsKey(builtin)) {
                throw new BundleException("policy.wasm both compiles in and imports builtin " + builtin);
            }
            int index = target.getValue();
            FunctionType type = functionType(module, index - imported);
            int operands = type.params().size();
            if (operands > MAX_OPERANDS || !allI32(type.params()) || !type.returns().equals(List.of(ValType.I32))) {
                throw new BundleException("policy.wasm's " + runtimeFunctions.get(builtin)
                        + " does not take and return values as opa build writes it: " + type);
            }
            int id = nextId++;
            newMapping.put(builtin, id);
            bodies.put(index - imported, dispatchBody(id, operands, dispatch[operands]));
        }
        List<ValType> value = List.of(ValType.I32);
        int builtinsExport = exportedFunction(module, "builtins", List.of(), value, imported);
        int malloc = exportedFunction(module, "opa_malloc", value, value, imported);
        int parse = exportedFunction(module, "opa_json_parse", List.of(ValType.I32, ValType.I32), value, imported);
        int free = exportedFunction(module, "opa_free", value, List.of(), imported);
        bodies.put(builtinsExport - imported, mappingBody(mappingJson(newMapping), malloc, parse, free));
        return new Rewritten(replaceBodies(wasm, bodies, defined), Collections.unmodifiableMap(newMapping));
    }

    /** The function indices of {@code env.opa_builtin0} ... {@code opa_builtin4}, checked against the ABI. */
    private static int[] dispatchImports(WasmModule module) throws BundleException {
        int[] dispatch = new int[MAX_OPERANDS + 1];
        java.util.Arrays.fill(dispatch, -1);
        int function = 0;
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import entry = module.importSection().getImport(i);
            if (entry.importType() != ExternalType.FUNCTION) {
                continue;
            }
            for (int n = 0; n <= MAX_OPERANDS; n++) {
                if (entry.module().equals("env") && entry.name().equals("opa_builtin" + n)) {
                    FunctionType type = module.typeSection().getType(((FunctionImport) entry).typeIndex());
                    if (type.params().size() != n + 2 || !allI32(type.params())
                            || !type.returns().equals(List.of(ValType.I32))) {
                        throw new BundleException("policy.wasm imports opa_builtin" + n + " as " + type
                                + ", not as OPA's wasm ABI declares it");
                    }
                    dispatch[n] = function;
                }
            }
            function++;
        }
        for (int n = 0; n <= MAX_OPERANDS; n++) {
            if (dispatch[n] < 0) {
                throw new BundleException("policy.wasm does not import env.opa_builtin" + n + " (OPA's wasm ABI)");
            }
        }
        return dispatch;
    }

    private static int exportedFunction(WasmModule module, String name, List<ValType> params,
            List<ValType> returns, int imported) throws BundleException {
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            Export export = module.exportSection().getExport(i);
            if (export.exportType() == ExternalType.FUNCTION && export.name().equals(name)) {
                int index = export.index();
                if (index >= imported) {
                    FunctionType type = functionType(module, index - imported);
                    if (type.params().equals(params) && type.returns().equals(returns)) {
                        return index;
                    }
                }
                break;
            }
        }
        throw new BundleException("policy.wasm does not export " + name + " as OPA's wasm ABI declares it");
    }

    private static FunctionType functionType(WasmModule module, int definedIndex) {
        return module.functionSection().getFunctionType(definedIndex, module.typeSection());
    }

    private static boolean allI32(List<ValType> types) {
        return types.stream().allMatch(ValType.I32::equals);
    }

    /** {@code opa_builtinN(id, 0, local 0, ..., local N-1)}; no locals of its own. */
    private static byte[] dispatchBody(int id, int operands, int dispatchFunction) {
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(0); // no local declarations
        code.write(I32_CONST);
        signed(code, id);
        code.write(I32_CONST);
        signed(code, 0); // the evaluation context, which host builtins do not read
        for (int local = 0; local < operands; local++) {
            code.write(LOCAL_GET);
            unsigned(code, local);
        }
        code.write(CALL);
        unsigned(code, dispatchFunction);
        code.write(END);
        return code.toByteArray();
    }

    /**
     * {@code builtins()}: writes {@code json} into memory from {@code opa_malloc}, parses it with
     * {@code opa_json_parse}, frees the text and returns the value (local 0: the text, local 1: the value).
     */
    private static byte[] mappingBody(byte[] json, int malloc, int parse, int free) {
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(1); // one local declaration:
        unsigned(code, 2); // two locals
        code.write(I32);
        code.write(I32_CONST);
        signed(code, json.length);
        code.write(CALL);
        unsigned(code, malloc);
        code.write(LOCAL_SET);
        unsigned(code, 0);
        int offset = 0;
        for (; offset + 4 <= json.length; offset += 4) {
            int word = (json[offset] & 0xff) | (json[offset + 1] & 0xff) << 8 | (json[offset + 2] & 0xff) << 16
                    | (json[offset + 3] & 0xff) << 24;
            code.write(LOCAL_GET);
            unsigned(code, 0);
            code.write(I32_CONST);
            signed(code, word);
            code.write(I32_STORE);
            unsigned(code, 0); // alignment hint 2^0: opa_malloc's address may be any
            unsigned(code, offset);
        }
        for (; offset < json.length; offset++) {
            code.write(LOCAL_GET);
            unsigned(code, 0);
            code.write(I32_CONST);
            signed(code, json[offset] & 0xff);
            code.write(I32_STORE8);
            unsigned(code, 0);
            unsigned(code, offset);
        }
        code.write(LOCAL_GET);
        unsigned(code, 0);
        code.write(I32_CONST);
        signed(code, json.length);
        code.write(CALL);
        unsigned(code, parse);
        code.write(LOCAL_SET);
        unsigned(code, 1);
        code.write(LOCAL_GET);
        unsigned(code, 0);
        code.write(CALL);
        unsigned(code, free);
        code.write(LOCAL_GET);
        unsigned(code, 1);
        code.write(END);
        return code.toByteArray();
    }

    private static byte[] mappingJson(Map<String, Integer> mapping) {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, Integer> entry : mapping.entrySet()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"');
            for (char c : entry.getKey().toCharArray()) {
                if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                    json.append(String.format("\\u%04x", (int) c));
                } else {
                    json.append(c);
                }
            }
            json.append("\":").append(entry.getValue());
        }
        return json.append('}').toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code wasm} with the bodies of the defined functions in {@code bodies} replaced; other bytes unchanged. */
    private static byte[] replaceBodies(byte[] wasm, Map<Integer, byte[]> bodies, int defined)
            throws BundleException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + 4096);
        out.write(wasm, 0, 8); // magic and version
        int[] position = {8};
        boolean replaced = false;
        while (position[0] < wasm.length) {
            int sectionStart = position[0];
            int id = wasm[position[0]++] & 0xff;
            int size = readUnsigned(wasm, position);
            int payload = position[0];
            int end = payload + size;
            if (end > wasm.length || end < payload) {
                throw new BundleException("policy.wasm has a truncated section");
            }
            if (id != CODE_SECTION) {
                out.write(wasm, sectionStart, end - sectionStart);
                position[0] = end;
                continue;
            }
            int[] cursor = {payload};
            int count = readUnsigned(wasm, cursor);
            if (count != defined) {
                throw new BundleException("policy.wasm's code section does not match its function section");
            }
            ByteArrayOutputStream section = new ByteArrayOutputStream(size + 4096);
            unsigned(section, count);
            for (int f = 0; f < count; f++) {
                int bodySize = readUnsigned(wasm, cursor);
                int bodyStart = cursor[0];
                if (bodyStart + bodySize > end) {
                    throw new BundleException("policy.wasm has a truncated function body");
                }
                byte[] body = bodies.get(f);
                if (body == null) {
                    unsigned(section, bodySize);
                    section.write(wasm, bodyStart, bodySize);
                } else {
                    unsigned(section, body.length);
                    section.write(body, 0, body.length);
                }
                cursor[0] = bodyStart + bodySize;
            }
            out.write(CODE_SECTION);
            unsigned(out, section.size());
            out.write(section.toByteArray(), 0, section.size());
            position[0] = end;
            replaced = true;
        }
        if (!replaced) {
            throw new BundleException("policy.wasm has no code section");
        }
        return out.toByteArray();
    }

    private static int readUnsigned(byte[] bytes, int[] position) throws BundleException {
        long value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (position[0] >= bytes.length) {
                throw new BundleException("policy.wasm ends inside a number");
            }
            int b = bytes[position[0]++] & 0xff;
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (value > Integer.MAX_VALUE) {
                    break;
                }
                return (int) value;
            }
        }
        throw new BundleException("policy.wasm holds a malformed or oversized number");
    }

    private static void unsigned(ByteArrayOutputStream out, int value) {
        int rest = value;
        do {
            int b = rest & 0x7f;
            rest >>>= 7;
            out.write(rest != 0 ? b | 0x80 : b);
        } while (rest != 0);
    }

    private static void signed(ByteArrayOutputStream out, int value) {
        int rest = value;
        while (true) {
            int b = rest & 0x7f;
            rest >>= 7;
            boolean done = (rest == 0 && (b & 0x40) == 0) || (rest == -1 && (b & 0x40) != 0);
            out.write(done ? b : b | 0x80);
            if (done) {
                return;
            }
        }
    }
}
