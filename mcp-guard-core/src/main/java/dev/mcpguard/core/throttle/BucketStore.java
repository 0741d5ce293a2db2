package dev.mcpguard.core.throttle;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;

/** Where token buckets live: in this process, or shared in Redis. Implementations are thread-safe. */
interface BucketStore {

    /**
     * Takes one token from the bucket under {@code key}, creating it from {@code limit} if absent.
     *
     * @throws StoreUnavailableException when the store cannot answer within its timeout
     */
    default ConsumptionProbe tryConsume(String key, RateLimit limit) {
        return tryConsume(key, limit, 1);
    }

    /**
     * Takes {@code tokens} (at least 1) from the bucket under {@code key} at once, or none, creating the bucket
     * from {@code limit} if absent.
     *
     * @throws StoreUnavailableException when the store cannot answer within its timeout
     */
    ConsumptionProbe tryConsume(String key, RateLimit limit, long tokens);

    /** Gives back one token taken by {@link #tryConsume} (best effort; a failure is ignored). */
    default void refund(String key, RateLimit limit) {
        refund(key, limit, 1);
    }

    /** Gives back {@code tokens} taken by {@link #tryConsume} (best effort; a failure is ignored). */
    void refund(String key, RateLimit limit, long tokens);

    static BucketConfiguration configuration(RateLimit limit) {
        return BucketConfiguration.builder()
                .addLimit(b -> b.capacity(limit.capacity()).refillGreedy(limit.refillTokens(), limit.refillPeriod()))
                .build();
    }

    /** The store could not be reached in time. The message holds no key values. */
    final class StoreUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
