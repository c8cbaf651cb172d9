package armor.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Untimed rounds before a timed benchmark, until the code the timed rounds run is the code C2 settles on: at least
 * {@code minRounds} rounds and {@code minSeconds}, then on while the JIT still compiled for more than 1 % of the last
 * round's time, up to {@link #CAP} × {@code minSeconds}.
 *
 * <p>Why it matters for the kernels: a kernel runs long loops but is called only a few dozen times a step, so the JVM
 * compiles it with C2 only after hundreds of calls, and a deoptimization (a branch C2 had pruned, taken for the first
 * time by a new batch shape) sends the rest of a call back to the interpreter. Until C2 has it again, the Vector API
 * runs its Java fallback, every vector an object on the heap: one such episode of the int8 head cost 1–2 s and 2–6 GB
 * of garbage in a {@code bench-serve} whose timed phase lasted 10 s (docs/benchmarks.md, "The JIT inside the timed
 * phase").
 */
public final class JitWarmup {
    /** Warm-up goes on while the JIT compiles, up to this many times the minimum seconds. */
    public static final int CAP = 6;

    /** What the warm-up did: its rounds, its seconds, and whether the JIT was still compiling when it stopped. */
    public record Outcome(int rounds, double seconds, boolean stillCompiling) {
        /** One line for the log, e.g. "3 rounds, 12.4 s". */
        public String describe() {
            return String.format(Locale.ROOT, "%d round%s, %.1f s%s", rounds, rounds == 1 ? "" : "s", seconds,
                    stillCompiling ? " (the JIT was still compiling when it stopped)" : "");
        }
    }

    private JitWarmup() {}

    /** Runs {@code round} as described above. */
    public static Outcome run(int minRounds, double minSeconds, Runnable round) {
        long start = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        boolean compiling = jitTimed;
        int rounds = 0;
        while (rounds < minRounds || elapsed(start) < minSeconds || (compiling && elapsed(start) < CAP * minSeconds)) {
            long jit0 = jitTimed ? jit.getTotalCompilationTime() : 0, t0 = System.nanoTime();
            round.run();
            // the JIT's threads still busy for more than 1 % of the round: the next rounds will not run the code the
            // timed ones will
            compiling = jitTimed && (jit.getTotalCompilationTime() - jit0) * 1e6 > 0.01 * (System.nanoTime() - t0);
            rounds++;
        }
        return new Outcome(rounds, elapsed(start), compiling);
    }

    private static double elapsed(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
