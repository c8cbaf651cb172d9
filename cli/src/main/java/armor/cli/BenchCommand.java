package armor.cli;

import armor.bench.DecodeBenchmark;
import armor.bench.MemoryBandwidth;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.Parallel;
import armor.runtime.model.Model;
import armor.runtime.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code armor bench}: batch-1 decode tokens/s of a model (by default a Llama-3.2-1B-shaped model with random bf16
 * weights, made in memory), the memory bandwidth that implies, and the bandwidth plain Java copy/triad loops reach
 * in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Decode benchmark: tokens/s at batch 1, implied weight bandwidth vs measured copy/triad bandwidth.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "llama-3.2-1b",
            description = "random-weight model shape when --model is not given: llama-3.2-1b (default)")
    String preset;

    @Option(names = "--model", description = "benchmark this model folder instead of a random preset")
    Path model;

    @Option(names = "--dtype", defaultValue = "bf16", description = "weight dtype of the random preset: bf16, f16, f32")
    String dtype;

    @Option(names = "--tokens", defaultValue = "32", description = "timed decode tokens (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--warmup", defaultValue = "8", description = "untimed decode tokens first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length before decoding")
    int promptTokens;

    @Option(names = "--bandwidth-mb", defaultValue = "256", description = "MB per array of the copy/triad loops")
    int bandwidthMb;

    @Override
    public Integer call() {
        System.err.printf("armor: bench on %d threads%n", Parallel.threads());
        MemoryBandwidth.Result bw = MemoryBandwidth.measure(bandwidthMb * (1 << 20) / 4, 3);
        DecodeBenchmark.Result r;
        String label;
        if (model != null) {
            try (Model m = Model.load(model)) {
                label = model.toString();
                r = DecodeBenchmark.run(label, m, promptTokens, warmup, tokens);
            }
        } else {
            ModelConfig config = switch (preset) {
                case "llama-3.2-1b" -> ModelConfig.llama32_1B();
                default -> throw new IllegalArgumentException("--preset " + preset + ", expected llama-3.2-1b");
            };
            DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "bf16" -> DType.BF16;
                case "f16" -> DType.F16;
                case "f32" -> DType.F32;
                default -> throw new IllegalArgumentException("--dtype " + dtype + ", expected bf16, f16 or f32");
            };
            System.err.printf("armor: making %s with random %s weights in memory...%n", preset, dt);
            label = preset + " " + dt + " random, dense";
            try (Model m = Model.random(config, dt, 1)) {
                r = DecodeBenchmark.run(label, m, promptTokens, warmup, tokens);
            }
        }
        // A second bandwidth measurement after the decode run: the machine is shared, take the better of the two.
        MemoryBandwidth.Result bw2 = MemoryBandwidth.measure(bandwidthMb * (1 << 20) / 4, 3);
        double copy = Math.max(bw.copyGBs(), bw2.copyGBs()), triad = Math.max(bw.triadGBs(), bw2.triadGBs());
        double ref = Math.max(copy, triad);
        System.out.printf(Locale.ROOT, "model                 %s%n", r.label());
        System.out.printf(Locale.ROOT, "threads               %d%n", Parallel.threads());
        System.out.printf(Locale.ROOT, "decode                %.2f tok/s (%d tokens in %.2f s, batch 1)%n",
                r.tokensPerSecond(), r.tokens(), r.seconds());
        System.out.printf(Locale.ROOT, "weight bytes / token  %,d (%.3f GB)%n", r.weightBytesPerToken(), r.weightBytesPerToken() / 1e9);
        System.out.printf(Locale.ROOT, "implied bandwidth     %.2f GB/s%n", r.impliedGBs());
        System.out.printf(Locale.ROOT, "java copy / triad     %.2f / %.2f GB/s%n", copy, triad);
        System.out.printf(Locale.ROOT, "ratio                 %.0f %% of the better of copy and triad%n", 100 * r.impliedGBs() / ref);
        return 0;
    }
}
