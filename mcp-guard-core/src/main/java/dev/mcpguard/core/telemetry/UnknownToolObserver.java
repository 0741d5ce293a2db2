package dev.mcpguard.core.telemetry;

import java.util.Optional;

/**
 * Told of every call to a tool the server does not have, which the SDK answers before the guard chain sees it (so
 * the chain's telemetry step cannot): {@link GuardTelemetry#unknownTools()} turns it into a span and metrics with
 * the tool {@code _OTHER}. OpenTelemetry-free, so the SDK integration holds it without the API. Implementations are
 * thread-safe and never throw.
 */
@FunctionalInterface
public interface UnknownToolObserver {

    /**
     * One call to {@code requestedTool} (the client's name, untrusted and unbounded; empty when not known) in
     * {@code sessionId}, if any.
     */
    void unknownTool(Optional<String> sessionId, String requestedTool);
}
