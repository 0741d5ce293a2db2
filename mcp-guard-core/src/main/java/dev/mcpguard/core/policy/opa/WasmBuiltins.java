package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import com.styra.opa.wasm.builtins.Provided;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The host functions ("builtins") a compiled policy may call. OPA compiles most builtins into the wasm module;
 * the rest must be supplied by the host. We supply opa-java-wasm's {@code json.is_valid}, {@code sprintf} with Go's fmt semantics ({@link SprintfBuiltin}), {@code time.now_ns} from the
 * engine's clock, {@code uuid.rfc4122} over the instance's per-evaluation {@link BuiltinCache}, and the families
 * of host builtins ported from OPA's {@code topdown} ({@code TimeBuiltins}, {@code CryptoBuiltins}, ...,
 * {@code JwtBuiltins}, whose {@code io.jwt.decode_verify} reads that same clock), which are undefined where OPA's
 * builtin errors, as in OPA's wasm runtime, and the replacements of divergent compiled-in builtins
 * ({@link CompiledBuiltinOverrides}). opa-java-wasm's {@code yaml.*} are withheld ({@link #WITHHELD}). A module
 * that needs anything else (for example {@code http.send}) is refused at load time, naming the builtin, instead
 * of failing at decision time. Thread-safe (stateless).
 */
final class WasmBuiltins {

    static final String TIME_NOW_NS = "time.now_ns";

    /**
     * opa-java-wasm's own builtins we do not supply, and why: each decides differently from OPA, so a module
     * importing one is refused at load like one needing any builtin we do not provide.
     */
    static final Map<String, String> WITHHELD = Map.of(
            "yaml.marshal", "opa-java-wasm writes YAML with Jackson (a leading ---, other indentation), not as OPA's "
                    + "sigs.k8s.io/yaml does",
            "yaml.unmarshal", "opa-java-wasm reads YAML 1.1 with Jackson (yes is true, 1e3 is 1000.0), not as OPA's "
                    + "sigs.k8s.io/yaml does",
            "yaml.is_valid", "opa-java-wasm validates with Jackson's YAML reader, not OPA's sigs.k8s.io/yaml");

    private static final List<OpaBuiltin.Builtin> HOST_FAMILIES = hostFamilies();

    /** Every builtin name the engine provides. */
    static final Set<String> PROVIDED = providedNames();

    private WasmBuiltins() {
    }

    /**
     * Builtins for one policy instance; {@code nowNs} is read once per evaluation by that instance, and
     * {@code cache} is that instance's per-evaluation builtin cache ({@code uuid.rfc4122}), cleared by the engine
     * around each evaluation.
     */
    static OpaBuiltin.Builtin[] forInstance(LongSupplier nowNs, BuiltinCache cache) {
        // opa-java-wasm's sprintf is Java's String.format; ours follows Go's fmt as OPA does.
        OpaBuiltin.Builtin[] defaults = Arrays.stream(Provided.all())
                .filter(builtin -> !builtin.name().equals(SprintfBuiltin.NAME))
                .filter(builtin -> !CompiledBuiltinOverrides.BY_NAME.containsKey(builtin.name()))
                .filter(builtin -> !WITHHELD.containsKey(builtin.name()))
                .toArray(OpaBuiltin.Builtin[]::new);
        List<OpaBuiltin.Builtin> clocked = clockedFamilies(nowNs);
        List<OpaBuiltin.Builtin> overrides = List.copyOf(CompiledBuiltinOverrides.BY_NAME.values());
        OpaBuiltin.Builtin[] all = Arrays.copyOf(defaults,
                defaults.length + 3 + HOST_FAMILIES.size() + clocked.size() + overrides.size());
        all[defaults.length] = OpaBuiltin.from(TIME_NOW_NS,
                (OpaWasm wasm) -> (JsonNode) wasm.jsonMapper().getNodeFactory().numberNode(nowNs.getAsLong()));
        all[defaults.length + 1] = new SprintfBuiltin();
        all[defaults.length + 2] = UuidBuiltins.rfc4122(cache);
        for (int i = 0; i < HOST_FAMILIES.size(); i++) {
            all[defaults.length + 3 + i] = HOST_FAMILIES.get(i);
        }
        for (int i = 0; i < clocked.size(); i++) {
            all[defaults.length + 3 + HOST_FAMILIES.size() + i] = clocked.get(i);
        }
        for (int i = 0; i < overrides.size(); i++) {
            all[defaults.length + 3 + HOST_FAMILIES.size() + clocked.size() + i] = overrides.get(i);
        }
        return all;
    }

