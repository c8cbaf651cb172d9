package armor.cli;

import armor.bench.FmaPeak;
import armor.bench.KindComparison;
import armor.bench.RandomWeights;
import armor.bench.JitWarmup;
import armor.bench.ServeBenchmark;
import armor.bench.KindWeights;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.Parallel;
import armor.runtime.model.Model;
import armor.runtime.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import armor.runtime.generate.SamplingParams;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code armor bench-serve}: aggregate decode tokens/s of the server's continuous-batching scheduler at several
 * concurrencies, on a model folder or a random-weight model of a real shape.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = "Continuous-batching benchmark: aggregate decode tokens/s at each concurrency (default 1 and 8), "
                + "on a random-weight Llama-3.2-1B-shaped model unless --model is given; with --kinds, for dense, "
                + "naive 2:4 and ARMOR versions of it in turn.")
public final class BenchServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", defaultValue = "llama-3.2-1b",
            description = "random-weight model shape when --model is not given: llama-3.2-1b (default), qwen2.5-0.5b, "
                    + "qwen2.5-1.5b, llama-2-7b")
    String preset;

    @Option(names = "--model", description = "benchmark this model folder instead of a random preset")
    Path model;

    @Option(names = "--dtype", defaultValue = "bf16", description = "weight dtype of the random preset: bf16, f16, f32")
    String dtype;

    @Option(names = "--kinds", split = ",", defaultValue = "dense", completionCandidates = BenchOptions.Kinds.class,
            description = "layer kinds of the random preset, measured in turn: ${COMPLETION-CANDIDATES} (2:4 by magnitude, "
                    + "ARMOR with random near-identity A and B; the int8 and int4 kinds quantized as `armor quantize` does); "
                    + "default ${DEFAULT-VALUE}. A --model folder is measured as stored.")
    List<String> kinds;

    @Option(names = "--block-size", defaultValue = "128", description = "ARMOR block size for --kinds armor (default ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,8",
            description = "concurrent sequences, comma-separated (default ${DEFAULT-VALUE})")
    List<Integer> concurrency;

    @Option(names = "--tokens", defaultValue = "16", description = "tokens generated per sequence (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default ${DEFAULT-VALUE}); with"
            + " --top-k/--top-p/--min-p this measures the sampler on the scheduler thread")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = off (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus over what top-k kept; 1 = off (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.0", description = "drop tokens below min-p × the top probability; 0 = off (default ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length of each sequence (default ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--repetitions", defaultValue = "3", description = "timed runs at each concurrency; the row shows the "
            + "run of median decode tokens/s and the range of all (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "untimed runs at each concurrency first, the "
            + "same shape as the timed ones: at least one and this long, then on while the JIT is still compiling, up to "
            + JitWarmup.CAP + " times this (default ${DEFAULT-VALUE})")
    double warmupSeconds;

    private SamplingParams sampling;
    private FmaPeak.Result peak;

    @Override
    public Integer call() {
        if (tokens < 2) throw new ParameterException(spec.commandLine(), "--tokens " + tokens + ", expected >= 2");
        if (promptTokens < 1) throw new ParameterException(spec.commandLine(), "--prompt-tokens " + promptTokens + ", expected >= 1");
        if (repetitions < 1) throw new ParameterException(spec.commandLine(), "--repetitions " + repetitions + ", expected >= 1");
        if (!(warmupSeconds >= 0))
            throw new ParameterException(spec.commandLine(), "--warmup-seconds " + warmupSeconds + ", expected >= 0");
        for (int c : concurrency) {
            if (c < 1 || c > 256) throw new ParameterException(spec.commandLine(), "--concurrency " + c + ", expected 1..256");
        }
        BenchOptions.checkKinds(spec, kinds, blockSize);
        try {
            sampling = new SamplingParams(temperature, topK, topP, minP, 0, 0, 1, 42);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (model != null) {
            if (!kinds.equals(List.of("dense")))
                throw new ParameterException(spec.commandLine(), "--kinds applies to random presets; --model " + model
                        + " is measured as stored (convert it first for another kind)");
            try (Model m = Model.load(model)) {
                measure(m, model.toString());
            }
            return 0;
        }
        ModelConfig config = BenchOptions.preset(spec, preset);
        DType dt = BenchOptions.weightDType(spec, dtype);
        for (String kind : kinds) {
            System.err.printf("armor: making random %s weights of the %s shape (%s)...%n", dtype, preset, kind);
            RandomWeights dense = new RandomWeights(config, dt, 42);
            try {
                Model m;
                try (KindWeights w = KindWeights.of(kind, dense, blockSize)) {
                    m = Model.of(config, w.weights()); // the layers repack what they need; the temporaries can go
                }
                measure(m, preset + " (random " + dtype + (kind.equals("dense") ? ")" : ", " + kind + ")"));
            } finally {
                dense.close(); // one kind's weights at a time: a 7B preset does not fit three times
            }
        }
        return 0;
    }

    /**
     * Prints one row per concurrency for {@code m}, each after its own warm-up (the batch shapes the timed runs see);
     * the model's weights are the caller's to close.
     */
    private void measure(Model m, String label) {
        System.err.printf("armor: bench-serve on %d threads, %s, %d prompt + %d generated tokens per sequence%n",
                Parallel.threads(), label, promptTokens, tokens);
        if (peak == null) peak = FmaPeak.measure(3); // once a command: the machine's, not the model's
        double flopsPerToken = 2.0 * KindComparison.denseMultiplyAdds(m.decoder(), true);
        System.out.println(label);
        System.out.printf(Locale.ROOT, "float32 FMA peak %.0f GFLOP/s on %d threads; GFLOP/s counts the projections and "
                + "head as dense (%.3g GFLOP a token)%n", peak.allThreadsGflops(), peak.threads(), flopsPerToken / 1e9);
        System.out.printf(Locale.ROOT, "%-12s %14s %16s %12s %10s %16s %10s %12s %16s%n", "concurrency", "decode tok/s",
                "per-seq tok/s", "wall tok/s", "speed-up", "sampling ms/tok", "GFLOP/s", "% FMA peak", "range of runs");
        double base = Double.NaN;
        for (int c : concurrency) {
            JitWarmup.Outcome warm = JitWarmup.run(1, warmupSeconds, () -> ServeBenchmark.run(m, c, promptTokens, tokens, sampling));
            System.err.printf("armor: warm-up at %d sequence%s: %s%n", c, c == 1 ? "" : "s", warm.describe());
            List<ServeBenchmark.Result> runs = new ArrayList<>();
            for (int i = 0; i < repetitions; i++) runs.add(ServeBenchmark.run(m, c, promptTokens, tokens, sampling));
            runs.sort(Comparator.comparingDouble(ServeBenchmark.Result::decodeTokensPerSecond));
            ServeBenchmark.Result r = runs.get(runs.size() / 2);
            if (Double.isNaN(base)) base = r.decodeTokensPerSecond();
            double gflops = r.decodeTokensPerSecond() * flopsPerToken / 1e9;
            System.out.printf(Locale.ROOT, "%-12d %14.2f %16.2f %12.2f %9.2fx %16.3f %10.1f %11.0f%% %16s%n", c,
                    r.decodeTokensPerSecond(), r.decodeTokensPerSecond() / c, r.wallTokensPerSecond(),
                    r.decodeTokensPerSecond() / base, r.samplingMillisPerToken(), gflops, 100 * gflops / peak.allThreadsGflops(),
                    String.format(Locale.ROOT, "%.2f-%.2f", runs.getFirst().decodeTokensPerSecond(),
                            runs.getLast().decodeTokensPerSecond()));
            System.out.flush();
        }
    }
}
