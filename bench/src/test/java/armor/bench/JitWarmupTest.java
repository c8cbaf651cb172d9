package armor.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitWarmupTest {
    @Test
    void runsAtLeastTheRoundsAndTheSecondsAskedFor() {
        AtomicInteger calls = new AtomicInteger();
        JitWarmup.Outcome rounds = JitWarmup.run(3, 0, calls::incrementAndGet);
        assertTrue(rounds.rounds() >= 3, rounds.toString());
        assertEquals(rounds.rounds(), calls.get(), "every round counted is a round run");

        calls.set(0);
        JitWarmup.Outcome timed = JitWarmup.run(1, 0.2, () -> {
            calls.incrementAndGet();
            sleep(20);
        });
        assertTrue(timed.seconds() >= 0.2 && timed.rounds() >= 2 && timed.rounds() == calls.get(), timed.toString());
        // the JIT may still compile a little here; even so the warm-up stops at CAP times the seconds (plus one round)
        assertTrue(timed.seconds() < JitWarmup.CAP * 0.2 + 1.0, timed.toString());
    }

    @Test
    void describesItselfInOneLine() {
        assertEquals("1 round, 0.5 s", new JitWarmup.Outcome(1, 0.5, false).describe());
        assertEquals("4 rounds, 12.0 s (the JIT was still compiling when it stopped)",
                new JitWarmup.Outcome(4, 12.0, true).describe());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