    /** Host builtins with OPA's semantics, one family (one package-private class) per line; stateless, shared. */
    private static List<OpaBuiltin.Builtin> hostFamilies() {
        return Stream.of(
                TimeBuiltins.all(),
                CryptoBuiltins.all(),
                UnitsBuiltins.all(),
                ObjectBuiltins.all(),
                StringsBuiltins.all(),
                HexBuiltins.all(),
                NetBuiltins.all(),
                UrlQueryBuiltins.all(),
                UriBuiltins.all(),
                SemverBuiltins.all(),
                UuidBuiltins.all(),
                Base64UrlBuiltins.all(),
                NumbersBuiltins.all(),
                JsonBuiltins.all(),
                RegexBuiltins.all()
        ).flatMap(List::stream).toList();
    }

    /** Host families that read the evaluation's clock ({@code nowNs}, as {@code time.now_ns}); one set per instance. */
    private static List<OpaBuiltin.Builtin> clockedFamilies(LongSupplier nowNs) {
        return JwtBuiltins.all(nowNs);
    }

    /**
     * The builtins {@code wasm} needs from the host and we do not provide, sorted; empty when it can run.
     *
     * @throws BundleException when the module cannot be instantiated at all
     */
    static Set<String> missing(byte[] wasm, ObjectMapper mapper) throws BundleException {
        return missing(required(wasm, mapper));
    }

    /** The builtins of {@code required} (a module's imports) we do not provide, sorted. */
    static Set<String> missing(Set<String> required) {
        return required.stream().filter(name -> !PROVIDED.contains(name))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Reads the module's {@code builtins} export: the names of the builtins the host must supply. */
    static Set<String> required(byte[] wasm, ObjectMapper mapper) throws BundleException {
        return new TreeSet<>(mapping(wasm, mapper).keySet());
    }

    /** Reads the module's {@code builtins} export: a JSON object of builtin name to id. */
    static Map<String, Integer> mapping(byte[] wasm, ObjectMapper mapper) throws BundleException {
        try {
            OpaWasm module = OpaWasm.builder()
                    .withInputStream(new ByteArrayInputStream(wasm))
                    .withJsonMapper(mapper)
                    .withMemory(new ByteArrayMemory(new MemoryLimits(10, MemoryLimits.MAX_PAGES)))
                    .withDefaultBuiltins(false)
                    .disableCompiler()
                    .build();
            int address = module.exports().builtins();
            int json = module.exports().opaJsonDump(address);
            JsonNode names = mapper.readTree(module.memory().readCString(json));
            Map<String, Integer> mapping = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = names.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (!entry.getValue().canConvertToInt() || entry.getValue().intValue() < 0) {
                    throw new BundleException("policy.wasm maps builtin " + entry.getKey() + " to a bad id");
                }
                mapping.put(entry.getKey(), entry.getValue().intValue());
            }
            return mapping;
        } catch (IOException | RuntimeException e) {
            throw new BundleException("policy.wasm is not a valid OPA wasm module: " + e.getClass().getSimpleName(), e);
        }
    }

    private static Set<String> providedNames() {
        Set<String> names = Arrays.stream(Provided.all()).map(OpaBuiltin.Builtin::name)
                .filter(name -> !WITHHELD.containsKey(name)).collect(Collectors.toCollection(TreeSet::new));
        names.add(TIME_NOW_NS);
        names.add(UuidBuiltins.RFC4122);
        HOST_FAMILIES.forEach(builtin -> names.add(builtin.name()));
        clockedFamilies(() -> 0L).forEach(builtin -> names.add(builtin.name()));
        return Set.copyOf(names);
    }
}
