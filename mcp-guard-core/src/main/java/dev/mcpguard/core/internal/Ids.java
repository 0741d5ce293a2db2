package dev.mcpguard.core.internal;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Time-ordered unique ids (UUID version 7 layout) for calls and decisions: sortable in an audit file, unique
 * across replicas without coordination. They identify, they do not authorize, so a fast non-cryptographic
 * random source is enough. Thread-safe.
 */
public final class Ids {

    private Ids() {
    }

    /** A new id whose leading 48 bits are {@code clock}'s current epoch milliseconds. */
    public static String newId(Clock clock) {
        long millis = clock.millis();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
