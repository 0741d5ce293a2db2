package dev.mcpguard.core.policy.opa;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed set of {@link WasmPolicyInstance}s of ONE bundle (not thread-safe: one thread per instance at a time). All instances are built up front, on the loading thread, so no request ever pays for
 * compiling a module; a borrow waits at most the given timeout.
 *
 * <p>Why not opa-java-wasm's {@code OpaPolicyPool}: it builds instances lazily on the calling thread (a module
 * compile of 100+ ms on the request path), has no borrow timeout, and throws once closed, which a call that
 * raced a bundle swap would see as an error. Here a closed pool tells the caller to retry on the current one.
 *
 * <p>Thread-safe.
 */
final class WasmPolicyPool {

    private static final Logger log = LoggerFactory.getLogger(WasmPolicyPool.class);

    /**
     * One instance, the clock reading its {@code time.now_ns} builtin returns during an evaluation, and its
     * per-evaluation builtin cache.
     */
    static final class Instance {
        final WasmPolicyInstance policy;
        final BuiltinCache cache;
        volatile long nowNs;

        /** {@code build} makes the policy instance from the clock reading its builtins see. */
        Instance(Function<LongSupplier, WasmPolicyInstance> build, BuiltinCache cache) {
            this.cache = cache;
            this.policy = build.apply(() -> nowNs);
        }
    }

    /** Thrown to a borrower of a pool that was retired by a bundle swap; retry on the current pool. */
    static final class RetiredException extends Exception {
        RetiredException() {
            super("pool retired", null, false, false);
        }
    }

    private final BlockingQueue<Instance> idle;
    private final Supplier<Instance> factory;
    private final AtomicLong replaced = new AtomicLong();
    private final boolean listsAtOnce;
    private volatile boolean closed;

    /** Builds {@code size} instances now; any failure propagates and nothing is kept. */
    WasmPolicyPool(int size, Supplier<Instance> factory) {
        this.idle = new ArrayBlockingQueue<>(size);
        this.factory = factory;
        for (int i = 0; i < size; i++) {
            idle.add(factory.get());
        }
        Instance first = idle.peek();
        this.listsAtOnce = first != null && first.policy != null && first.policy.hasListEntrypoint();
    }

    /** Whether the module has the list entrypoint (every instance is of the same module). */
    boolean listsAtOnce() {
        return listsAtOnce;
    }

    /**
     * Borrows an instance, waiting at most {@code timeout}.
     *
     * @return the instance, or null on timeout
     * @throws RetiredException when this pool was closed (before or while waiting)
     */
    Instance borrow(Duration timeout) throws InterruptedException, RetiredException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw new RetiredException();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            // Wait in short slices so a borrower blocked on a pool that gets retired moves on promptly.
            Instance instance = idle.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)), TimeUnit.NANOSECONDS);
            if (instance != null) {
                return instance;
            }
        }
    }

    /** Returns a healthy instance; after close it is dropped. */
    void release(Instance instance) {
        if (!closed) {
            idle.offer(instance);
        }
    }

    /**
     * Replaces an instance whose evaluation failed (a trap, an abort, an Error inside the module) or was
     * interrupted (its deadline, or the caller's own interrupt): its state is not trusted and its memory may have
     * grown to the maximum, so it is dropped, never returned to the pool. The replacement is built on the calling
     * thread, whose call has already failed; a pending interrupt of that thread is set aside meanwhile (a module
     * being set up would stop at it) and set again afterwards.
     */
    void discard(Instance broken) {
        if (closed) {
            return;
        }
        replaced.incrementAndGet();
        boolean interrupted = Thread.interrupted();
        try {
            idle.offer(factory.get());
        } catch (RuntimeException e) {
            log.error("Could not rebuild a policy instance; the pool has one instance fewer", e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How many instances are idle, waiting to be borrowed. */
    int idleInstances() {
        return idle.size();
    }

    /** How many instances were discarded and replaced since the pool was built. */
    long replacedInstances() {
        return replaced.get();
    }

    /** Retires the pool: borrowers move to the new pool, in-flight evaluations finish, instances are dropped. */
    void close() {
        closed = true;
        idle.clear();
    }
}
