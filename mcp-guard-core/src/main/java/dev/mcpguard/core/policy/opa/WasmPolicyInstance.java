package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.NameCustomSection;
import com.dylibso.chicory.wasm.types.ValType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.styra.opa.wasm.DefaultMappers;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import com.styra.opa.wasm.OpaWasm_ModuleExports;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of a bundle's policy module, evaluating one entrypoint (and optionally a second, the list one) on
 * input documents over OPA's wasm ABI
 * (1.3, through opa-java-wasm's {@link OpaWasm} bindings, compiled to JVM bytecode by Chicory's compiler), with
 * OPA's compiled-pattern caches kept from one evaluation to the next.
 *
 * <p>What OPA does: the module's own {@code regex.match}, {@code glob.match} and the other regex builtins compile
 * their pattern with re2 and keep it in a cache of the module ({@code wasm/src/regex.cc}, {@code glob.cc}, at most
 * 100 patterns), but every OPA SDK resets the module's heap before each evaluation ({@code opa_heap_ptr_set},
 * whose {@code init_free} also empties {@code builtin_cache}), so each evaluation compiles every pattern again and
 * builds re2's DFA states from nothing: about a millisecond per pattern here, against OPA's evaluator, which
 * keeps compiled patterns process-wide.
 *
 * <p>What this class does instead, for a module with such caches: after an evaluation that added to a cache, it
 * copies the module's static memory and its heap above the data document (a <em>snapshot</em>), and every later
 * evaluation starts by writing that snapshot back instead of resetting the heap. So every evaluation starts from
 * the same memory: the data document (which evaluation never writes, as every OPA SDK assumes), the caches with
 * their compiled patterns and DFA states, and unreachable leftovers of the evaluations the snapshot followed.
 * Nothing an evaluation leaves survives it, and a cache only ever answers what compiling its pattern would, so
 * no input can change the decision on another. Bounded: at most {@value #MAX_SNAPSHOTS} snapshots per instance,
 * none holding more than {@value #MAX_SNAPSHOT_HEAP_BYTES} bytes of heap; past that the last snapshot keeps
 * serving and a pattern not in it is compiled per evaluation, as OPA's SDKs do. A module without those caches
 * (or without the name section that locates them) is evaluated exactly as OPA's SDKs do.
 *
 * <p>Not thread-safe: one thread at a time ({@link WasmPolicyPool} lends each instance to one caller).
 */
final class WasmPolicyInstance {

    /** Snapshots one instance takes at most. */
    static final int MAX_SNAPSHOTS = 16;
    /** Most heap (above the data document) a snapshot may hold, in bytes. */
    static final int MAX_SNAPSHOT_HEAP_BYTES = 4 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(WasmPolicyInstance.class);
    private static final int INITIAL_PAGES = 10;
    /** {@code static void *builtin_cache[8]} in OPA's {@code wasm/src/malloc.c}; an index past it aborts. */
    private static final int CACHE_SLOTS = 8;
    /** Bytes of a cache object compared to see whether an evaluation changed it (a libc++ map header is 20). */
    private static final int CACHE_HEADER_BYTES = 20;
    private static final int SLOT_STATE_BYTES = Integer.BYTES + CACHE_HEADER_BYTES;
    private static final String CACHE_GETTER = "opa_builtin_cache_get";

    private final OpaWasm wasm;
    private final OpaWasm_ModuleExports exports;
    private final Memory memory;
    private final int staticsEnd;
    private final int dataAddr;
    private final int dataHeapPtr;
    private final int entrypoint;
    /** The id of the optional second entrypoint ({@code tools/list} in one evaluation); -1 when absent. */
    private final int listEntrypoint;
    private final int cacheGetter;
    private boolean keepCaches;
    private Snapshot snapshot;
    private int snapshots;

    /** A copy of the memory every evaluation starts from, and what the caches looked like in it. */
    private static final class Snapshot {
        final byte[] statics;
        final byte[] heap;
        final byte[] caches;
        int pages;

        Snapshot(byte[] statics, byte[] heap, byte[] caches, int pages) {
            this.statics = statics;
            this.heap = heap;
            this.caches = caches;
            this.pages = pages;
        }
    }

    /**
     * Instantiates {@code module}, loads {@code dataJson} as the data document and selects {@code entrypoint}.
     *
     * @param listEntrypoint an optional second entrypoint ({@link #evaluateList}); null or absent from the module:
     *                       none ({@link #hasListEntrypoint()} false)
     * @param keepCaches false to evaluate exactly as OPA's SDKs do (every cache emptied before each evaluation)
     * @throws IllegalArgumentException when the module has no such entrypoint
     * @throws IllegalStateException when the module is not an OPA module of ABI 1.3 or cannot load the data
     */
    WasmPolicyInstance(byte[] module, ObjectMapper mapper, int maxMemoryPages, OpaBuiltin.Builtin[] builtins,
                       String entrypoint, String dataJson, boolean keepCaches) {
        this(module, mapper, maxMemoryPages, builtins, entrypoint, null, dataJson, keepCaches);
    }

    WasmPolicyInstance(byte[] module, ObjectMapper mapper, int maxMemoryPages, OpaBuiltin.Builtin[] builtins,
                       String entrypoint, String listEntrypoint, String dataJson, boolean keepCaches) {
        this.memory = new ByteArrayMemory(new MemoryLimits(Math.min(INITIAL_PAGES, maxMemoryPages), maxMemoryPages));
        this.wasm = OpaWasm.builder()
                .withInputStream(new ByteArrayInputStream(module))
                .withJsonMapper(mapper)
                .withYamlMapper(DefaultMappers.yamlMapper)
                .withMemory(memory)
                .withDefaultBuiltins(false)
                .addBuiltins(builtins)
                .build();
        this.exports = wasm.exports();
        long major = exports.opaWasmAbiVersion().getValue();
        long minor = exports.opaWasmAbiMinorVersion().getValue();
        if (major != 1 || minor != 3) {
            throw new IllegalStateException("unsupported OPA wasm ABI " + major + "." + minor + " (supported: 1.3)");
        }
        Map<String, Integer> entrypoints = entrypoints(mapper);
        Integer id = entrypoints.get(entrypoint);
        if (id == null) {
            throw new IllegalArgumentException("no entrypoint " + entrypoint + " in " + entrypoints.keySet());
        }
        this.entrypoint = id;
        Integer listId = listEntrypoint == null ? null : entrypoints.get(listEntrypoint);
        this.listEntrypoint = listId == null ? -1 : listId;
        // As OPA's SDKs lay memory out: statics below the heap base, then the data document, then each evaluation.
        this.staticsEnd = exports.opaHeapPtrGet();
        exports.opaHeapPtrSet(staticsEnd);
        this.dataAddr = loadJson(dataJson.getBytes(StandardCharsets.UTF_8));
        if (dataAddr == 0) {
            throw new IllegalStateException("the module could not parse the data document");
        }
        this.dataHeapPtr = exports.opaHeapPtrGet();
        this.cacheGetter = keepCaches ? cacheGetter(wasm.instance().module()) : -1;
        this.keepCaches = cacheGetter >= 0;
    }

    /**
     * Evaluates the entrypoint on {@code inputJson} (ASCII JSON) and returns the module's result set as JSON.
     *
     * @throws RuntimeException when evaluation fails (a trap, an abort): the instance must not be used again
     */
    String evaluate(String inputJson) {
        return evaluate(inputJson.getBytes(StandardCharsets.UTF_8));
    }

    /** As {@link #evaluate(String)} for the input's UTF-8 bytes, written into the module as they are. */
    String evaluate(byte[] inputJson) {
        return evaluate(entrypoint, inputJson);
    }

    /** Whether the module has the list entrypoint given at construction. */
    boolean hasListEntrypoint() {
        return listEntrypoint >= 0;
    }

    /**
     * As {@link #evaluate} for the list entrypoint.
     *
     * @throws IllegalStateException when the module has none ({@link #hasListEntrypoint()})
     */
    String evaluateList(String inputJson) {
        return evaluateList(inputJson.getBytes(StandardCharsets.UTF_8));
    }

    /** As {@link #evaluateList(String)} for the input's UTF-8 bytes. */
    String evaluateList(byte[] inputJson) {
        if (listEntrypoint < 0) {
            throw new IllegalStateException("the module has no list entrypoint");
        }
        return evaluate(listEntrypoint, inputJson);
    }

    private String evaluate(int entrypointId, byte[] inputJson) {
        if (snapshot != null) {
            memory.write(0, snapshot.statics);
            memory.write(dataHeapPtr, snapshot.heap);
        } else {
            exports.opaHeapPtrSet(dataHeapPtr);
        }
        int inputAddr = loadJson(inputJson);
        if (inputAddr == 0) {
            throw new IllegalStateException("the module could not parse the input document");
        }
        int context = exports.opaEvalCtxNew();
        exports.opaEvalCtxSetData(context, dataAddr);
        exports.opaEvalCtxSetInput(context, inputAddr);
        exports.opaEvalCtxSetEntrypoint(context, entrypointId);
        int code = exports.eval(context);
        if (code != 0) {
            throw new IllegalStateException("policy evaluation failed with OPA error code " + code);
        }
        String result = dumpJson(exports.opaEvalCtxGetResult(context));
        if (keepCaches) {
            keepCaches();
        }
        return result;
    }

    /** Snapshots taken so far (0 while nothing was cached, or for a module without caches). */
    int snapshots() {
        return snapshots;
    }

    /** Whether evaluations keep caches (false for a module without them, or after {@link #followGrownMemory} failed). */
    boolean keepsCaches() {
        return keepCaches;
    }

    /** The module's memory size, in 64 KiB pages. */
    int memoryPages() {
        return memory.pages();
    }

    /** After a successful evaluation: snapshot when a cache changed, and keep the snapshot in step with memory. */
    private void keepCaches() {
        int pages = memory.pages();
        byte[] caches = cacheState();
        boolean changed = !Arrays.equals(caches, snapshot == null ? emptyCacheState() : snapshot.caches);
        int heapBytes = exports.opaHeapPtrGet() - dataHeapPtr;
        if (changed && snapshots < MAX_SNAPSHOTS && heapBytes <= MAX_SNAPSHOT_HEAP_BYTES) {
            snapshot = new Snapshot(memory.readBytes(0, staticsEnd), memory.readBytes(dataHeapPtr, heapBytes), caches,
                    pages);
            snapshots++;
            return;
        }
        if (snapshot != null && pages != snapshot.pages && !followGrownMemory(pages)) {
            log.debug("Policy instance memory grew to {} pages and its heap top was not found; evaluating without "
                    + "kept caches from now on", pages);
            snapshot = null;
            keepCaches = false;
        }
    }

    /**
     * The module grew its memory during the evaluation, recording the new size in malloc.c's {@code heap_top};
     * written back, the snapshot's older {@code heap_top} would make every later evaluation grow memory again.
     * Finds {@code heap_top} as the one static word that held the snapshot's memory size and now holds the new
     * size, and writes the new size into the snapshot.
     *
     * @return false when that word is not unique (the snapshot must then be dropped)
     */
    private boolean followGrownMemory(int pages) {
        int before = snapshot.pages * Memory.PAGE_SIZE;
        int after = pages * Memory.PAGE_SIZE;
        int found = -1;
        for (int offset = 0; offset + Integer.BYTES <= staticsEnd; offset += Integer.BYTES) {
            if (intAt(snapshot.statics, offset) == before && memory.readInt(offset) == after) {
                if (found >= 0) {
                    return false;
                }
                found = offset;
            }
        }
        if (found < 0) {
            return false;
        }
        putInt(snapshot.statics, found, after);
        snapshot.pages = pages;
        return true;
    }

    /** For each cache slot: its pointer and the first bytes of the object it points to. */
    private byte[] cacheState() {
        Machine machine = wasm.instance().getMachine();
        int size = memory.pages() * Memory.PAGE_SIZE;
        byte[] state = new byte[CACHE_SLOTS * SLOT_STATE_BYTES];
        for (int slot = 0; slot < CACHE_SLOTS; slot++) {
            int pointer = (int) machine.call(cacheGetter, new long[] {slot})[0];
            putInt(state, slot * SLOT_STATE_BYTES, pointer);
            if (pointer != 0 && Integer.compareUnsigned(pointer, size - CACHE_HEADER_BYTES) <= 0) {
                System.arraycopy(memory.readBytes(pointer, CACHE_HEADER_BYTES), 0, state,
                        slot * SLOT_STATE_BYTES + Integer.BYTES, CACHE_HEADER_BYTES);
            }
        }
        return state;
    }

    private static byte[] emptyCacheState() {
        return new byte[CACHE_SLOTS * SLOT_STATE_BYTES];
    }

    /** The index of {@code opa_builtin_cache_get(i32) -> i32} by the name section, or -1. */
    private static int cacheGetter(WasmModule module) {
        NameCustomSection names = module.nameSection();
        if (names == null) {
            return -1;
        }
        int imported = module.importSection().count(ExternalType.FUNCTION);
        int total = imported + module.functionSection().functionCount();
        for (int index = imported; index < total; index++) {
            if (CACHE_GETTER.equals(names.nameOfFunction(index))) {
                FunctionType type = module.functionSection().getFunctionType(index - imported, module.typeSection());
                boolean expected = type.params().equals(List.of(ValType.I32)) && type.returns().equals(List.of(ValType.I32));
                return expected ? index : -1;
            }
        }
        return -1;
    }

    private Map<String, Integer> entrypoints(ObjectMapper mapper) {
        try {
            return mapper.readValue(dumpJson(exports.entrypoints()), new TypeReference<Map<String, Integer>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the module's entrypoints are not a JSON object", e);
        }
    }

    private int loadJson(byte[] bytes) {
        int text = exports.opaMalloc(bytes.length);
        memory.write(text, bytes);
        int value = exports.opaJsonParse(text, bytes.length);
        exports.opaFree(text);
        return value;
    }

    private String dumpJson(int value) {
        int text = exports.opaJsonDump(value);
        String json = memory.readCString(text);
        exports.opaFree(text);
        return json;
    }

    private static int intAt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8 | (bytes[offset + 2] & 0xff) << 16
                | (bytes[offset + 3] & 0xff) << 24;
    }

    private static void putInt(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) value;
        bytes[offset + 1] = (byte) (value >>> 8);
        bytes[offset + 2] = (byte) (value >>> 16);
        bytes[offset + 3] = (byte) (value >>> 24);
    }
}
