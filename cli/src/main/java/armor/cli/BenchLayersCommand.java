package armor.cli;

import armor.bench.LayerBenchmark;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.Parallel;
import armor.runtime.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code armor bench-layers}: per-projection time of dense, 2:4 and ARMOR linears of a preset's shapes. */
@Command(name = "bench-layers", mixinStandardHelpOptions = true,
        description = "Where a token's time goes: microseconds and GB/s of each projection of a preset's decoder layer, "
                + "for dense, naive 2:4 and ARMOR linears (random weights, one copy per layer so that they stream "
                + "from memory as in the model), and the whole layer's ratio to the first kind.")
public final class BenchLayersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", defaultValue = "llama-3.2-1b",
            description = "model shape: llama-3.2-1b (default), qwen2.5-0.5b, qwen2.5-1.5b, llama-2-7b")
    String preset;

    @Option(names = "--dtype", defaultValue = "bf16", description = "weight dtype: bf16 (default), f16, f32")
    String dtype;

    @Option(names = "--kinds", split = ",", defaultValue = "dense,2:4,armor", completionCandidates = BenchOptions.Kinds.class,
            description = "layer kinds: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    List<String> kinds;

    @Option(names = "--block-size", defaultValue = "128", description = "ARMOR block size (default ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--tokens", defaultValue = "1", description = "tokens per forward: 1 is decode, more is prefill or a batch (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--repetitions", defaultValue = "15", description = "timed passes over all copies; the median is reported (default ${DEFAULT-VALUE})")
    int repetitions;

    @Override
    public Integer call() {
        BenchOptions.checkKinds(spec, kinds, blockSize);
        if (tokens < 1 || repetitions < 1)
            throw new ParameterException(spec.commandLine(), "--tokens and --repetitions must be at least 1");
        ModelConfig config = BenchOptions.preset(spec, preset);
        DType dt = BenchOptions.weightDType(spec, dtype);
        System.err.printf("armor: bench-layers on %d threads, %s shapes, %s%n", Parallel.threads(), preset, dt);
        List<LayerBenchmark.Row> rows;
        try {
            rows = LayerBenchmark.run(config, dt, kinds, blockSize, tokens, repetitions, LayerBenchmark.STREAMING_BYTES,
                    line -> System.err.println("armor: " + line));
        } catch (IllegalArgumentException e) { // a shape the ARMOR block size does not divide
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        System.out.print(LayerBenchmark.markdown(rows, tokens));
        return 0;
    }
}
