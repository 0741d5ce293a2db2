package dev.mcpguard.spring.actuator;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A Redis that the guard uses and the health indicator checks: a name ({@code revocations},
 * {@code rate-limits}) and a non-throwing ping. Immutable and thread-safe if {@code ping} is.
 *
 * @param name what the guard uses this Redis for, as shown in the health details
 * @param ping answers whether Redis is reachable now; must not throw
 */
public record RedisProbe(String name, BooleanSupplier ping) {
    public RedisProbe {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ping, "ping");
    }
}
