package armor.bench;

import armor.runtime.model.Model;

import java.util.List;
import java.util.function.Consumer;

/**
 * Batch-1 decode speed of one model through the generation loop users run ({@link KindComparison#decodeRounds}:
 * warm-up rounds, then timed rounds of one greedy sequence each), and whether that speed can be told at all
 * ({@link #verdict}).
 */
public final class DecodeBenchmark {
    /**
     * A decode step shorter than this, in the best round, does too little work to be timed: a round of 16 such tokens
     * lasts less than one or two of the operating system's time slices, and what is measured is the loop's fixed cost
     * per token (the scheduler's hand-off, the kernel pool's hand-offs, sampling) and whether the thread was
     * preempted, not the model's weights. Measured (docs/benchmarks.md): stories260K decodes in 0.1–0.3 ms a token
     * after warm-up, and its rounds range over a factor of 2–30 in one run; stories15M takes 7–15 ms.
     */
    public static final double TOO_SMALL_SECONDS = 1e-3;

    /**
     * Rounds whose spread (half the min–max range, relative to the median) exceeds this are not a measurement either:
     * the machine's load changed by more than the differences between kinds that the row is there to show.
     */
    public static final double TOO_NOISY_PERCENT = 20;

    /** Whether a decode speed was measured, or why not. */
    public enum Verdict {
        TIMED("timed"), TOO_SMALL("too small to time"), TOO_NOISY("too noisy to time");

        /** What a table says instead of a number. */
        public final String phrase;

        Verdict(String phrase) {
            this.phrase = phrase;
        }
    }

    /**
     * @param tokensPerSecond  decode tokens/s of each timed round, as median, min and max
     * @param bestStepSeconds  time per decoded token in the fastest round: the model's own cost, least disturbed
     */
    public record Result(String label, KindComparison.Stat tokensPerSecond, double bestStepSeconds, long weightBytesPerToken) {
        public Verdict verdict() {
            return DecodeBenchmark.verdict(bestStepSeconds, tokensPerSecond.spreadPercent());
        }
    }

    /** Settings of prune-serve's speed row: 16 prompt tokens, 16-token rounds, 5 s of warm-up, 7 timed rounds. */
    public static final KindComparison.Settings DEFAULT = new KindComparison.Settings(16, 16, 5, 16, 7, 0, 0);

    private DecodeBenchmark() {}

    /** The rule: too small under {@link #TOO_SMALL_SECONDS} a token, else too noisy over {@link #TOO_NOISY_PERCENT}. */
    public static Verdict verdict(double bestStepSeconds, double spreadPercent) {
        if (bestStepSeconds < TOO_SMALL_SECONDS) return Verdict.TOO_SMALL;
        if (!(spreadPercent <= TOO_NOISY_PERCENT)) return Verdict.TOO_NOISY;
        return Verdict.TIMED;
    }

    public static Result run(String label, Model model, KindComparison.Settings settings, Consumer<String> log) {
        double[] rates = KindComparison.decodeRounds(List.of(model), List.of(label), settings, log)[0];
        KindComparison.Stat stat = KindComparison.Stat.of(rates);
        return new Result(label, stat, 1 / stat.max(), model.decoder().weightBytesPerToken());
    }
}
