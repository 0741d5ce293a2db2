package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.testing.Eventually;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog behind the embedded engine's evaluation deadline, with work that stops at an interrupt as Chicory's
 * compiled code does (a check of {@link Thread#isInterrupted()} at each loop iteration). The race between an
 * evaluation ending and its deadline firing is run thousands of times; waits are generous bounds, no assertion is
 * on timing.
 */
class EvaluationDeadlineTest {

    private static final Duration GENEROUS = Duration.ofSeconds(60);

    private final EvaluationDeadline watchdog = new EvaluationDeadline();

    @AfterEach
    void closeWatchdog() {
        watchdog.close();
        Thread.interrupted();
    }

    /** Spins for {@code nanos} unless interrupted first, as compiled module code would; true if interrupted. */
    private static boolean workStoppedByInterrupt(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            if (Thread.currentThread().isInterrupted()) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** Waits, bounded, until {@code watch} has fired, without being thrown off by the interrupt it makes. */
    private static void untilFired(EvaluationDeadline.Watch watch) {
        long end = System.nanoTime() + GENEROUS.toNanos();
        while (!watch.fired()) {
            assertThat(System.nanoTime() - end).as("the deadline fired within " + GENEROUS).isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void anInterruptOfTheWatchdogNeverOutlivesItsWatchAndOnlyAnExpiredWatchInterrupts() throws Exception {
        // Work of 0 to 2 ms against a deadline of 1 ms: finished before it, stopped by it, and ending as it fires.
        CountDownLatch never = new CountDownLatch(1);
        int expired = 0;
        int rounds = 3000;
        for (int i = 0; i < rounds; i++) {
            long work = ThreadLocalRandom.current().nextLong(0, 2_000_000);
            EvaluationDeadline.Watch watch = watchdog.start(Duration.ofMillis(1));
            boolean stoppedByInterrupt = workStoppedByInterrupt(work);
            boolean fired = watch.stop();

            assertThat(Thread.currentThread().isInterrupted()).as("round %d: interrupt flag after stop()", i).isFalse();
            assertThat(never.await(20, TimeUnit.MICROSECONDS)).isFalse(); // throws if an interrupt lands later
            if (stoppedByInterrupt) {
                assertThat(fired).as("round %d: only the deadline interrupts", i).isTrue();
            }
            assertThat(watch.stop()).as("stop() again: the same answer").isEqualTo(fired);
            expired += fired ? 1 : 0;
        }
        System.out.printf("Watchdog race: %d of %d watches expired at 1 ms, %d ended before%n", expired, rounds,
                rounds - expired);
        Eventually.within(GENEROUS, "no deadline left queued", () -> watchdog.pending() == 0);
    }

    @Test
    void aWatchStoppedBeforeItsDeadlineIsCancelledAndNeverFires() throws Exception {
        EvaluationDeadline.Watch watch = watchdog.start(Duration.ofMinutes(10));
        assertThat(watchdog.pending()).isEqualTo(1);

        assertThat(watch.stop()).isFalse();

        assertThat(watchdog.pending()).as("removed from the scheduler at once").isZero();
        assertThat(watch.fired()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void evaluationsDueAfterTheDeadlineTheWatchdogSleepsUntilNeverWakeIt() {
        EvaluationDeadline.Watch held = watchdog.start(Duration.ofMinutes(10));
        Eventually.within(GENEROUS, "the watchdog sleeps until the held deadline", watchdog::sleepsUntilADeadline);
        long before = watchdog.wakeUps();

        for (int i = 0; i < 1000; i++) {
            assertThat(watchdog.start(Duration.ofMinutes(20)).stop()).isFalse();
        }

        assertThat(watchdog.wakeUps() - before).as("wake-ups of the watchdog by 1000 later deadlines").isZero();
        assertThat(watchdog.pending()).isEqualTo(1);
        assertThat(held.stop()).isFalse();
        // A deadline earlier than the one it sleeps until does wake it, and fires.
        EvaluationDeadline.Watch early = watchdog.start(Duration.ofMillis(5));
        untilFired(early);
        assertThat(early.stop()).isTrue();
    }

    @Test
    void anExpiredWatchInterruptsTheWorkAndStopClearsTheInterrupt() {
        EvaluationDeadline.Watch watch = watchdog.start(Duration.ofMillis(5));

        assertThat(workStoppedByInterrupt(GENEROUS.toNanos())).as("the work was interrupted").isTrue();
        assertThat(watch.stop()).isTrue();

        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void theCallersInterruptSetBeforeTheDeadlineFiresIsKept() {
        EvaluationDeadline.Watch watch = watchdog.start(Duration.ofMillis(5));
        Thread.currentThread().interrupt(); // the caller's own, during the evaluation

        untilFired(watch);

        assertThat(watch.stop()).isTrue();
        assertThat(Thread.interrupted()).as("the caller's interrupt is still set").isTrue();
    }

    @Test
    void theCallersInterruptDuringAnEvaluationThatEndsInTimeIsKept() {
        EvaluationDeadline.Watch watch = watchdog.start(Duration.ofMinutes(10));
        Thread.currentThread().interrupt();

        assertThat(watch.stop()).isFalse();

        assertThat(Thread.interrupted()).isTrue();
    }

    @Test
    void afterCloseNewWatchesAreRefusedButRunningDeadlinesStillFire() {
        EvaluationDeadline.Watch running = watchdog.start(Duration.ofMillis(20));

        watchdog.close();

        assertThatThrownBy(() -> watchdog.start(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(workStoppedByInterrupt(GENEROUS.toNanos())).as("the running deadline still fired").isTrue();
        assertThat(running.stop()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        Eventually.within(GENEROUS, "the scheduler thread ended", watchdog::terminated);
    }
}
