package dev.mcpguard.core.policy.opa;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

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
 * <p>Thread-safe. One daemon scheduler thread per engine, started with the first evaluation; {@link #close()} lets
 * the deadlines already running fire (an evaluation still in flight on a closed engine stays bounded) and then
 * ends the thread.
 */
final class EvaluationDeadline implements AutoCloseable {

    private final ScheduledThreadPoolExecutor scheduler;

    EvaluationDeadline() {
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "mcp-guard-opa-deadline");
            thread.setDaemon(true);
            return thread;
        });
        // A deadline is cancelled by nearly every evaluation: drop it from the queue at once, not when it is due.
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(true);
    }

    /**
     * Starts the deadline of an evaluation on the calling thread, {@code deadline} (positive) from now; the caller
     * must {@link Watch#stop()} it on the same thread when the evaluation ends, however it ends.
     *
     * @throws IllegalStateException when the engine is closed
     */
    Watch start(Duration deadline) {
        Watch watch = new Watch(Thread.currentThread());
        try {
            watch.task = scheduler.schedule(watch::expire, deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            throw new IllegalStateException("the policy engine is closed", closed);
        }
        return watch;
    }

    /** Stops accepting deadlines; those running still fire, then the scheduler thread ends. */
    @Override
    public void close() {
        scheduler.shutdown();
    }

    /** Whether {@link #close()} was called and the scheduler thread has ended. */
    boolean terminated() {
        return scheduler.isTerminated();
    }

    /** Deadlines waiting to fire (cancelled ones are removed at once); for tests. */
    int pending() {
        return scheduler.getQueue().size();
    }

    /** The deadline of one evaluation. Used by the evaluating thread and the scheduler thread only. */
    static final class Watch {
        private final Thread thread;
        /** Written and read by the evaluating thread only. */
        private Future<?> task;
        /** This and the two below: guarded by this watch's lock. */
        private boolean stopped;
        private boolean fired;
        private boolean interruptedBefore;

        private Watch(Thread thread) {
            this.thread = thread;
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
            if (!expired) {
                task.cancel(false);
            }
            return expired;
        }
    }
}
