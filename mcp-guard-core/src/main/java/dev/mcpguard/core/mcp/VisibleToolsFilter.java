package dev.mcpguard.core.mcp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.core.policy.ToolVisibility;
import io.modelcontextprotocol.common.McpTransportContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code tools/list} filter, asking policy once per list instead of once per tool.
 *
 * <p>The MCP SDK asks its list filter about one tool at a time, each with the request's transport context. So at
 * the first question of a request this filter asks policy about every tool this guard wraps ({@link #offer}; their
 * descriptors as wrapped) in one {@link ToolVisibility#visibleAmong} call and keeps the answer for that request
 * only: keyed by the identity of its transport context (a new one per HTTP request, made by the context
 * extractor), weakly, for at most {@link #REQUEST_LIFETIME}, and only for the caller it was asked for. A tool the
 * guard did not wrap, or whose descriptor differs from the one asked about, is asked about alone
 * ({@link ToolVisibility#visibleTo}). A request without a verified caller sees nothing and asks nothing.
 *
 * <p>Thread-safe.
 */
final class VisibleToolsFilter {

    /** Longest a list answer is kept for its request; a tools/list takes micro- to milliseconds. */
    static final Duration REQUEST_LIFETIME = Duration.ofSeconds(10);
    private static final int MAX_REQUESTS = 1024;

    /** One request's answer: the caller and the tools it was asked about, and which of them are visible. */
    private record Listed(CallerIdentity caller, Map<String, ToolDescriptor> asked, Set<String> visible) {
    }

    private final ToolVisibility visibility;
    private final Object offerLock = new Object();
    /** The wrapped tools by name, and the same in the order they were offered; replaced whole. */
    private record Offered(Map<String, ToolDescriptor> byName, List<ToolDescriptor> inOrder) {
    }

    private volatile Offered offered = new Offered(Map.of(), List.of());
    private final Cache<McpTransportContext, Listed> requests;

    VisibleToolsFilter(ToolVisibility visibility, Clock clock) {
        this.visibility = Objects.requireNonNull(visibility, "visibility");
        Objects.requireNonNull(clock, "clock");
        this.requests = Caffeine.newBuilder()
                .weakKeys() // identity, and gone with its request
                .expireAfterWrite(REQUEST_LIFETIME)
                .maximumSize(MAX_REQUESTS)
                .ticker(() -> nanos(clock.instant()))
                .executor(Runnable::run)
                .build();
    }

    /** Adds (or replaces, by name) a tool this guard wraps to the tools asked about per list. */
    void offer(ToolDescriptor tool) {
        Objects.requireNonNull(tool, "tool");
        synchronized (offerLock) {
            Map<String, ToolDescriptor> next = new LinkedHashMap<>(offered.byName());
            next.remove(tool.name());
            next.put(tool.name(), tool);
            offered = new Offered(Map.copyOf(next), List.copyOf(new ArrayList<>(next.values())));
        }
    }

    /** Whether the caller of {@code context} may see {@code tool}. */
    boolean isVisible(McpTransportContext context, ToolDescriptor tool) {
        Optional<CallerIdentity> caller = TransportKeys.caller(context);
        if (caller.isEmpty()) {
            return false;
        }
        Offered candidates = offered;
        if (!tool.equals(candidates.byName().get(tool.name()))) {
            return visibility.visibleTo(caller, tool);
        }
        Listed listed = requests.getIfPresent(context);
        if (listed == null || !listed.caller().equals(caller.get()) || !tool.equals(listed.asked().get(tool.name()))) {
            listed = new Listed(caller.get(), candidates.byName(),
                    visibility.visibleAmong(caller.get(), candidates.inOrder()));
            requests.put(context, listed);
        }
        return listed.visible().contains(tool.name());
    }

    /**
     * Whether the caller of {@code context} may see {@code tool}, when that is known without asking policy (no
     * verified caller, or this request's list answer is kept); empty when {@link #isVisible} would ask policy.
     */
    Optional<Boolean> knownVisibility(McpTransportContext context, ToolDescriptor tool) {
        Optional<CallerIdentity> caller = TransportKeys.caller(context);
        if (caller.isEmpty()) {
            return Optional.of(false);
        }
        if (!tool.equals(offered.byName().get(tool.name()))) {
            return Optional.empty();
        }
        Listed listed = requests.getIfPresent(context);
        if (listed == null || !listed.caller().equals(caller.get()) || !tool.equals(listed.asked().get(tool.name()))) {
            return Optional.empty();
        }
        return Optional.of(listed.visible().contains(tool.name()));
    }

    /** Requests whose answer is kept now (approximate), for tests. */
    long keptRequests() {
        requests.cleanUp();
        return requests.estimatedSize();
    }

    private static long nanos(Instant now) {
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
