package dev.mcpguard.spring;

import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import java.util.Objects;
import java.util.Optional;

/**
 * The policy the starter built from {@code mcp.guard.policy.*}: the engine the chain consults (a
 * {@link ResilientPolicyEngine} over the embedded or remote OPA engine), and the embedded engine itself when there
 * is one, for its bundle revision. Not a {@link PolicyEngine} itself, so a {@code PolicyEngine} bean of the
 * application's is never ambiguous with it. Closing it stops bundle polling. Thread-safe.
 */
public final class McpGuardPolicy implements AutoCloseable {

    private final ResilientPolicyEngine engine;
    private final Optional<OpaWasmPolicyEngine> embedded;

    McpGuardPolicy(ResilientPolicyEngine engine, Optional<OpaWasmPolicyEngine> embedded) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.embedded = Objects.requireNonNull(embedded, "embedded");
    }

    /** The engine the chain consults. */
    public ResilientPolicyEngine engine() {
        return engine;
    }

    /** The embedded OPA engine, empty when the policy is remote. */
    public Optional<OpaWasmPolicyEngine> embedded() {
        return embedded;
    }

    /** The revision of the bundle deciding calls now; empty for a remote OPA. */
    public Optional<String> revision() {
        return embedded.flatMap(OpaWasmPolicyEngine::currentRevision);
    }

    @Override
    public void close() {
        embedded.ifPresent(OpaWasmPolicyEngine::close);
    }
}
