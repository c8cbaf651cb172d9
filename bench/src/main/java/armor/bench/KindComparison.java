package armor.bench;

import armor.runtime.generate.SamplingParams;
import armor.runtime.linear.Linear;
import armor.runtime.model.Decoder;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Measures model variants (dense, 2:4, ARMOR) the same way for all, through the generation loop users run
 * ({@link GenerationLoop}: one sequence, greedy, EOS ignored): batch-1 decode tokens/s and prefill tokens/s, each after
 * warm-up, over several repetitions, reported as median with min and max.
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
    /**
     * @param denseMultiplyAdds multiply-adds per token of the decoder layers' projections as dense matrices (Σ in × out):
     *                          the work a dense prefill does, whatever the kind (2:4 does half of it in its core)
     */
    public record Result(String kind, Stat decodeTokensPerSecond, Stat prefillTokensPerSecond, int prefillTokens,
                         long weightBytes, long bytesPerToken, long denseMultiplyAdds) {
        /** Achieved weight bandwidth at the median decode speed, GB/s. */
        public double decodeGBs() {
            return bytesPerToken * decodeTokensPerSecond.median() / 1e9;
        }

        /** Dense-equivalent arithmetic rate of the median prefill, GFLOP/s (two flops a multiply-add). */
        public double prefillGflops() {
            return 2.0 * denseMultiplyAdds * prefillTokensPerSecond.median() / 1e9;
        }
    }

    /**
     * Σ in × out over the decoder layers' projections, as dense matrices; with the LM head when {@code withHead} (every
     * decoded token runs it; a prefill only for its last token).
     */
    public static long denseMultiplyAdds(Decoder decoder, boolean withHead) {
        long n = withHead ? (long) decoder.lmHead().inFeatures() * decoder.lmHead().outFeatures() : 0;
        for (int l = 0; l < decoder.numLayers(); l++)
            for (String p : DecoderLayer.PROJECTIONS) {
                Linear lin = decoder.layer(l).linear(p);
                n += (long) lin.inFeatures() * lin.outFeatures();
            }
        return n;
    }

    /**
     * Benchmark settings. Decode: rounds of one sequence per kind, each {@code promptTokens} of prompt and
     * {@code decodeTokens} timed tokens after the first (which the prefill gives); untimed rounds first until every
     * kind decoded {@code warmupTokens} tokens, {@code warmupSeconds} passed and a round went by in which the JIT
     * compiled for at most 1 % of the round's time (or {@link JitWarmup#CAP} × the seconds passed), then {@code decodeRepetitions} timed
     * rounds. Prefill: {@code prefillRepetitions} sequences of {@code prefillTokens} prompt tokens and one generated.
     */
    public record Settings(int promptTokens, int warmupTokens, double warmupSeconds, int decodeTokens,
                           int decodeRepetitions, int prefillTokens, int prefillRepetitions) {}

    private KindComparison() {}

    /** A model variant to measure: its kind label, the model, and the bytes of weights it holds. */
    public record Variant(String kind, Model model, long weightBytes) {}

    /** The sampling of every measured sequence: greedy (the runtime's sampler at temperature 0). */
    public static final SamplingParams SAMPLING = SamplingParams.GREEDY;

    /**
     * Measures all variants through the generation loop users run ({@link GenerationLoop}), interleaved (decode token
     * by token, prefill repetition by repetition), so that a change of machine load during the run hits every kind
     * alike and the ratios stay fair. A prefill longer than the context is shortened to fit, and said so.
     */
    public static List<Result> measure(List<Variant> variants, Settings s, Consumer<String> log) {
        int n = variants.size();
        List<Model> models = variants.stream().map(Variant::model).toList();
        List<String> kinds = variants.stream().map(Variant::kind).toList();
        double[][] decode = decodeRounds(models, kinds, s, log);
        int context = Integer.MAX_VALUE;
        for (Model m : models) context = Math.min(context, m.config().maxPositions());
        int prefillTokens = Math.min(s.prefillTokens(), context - 1);
        if (prefillTokens < s.prefillTokens()) {
            log.accept("prefill: " + s.prefillTokens() + " prompt tokens do not fit the context of " + context
                    + " with one to generate; timing " + prefillTokens);
        }
        // prefill: a short warm-up prompt compiles the batched kernels, then fresh sequences of the full length
        GenerationLoop.run(models, prompts(models, Math.min(64, prefillTokens), 2), 1, SAMPLING);
        double[][] prefill = new double[n][s.prefillRepetitions()];
        for (int r = 0; r < s.prefillRepetitions(); r++) {
            List<GenerationLoop.Sequence> seqs = GenerationLoop.run(models, prompts(models, prefillTokens, 3 + r), 1, SAMPLING);
            for (int v = 0; v < n; v++) {
                prefill[v][r] = prefillTokens / seqs.get(v).prefillSeconds();
                log.accept(String.format(Locale.ROOT, "prefill %d/%d %-6s %.2f tok/s", r + 1, s.prefillRepetitions(), kinds.get(v), prefill[v][r]));
            }
        }
        List<Result> out = new java.util.ArrayList<>();
        for (int v = 0; v < n; v++) {
            Variant var = variants.get(v);
            out.add(new Result(var.kind(), Stat.of(decode[v]), Stat.of(prefill[v]), prefillTokens, var.weightBytes(),
                    var.model().decoder().weightBytesPerToken(), denseMultiplyAdds(var.model().decoder(), false)));
        }
        return out;
    }

    /**
     * Decode tokens/s of each model in each timed round ({@code [model][round]}): warm-up rounds, then
     * {@code decodeRepetitions} timed ones, every round one sequence per model through the generation loop.
     */
    static double[][] decodeRounds(List<Model> models, List<String> kinds, Settings s, Consumer<String> log) {
        int n = models.size();
        List<int[]> prompt = prompts(models, s.promptTokens(), 1);
        int length = s.decodeTokens() + 1; // the first token comes from the prefill
        // every round decodes decodeTokens per kind: enough rounds for warmupTokens
        int minRounds = (s.warmupTokens() + s.decodeTokens() - 1) / s.decodeTokens();
        JitWarmup.Outcome warm = JitWarmup.run(minRounds, s.warmupSeconds(),
                () -> GenerationLoop.run(models, prompt, length, SAMPLING));
        if (warm.rounds() > 0)
            log.accept(String.format(Locale.ROOT, "warm-up, rounds of %d tokens per kind: %s", s.decodeTokens(), warm.describe()));
        double[][] decode = new double[n][s.decodeRepetitions()];
        for (int r = 0; r < s.decodeRepetitions(); r++) {
            List<GenerationLoop.Sequence> seqs = GenerationLoop.run(models, prompt, length, SAMPLING);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "decode %d/%d:", r + 1, s.decodeRepetitions()));
            for (int v = 0; v < n; v++) {
                decode[v][r] = seqs.get(v).decodeTokensPerSecond();
                line.append(String.format(Locale.ROOT, " %s %.2f tok/s", kinds.get(v), decode[v][r]));
            }
            log.accept(line.toString());
        }
        return decode;
    }

    private static List<int[]> prompts(List<Model> models, int n, int salt) {
        return models.stream().map(m -> tokens(n, m.config().vocabSize(), salt)).toList();
    }

    private static int[] tokens(int n, int vocab, int salt) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (int) ((i * 7919L + 13L * salt) % vocab);
        return t;
    }
}
