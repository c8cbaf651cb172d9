package armor.bench;

import armor.runtime.generate.Sampler;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Measures model variants (dense, 2:4, ARMOR) the same way for all: batch-1 decode tokens/s and prefill
 * tokens/s, each after warm-up, over several repetitions, reported as median with min and max.
 */
public final class KindComparison {
    /** Median, min and max of repeated measurements. */
    public record Stat(double median, double min, double max) {
        static Stat of(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            int n = s.length;
            double med = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
            return new Stat(med, s[0], s[n - 1]);
        }

        /** Half the min–max range relative to the median, in percent. */
        public double spreadPercent() {
            return median == 0 ? 0 : 50 * (max - min) / median;
        }
    }

    /**
     * @param weightBytes        bytes of all weights held (embedding table included)
     * @param bytesPerToken      bytes of weights read for one decoded token (the model's own count)
     */
    public record Result(String kind, Stat decodeTokensPerSecond, Stat prefillTokensPerSecond, int prefillTokens,
                         long weightBytes, long bytesPerToken) {
        /** Achieved weight bandwidth at the median decode speed, GB/s. */
        public double decodeGBs() {
            return bytesPerToken * decodeTokensPerSecond.median() / 1e9;
        }
    }

    /** Benchmark settings: decode repetitions of {@code decodeTokens} each after {@code warmupTokens}; prefill repetitions. */
    public record Settings(int promptTokens, int warmupTokens, int decodeTokens, int decodeRepetitions,
                           int prefillTokens, int prefillRepetitions) {}

    private KindComparison() {}

    /** A model variant to measure: its kind label, the model, and the bytes of weights it holds. */
    public record Variant(String kind, Model model, long weightBytes) {}

    /**
     * Measures all variants interleaved (decode token by token, prefill repetition by repetition), so that a change
     * of machine load during the run hits every kind alike and the ratios stay fair.
     */
    public static List<Result> measure(List<Variant> variants, Settings s, Consumer<String> log) {
        int n = variants.size();
        double[][] decode = new double[n][s.decodeRepetitions()];
        double[][] prefill = new double[n][s.prefillRepetitions()];
        SequenceState[] seqs = new SequenceState[n];
        int[] next = new int[n];
        try {
            for (int v = 0; v < n; v++) {
                Model model = variants.get(v).model();
                int vocab = model.config().vocabSize();
                seqs[v] = model.newSequence(s.promptTokens() + s.warmupTokens() + s.decodeTokens() * s.decodeRepetitions());
                next[v] = Sampler.argmax(model.forward(List.of(Step.of(seqs[v], tokens(s.promptTokens(), vocab, 1))), false, null));
                for (int i = 0; i < s.warmupTokens(); i++) next[v] = decodeOne(model, seqs[v], next[v]);
            }
            // token by token in turn (dense, 2:4, ARMOR, dense, ...): on a shared machine the load changes within
            // seconds, and alternating single tokens gives every kind the same share of good and bad moments
            for (int r = 0; r < s.decodeRepetitions(); r++) {
                long[] nanos = new long[n];
                for (int i = 0; i < s.decodeTokens(); i++) {
                    for (int v = 0; v < n; v++) {
                        long t0 = System.nanoTime();
                        next[v] = decodeOne(variants.get(v).model(), seqs[v], next[v]);
                        nanos[v] += System.nanoTime() - t0;
                    }
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "decode %d/%d:", r + 1, s.decodeRepetitions()));
                for (int v = 0; v < n; v++) {
                    decode[v][r] = s.decodeTokens() / (nanos[v] / 1e9);
                    line.append(String.format(Locale.ROOT, " %s %.2f tok/s", variants.get(v).kind(), decode[v][r]));
                }
                log.accept(line.toString());
            }
        } finally {
            for (SequenceState q : seqs) if (q != null) q.free();
        }
        // prefill: a short warm-up prompt compiles the batched kernels, then fresh sequences of the full length
        for (Variant v : variants) prefillOnce(v.model(), tokens(Math.min(64, s.prefillTokens()), v.model().config().vocabSize(), 2));
        for (int r = 0; r < s.prefillRepetitions(); r++) {
            for (int v = 0; v < n; v++) {
                Model model = variants.get(v).model();
                prefill[v][r] = s.prefillTokens() / prefillOnce(model, tokens(s.prefillTokens(), model.config().vocabSize(), 3 + r));
                log.accept(String.format(Locale.ROOT, "prefill %d/%d %-6s %.2f tok/s", r + 1, s.prefillRepetitions(), variants.get(v).kind(), prefill[v][r]));
            }
        }
        List<Result> out = new java.util.ArrayList<>();
        for (int v = 0; v < n; v++) {
            Variant var = variants.get(v);
            out.add(new Result(var.kind(), Stat.of(decode[v]), Stat.of(prefill[v]), s.prefillTokens(), var.weightBytes(),
                    var.model().decoder().weightBytesPerToken()));
        }
        return out;
    }

    private static int decodeOne(Model model, SequenceState seq, int token) {
        return Sampler.argmax(model.forward(List.of(Step.of(seq, token)), false, null));
    }

    private static double prefillOnce(Model model, int[] prompt) {
        SequenceState seq = model.newSequence(prompt.length);
        try {
            long t0 = System.nanoTime();
            model.forward(List.of(Step.of(seq, prompt)), false, null);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            seq.free();
        }
    }

    private static int[] tokens(int n, int vocab, int salt) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (int) ((i * 7919L + 13L * salt) % vocab);
        return t;
    }
}
