package dev.mcpguard.core.policy.opa;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The deadline of each evaluation of the embedded engine: a watchdog that interrupts the thread evaluating a policy
 * module once the evaluation has run for the deadline, so that a module that never returns (a huge comprehension,
 * a loop in the module's C runtime) cannot hold its policy instance, and with it a share of the pool, forever.
 *
 * <p>What OPA does: its Go wasm SDK evaluates under the caller's context; when the context is done a goroutine
 * interrupts the VM (wasmtime's epoch interruption), the call fails as cancelled ({@code "interrupted"}), and each
 * call into the module waits for that goroutine before returning, so an interrupt meant for one call never lands
 * on a later one ({@code internal/wasm/sdk/internal/wasm/vm.go}, {@code callOrCancel}). OPA's own evaluator checks a
 * cancellation flag as it evaluates ({@code topdown.Cancel}).
 *
 * <p>Here the interrupt is the thread's: Chicory's compiler (1.7.5, {@code compiler.internal.Compiler}) emits a
 * check of {@link Thread#isInterrupted()} at every backward branch and every call of compiled module code, which
 * throws {@code ChicoryInterruptedException}; so an interrupted module stops at its next loop iteration or call.
 * Host builtins are Java and do not check it; they are bounded by their own limits (input sizes, the glob budget).
 *
 * <p>The handover is race-free: a {@link Watch} fires at most once and {@link Watch#stop()} settles, under the
 * watch's lock, whether it did. After {@code stop()} the watchdog never interrupts the thread, and an interrupt it
 * made is cleared; an interrupt that was already set when the deadline came (the caller's own) is left alone.
 *
 * <p>Cheap per evaluation: starting a watch adds it to the set of running watches and stopping it removes it; the
 * watchdog thread sleeps until the earliest deadline it knows of and is woken only when a new watch is due before
 * that (in steady traffic about once per deadline, not once per evaluation: a wake-up per evaluation cost a
 * thread hand-off on every decision). When it wakes it expires the watches that are due and sleeps again.
 *
 * <p>Thread-safe. One daemon watchdog thread per engine, started with the first evaluation; {@link #close()} lets
 * the deadlines already running fire (an evaluation still in flight on a closed engine stays bounded) and then
 * ends the thread.
 */
final class EvaluationDeadline implements AutoCloseable {

    /** {@link #plannedWake} while the watchdog sleeps with no deadline to wait for, or is awake. */
    private static final long IDLE = Long.MAX_VALUE;

    private final Set<Watch> running = ConcurrentHashMap.newKeySet();
    /** The {@link System#nanoTime()} the watchdog sleeps until, or {@link #IDLE}; written by the watchdog only. */
    private volatile long plannedWake = IDLE;
    private volatile boolean closed;
    private volatile boolean terminated;
    private final AtomicLong wakeUps = new AtomicLong();
    private final Object startLock = new Object();
    private Thread watchdog;

    EvaluationDeadline() {
    }

    /**
     * Starts the deadline of an evaluation on the calling thread, {@code deadline} (positive) from now; the caller
     * must {@link Watch#stop()} it on the same thread when the evaluation ends, however it ends.
     *
     * @throws IllegalStateException when the engine is closed
     */
    Watch start(Duration deadline) {
        Thread thread = watchdogThread();
        Watch watch = new Watch(this, Thread.currentThread(), System.nanoTime() + deadline.toNanos());
        running.add(watch);
        // Read after the add: either the watchdog's next scan sees this watch, or this sees its planned wake-up.
        long planned = plannedWake;
        if (planned == IDLE || watch.deadlineNanos - planned < 0) {
            wakeUps.incrementAndGet();
            LockSupport.unpark(thread);
        }
        return watch;
    }

    private Thread watchdogThread() {
        synchronized (startLock) {
            if (closed) {
                throw new IllegalStateException("the policy engine is closed");
            }
            if (watchdog == null) {
                watchdog = new Thread(this::watch, "mcp-guard-opa-deadline");
                watchdog.setDaemon(true);
                watchdog.start();
            }
            return watchdog;
        }
    }

    /** The watchdog thread: expires due watches, then sleeps until the next deadline or a wake-up. */
    private void watch() {
        try {
            while (true) {
                long now = System.nanoTime();
                long next = IDLE;
                for (Watch watch : running) {
                    if (watch.deadlineNanos - now <= 0) {
                        watch.expire();
                        running.remove(watch);
                    } else if (next == IDLE || watch.deadlineNanos - next < 0) {
                        next = watch.deadlineNanos;
                    }
                }
                if (closed && running.isEmpty()) {
                    return;
                }
                plannedWake = next;
                // A watch started since the scan and due earlier unparks this thread (the permit is kept).
                if (next == IDLE) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, next - System.nanoTime());
                }
                // Awake: every watch started from here until the next plannedWake unparks this thread, so a watch
                // the coming scan misses makes the park after it return at once.
                plannedWake = IDLE;
            }
        } finally {
            terminated = true;
        }
    }

    /** Stops accepting deadlines; those running still fire, then the watchdog thread ends. */
    @Override
    public void close() {
        Thread thread;
        synchronized (startLock) {
            closed = true;
            thread = watchdog;
            if (thread == null) {
                terminated = true;
            }
        }
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    /** Whether {@link #close()} was called and the watchdog thread has ended. */
    boolean terminated() {
        return terminated;
    }

    /** How many starts woke the watchdog thread; for tests. */
    long wakeUps() {
        return wakeUps.get();
    }

    /** Whether the watchdog sleeps until a known deadline (not idle, not awake); for tests. */
    boolean sleepsUntilADeadline() {
        return plannedWake != IDLE;
    }

    /** Deadlines waiting to fire (stopped ones are removed at once); for tests. */
    int pending() {
        return running.size();
    }

    /** The deadline of one evaluation. Used by the evaluating thread and the scheduler thread only. */
    static final class Watch {
        private final EvaluationDeadline owner;
        private final Thread thread;
        private final long deadlineNanos;
        /** This and the two below: guarded by this watch's lock. */
        private boolean stopped;
        private boolean fired;
        private boolean interruptedBefore;

        private Watch(EvaluationDeadline owner, Thread thread, long deadlineNanos) {
            this.owner = owner;
            this.thread = thread;
            this.deadlineNanos = deadlineNanos;
        }

        /** On the scheduler thread: the deadline passed; interrupts the evaluation unless it has ended. */
        private synchronized void expire() {
            if (stopped) {
                return;
            }
            fired = true;
            interruptedBefore = thread.isInterrupted();
            if (!interruptedBefore) {
                thread.interrupt();
            }
        }

        /** Whether the deadline has passed (the watchdog interrupted the thread, or found it interrupted). */
        synchronized boolean fired() {
            return fired;
        }

        /**
         * Ends the watch, on the evaluating thread. From here on the watchdog never interrupts this thread, and the
         * interrupt it made is cleared; the caller's own interrupt stays set. A second call changes nothing and
         * returns the same answer.
         *
         * @return whether the deadline passed before the watch ended
         */
        boolean stop() {
            boolean expired;
            synchronized (this) {
                if (stopped) {
                    return fired;
                }
                stopped = true;
                expired = fired;
                if (fired && !interruptedBefore) {
                    // The interrupt was delivered inside expire(), under this lock: clear it for good.
                    Thread.interrupted();
                }
            }
            owner.running.remove(this);
            return expired;
        }
    }
}
