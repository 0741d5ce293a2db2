package dev.mcpguard.core.throttle;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Clock;
import java.time.Duration;

/**
 * Token buckets in this process, in a bounded Caffeine cache. A bucket idle for its limit's time-to-fill is
 * dropped: it would be full again anyway, so nothing is lost. Beyond {@code maximumSize} buckets the least
 * recently used one is dropped, which gives that key a fresh, full bucket. Thread-safe.
 */
final class LocalBucketStore implements BucketStore {

    private final Cache<String, Entry> buckets;
    private final ClockTimeMeter timeMeter;

    LocalBucketStore(long maximumSize, Clock clock) {
        this.timeMeter = new ClockTimeMeter(clock);
        this.buckets = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry value, long currentTime) {
                        return value.keepFor().toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry value, long currentTime, long currentDuration) {
                        return value.keepFor().toNanos();
                    }

                    @Override
                    public long expireAfterRead(String key, Entry value, long currentTime, long currentDuration) {
                        return value.keepFor().toNanos();
                    }
                })
                .ticker(timeMeter::currentTimeNanos)
                // Maintenance on the caller's thread: deterministic under a test clock, no pool needed.
                .executor(Runnable::run)
                .build();
    }

    @Override
    public ConsumptionProbe tryConsume(String key, RateLimit limit, long tokens) {
        return bucket(key, limit).tryConsumeAndReturnRemaining(tokens);
    }

    @Override
    public void refund(String key, RateLimit limit, long tokens) {
        Entry entry = buckets.getIfPresent(key);
        if (entry != null) {
            entry.bucket().addTokens(tokens);
        }
    }

    long size() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }

    private Bucket bucket(String key, RateLimit limit) {
        Entry entry = buckets.getIfPresent(key); // the usual case, without a mapping function made per call
        if (entry != null) {
            return entry.bucket();
        }
        return buckets.get(key, k -> new Entry(Bucket.builder()
                .addLimit(b -> b.capacity(limit.capacity()).refillGreedy(limit.refillTokens(), limit.refillPeriod()))
                .withCustomTimePrecision(timeMeter)
                .build(), limit.timeToFill().plus(Duration.ofSeconds(1)))).bucket();
    }

    private record Entry(Bucket bucket, Duration keepFor) {
    }
}
