package dev.mcpguard.core.mcp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.core.policy.ToolVisibility;
import io.modelcontextprotocol.common.McpTransportContext;
import java.lang.ref.WeakReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
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
 * <p>Per tool the filter costs a map lookup and an array read: the answer is kept as one flag per offered tool, and
 * the request last answered (held weakly, like the cache) is found without a cache lookup; its caller, tools and
 * lifetime are checked all the same.
 *
 * <p>Thread-safe.
 */
final class VisibleToolsFilter {

    /** Longest a list answer is kept for its request; a tools/list takes micro- to milliseconds. */
    static final Duration REQUEST_LIFETIME = Duration.ofSeconds(10);
    private static final int MAX_REQUESTS = 1024;
    private static final long REQUEST_LIFETIME_NANOS = REQUEST_LIFETIME.toNanos();

    /** A wrapped tool and its position in {@link Offered#inOrder}. */
    private record Slot(ToolDescriptor descriptor, int index) {
    }

    /**
     * The wrapped tools by name (a {@link HashMap}: names that differ only in their last characters, as tool
     * names often do, cluster in the probing tables of {@code Map.copyOf}), and the same in the order they were
     * offered; never changed once published, replaced whole.
     */
    private record Offered(Map<String, Slot> byName, List<ToolDescriptor> inOrder) {
    }

    /**
     * One request's answer: the caller and the tools it was asked about, whether each of those is visible (by
     * {@link Slot#index}), and when the answer stops being used (in the clock's nanoseconds).
     */
    private record Listed(CallerIdentity caller, Offered asked, boolean[] visible, long deadline) {
    }

    /** The answer last asked for, so that the other tools of that request skip the cache lookup; weak as the cache. */
    private record Recent(WeakReference<McpTransportContext> context, Listed listed) {
    }

    private final ToolVisibility visibility;
    private final Clock clock;
    private final Object offerLock = new Object();
    private volatile Offered offered = new Offered(Map.of(), List.of());
    private volatile Recent recent;
    private final Cache<McpTransportContext, Listed> requests;

    VisibleToolsFilter(ToolVisibility visibility, Clock clock) {
        this.visibility = Objects.requireNonNull(visibility, "visibility");
        this.clock = Objects.requireNonNull(clock, "clock");
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
            Map<String, ToolDescriptor> next = new LinkedHashMap<>();
            for (ToolDescriptor known : offered.inOrder()) {
                next.put(known.name(), known);
            }
            next.remove(tool.name());
            next.put(tool.name(), tool);
            List<ToolDescriptor> inOrder = List.copyOf(next.values());
            Map<String, Slot> byName = new HashMap<>(2 * inOrder.size());
            for (int i = 0; i < inOrder.size(); i++) {
                byName.put(inOrder.get(i).name(), new Slot(inOrder.get(i), i));
            }
            offered = new Offered(Collections.unmodifiableMap(byName), inOrder);
        }
    }

    /** Whether the caller of {@code context} may see {@code tool}. */
    boolean isVisible(McpTransportContext context, ToolDescriptor tool) {
        Optional<CallerIdentity> caller = TransportKeys.caller(context);
        if (caller.isEmpty()) {
            return false;
        }
        Offered candidates = offered;
        Slot slot = candidates.byName().get(tool.name());
        if (slot == null || !tool.equals(slot.descriptor())) {
            return visibility.visibleTo(caller, tool);
        }
        long now = nanos(clock.instant());
        Listed listed = kept(context);
        Optional<Boolean> known = listed == null ? Optional.empty() : answer(listed, caller.get(), tool, now);
        if (known.isPresent()) {
            return known.get();
        }
        listed = listed(caller.get(), candidates, visibility.visibleAmong(caller.get(), candidates.inOrder()), now);
        requests.put(context, listed);
        recent = new Recent(new WeakReference<>(context), listed);
        return listed.visible()[slot.index()];
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
        Slot slot = offered.byName().get(tool.name());
        if (slot == null || !tool.equals(slot.descriptor())) {
            return Optional.empty();
        }
        Listed listed = kept(context);
        return listed == null ? Optional.empty() : answer(listed, caller.get(), tool, nanos(clock.instant()));
    }

    /** The answer kept for {@code context}, or null; its caller, tools and deadline are not checked here. */
    private Listed kept(McpTransportContext context) {
        Recent last = recent;
        if (last != null && last.context().get() == context) {
            return last.listed();
        }
        return requests.getIfPresent(context);
    }

    /** What {@code listed} says about {@code tool}, when it was asked for {@code caller}, about this tool, and is live. */
    private static Optional<Boolean> answer(Listed listed, CallerIdentity caller, ToolDescriptor tool, long now) {
        if (now - listed.deadline() >= 0 || (listed.caller() != caller && !listed.caller().equals(caller))) {
            return Optional.empty();
        }
        Slot asked = listed.asked().byName().get(tool.name());
        if (asked == null || !tool.equals(asked.descriptor())) {
            return Optional.empty();
        }
        return Optional.of(listed.visible()[asked.index()]);
    }

    /** The answer about {@code asked}: the offered tools among {@code visible} (other names are ignored). */
    private static Listed listed(CallerIdentity caller, Offered asked, Set<String> visible, long now) {
        boolean[] shown = new boolean[asked.inOrder().size()];
        for (String name : visible) {
            Slot slot = asked.byName().get(name);
            if (slot != null) {
                shown[slot.index()] = true;
            }
        }
        return new Listed(caller, asked, shown, now + REQUEST_LIFETIME_NANOS);
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
