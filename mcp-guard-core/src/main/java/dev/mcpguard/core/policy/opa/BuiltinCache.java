package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * OPA's per-evaluation builtin cache ({@code BuiltinContext.Cache}): what a nondeterministic builtin must answer
 * again within the same evaluation, such as {@code uuid.rfc4122} for the same key. One per policy instance; the
 * engine clears it before and after each evaluation, so nothing leaks from one evaluation into the next. Not
 * thread-safe: only the thread evaluating on the instance uses it, as an instance serves one thread at a time.
 */
final class BuiltinCache {

    private final Map<Object, JsonNode> values = new HashMap<>();

    /** The value cached under {@code key}, computing and caching it on first use in this evaluation. */
    JsonNode computeIfAbsent(Object key, Supplier<JsonNode> value) {
        return values.computeIfAbsent(key, k -> value.get());
    }

    void clear() {
        values.clear();
    }
}
