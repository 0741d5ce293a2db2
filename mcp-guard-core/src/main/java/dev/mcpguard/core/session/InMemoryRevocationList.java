package dev.mcpguard.core.session;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revocations held in this process. Lapsed entries are dropped when the list is next written or read in full,
 * so the list is bounded by the revocations made within one retention period. Thread-safe.
 */
public final class InMemoryRevocationList implements RevocationList {

    private final ConcurrentHashMap<Key, Instant> entries = new ConcurrentHashMap<>();
    private final Clock clock;

    /** @param clock the clock lapses are measured with */
    public InMemoryRevocationList(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void add(Revocation revocation) {
        Objects.requireNonNull(revocation, "revocation");
        merge(revocation);
        prune();
    }

    @Override
    public boolean contains(Revocation.Kind kind, String value) {
        if (entries.isEmpty()) {
            return false; // the usual case: no lookup key, no clock read on every request
        }
        Instant until = entries.get(new Key(kind, value));
        return until != null && until.isAfter(clock.instant());
    }

    @Override
    public List<Revocation> entries() {
        prune();
        return entries.entrySet().stream()
                .map(e -> new Revocation(e.getKey().kind(), e.getKey().value(), e.getValue()))
                .toList();
    }

    /** Records {@code revocation} here, keeping the later lapse if the value is already revoked. */
    void merge(Revocation revocation) {
        entries.merge(new Key(revocation.kind(), revocation.value()), revocation.until(),
                (a, b) -> a.isAfter(b) ? a : b);
    }

    void prune() {
        Instant now = clock.instant();
        entries.values().removeIf(until -> !until.isAfter(now));
    }

    private record Key(Revocation.Kind kind, String value) {
    }
}
