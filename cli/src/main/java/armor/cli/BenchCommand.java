package armor.cli;

import armor.bench.BenchReport;
import armor.bench.KindComparison;
import armor.bench.FmaPeak;
import armor.bench.MemoryBandwidth;
import armor.bench.KindWeights;
import armor.bench.RandomWeights;
import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.Parallel;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.GptqConfig;
import armor.runtime.quant.GptqWeights;
import armor.runtime.quant.QuantizationConfig;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.CompressedTensorsConfig;
import armor.runtime.sparse.Sparse24View;
import armor.runtime.sparse.SparseMode;
import armor.runtime.sparse.SparsityConfig;
import armor.runtime.tensor.DType;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code armor bench}: dense vs naive 2:4 vs ARMOR in one process, on a model folder or on random weights of a real
 * model's shape. For each kind: batch-1 decode tokens/s, prefill tokens/s, weight bytes, bytes read per token and
 * the bandwidth that implies next to the machine's measured copy bandwidth, and ratios to dense. The 2:4 variant is
 * the dense weights pruned by magnitude; ARMOR adds random near-identity blocks of the given size. Output: a Markdown
 * table on stdout, a JSON file and a PNG chart.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Decode and prefill tokens/s of dense vs 2:4 vs ARMOR linears, with bandwidth, as a table, JSON and PNG chart.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", defaultValue = "llama-3.2-1b",
            description = "random-weight model shape when --model is not given: llama-3.2-1b (default), qwen2.5-0.5b, qwen2.5-1.5b, llama-2-7b")
    String preset;

    @Option(names = "--model", description = "benchmark this model folder instead of a random preset (a dense folder, compressed-tensors dense 2:4 included, gets all kinds; a pruned, quantized (int8, 4-bit, GPTQ) or compressed-tensors sparse-24-bitmask one is run as stored)")
    Path model;

    @Option(names = "--dtype", defaultValue = "bf16", description = "weight dtype of the random preset: bf16 (default), f16, f32")
    String dtype;

    @Option(names = "--kinds", defaultValue = "dense,2:4,armor", split = ",", completionCandidates = BenchOptions.Kinds.class,
            description = "layer kinds to compare: ${COMPLETION-CANDIDATES} (int8: weights, A', B', embedding and head quantized as `armor quantize` does; int4: projections as `armor quantize --bits 4`, A' and B' and the embedding and head int8; default ${DEFAULT-VALUE})")
    List<String> kinds;

    @Option(names = "--block-size", defaultValue = "128", description = "ARMOR block size b (default ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--tokens", defaultValue = "16", description = "decode tokens timed per repetition: each repetition is one sequence per kind through the generation loop (greedy, EOS ignored) of the prompt and 1 + this many tokens (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--repetitions", defaultValue = "5", description = "timed decode repetitions (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "8", description = "untimed decode tokens per kind first, at least (in whole repetitions; default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "untimed repetitions go on until this much time has passed too, and then while the JIT is still compiling, up to " + armor.bench.JitWarmup.CAP + " times this (default ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length before decoding (default ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--prefill-tokens", defaultValue = "512", description = "prompt length of the prefill measurement, shortened to fit the context (default ${DEFAULT-VALUE})")
    int prefillTokens;

    @Option(names = "--prefill-repetitions", defaultValue = "3", description = "timed prefill repetitions (default ${DEFAULT-VALUE})")
    int prefillRepetitions;

    @Option(names = "--bandwidth-mb", defaultValue = "256", description = "MB per array of the copy/triad loops (default ${DEFAULT-VALUE})")
    int bandwidthMb;

    @Option(names = "--json", description = "JSON report file (default bench-results/bench-<model>.json)")
    Path json;

    @Option(names = "--chart", description = "PNG chart file (default bench-results/bench-<model>.png)")
    Path chart;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws IOException {
        BenchOptions.checkKinds(spec, kinds, blockSize);
        if (repetitions < 1 || prefillRepetitions < 1 || tokens < 1 || prefillTokens < 1 || promptTokens < 1)
            throw new IllegalArgumentException("--tokens, --repetitions, --prompt-tokens, --prefill-tokens and --prefill-repetitions must be at least 1");
        if (warmup < 0 || !(warmupSeconds >= 0))
            throw new IllegalArgumentException("--warmup and --warmup-seconds must be at least 0");
        device.requireCpu(System.err);
        System.err.printf("armor: bench on %d threads%n", Parallel.threads());
        MemoryBandwidth.Result bw = MemoryBandwidth.measure(bandwidthMb * (1 << 20) / 4, 3);
        KindComparison.Settings settings = new KindComparison.Settings(promptTokens, warmup, warmupSeconds, tokens, repetitions, prefillTokens, prefillRepetitions);
        List<KindComparison.Result> results = new ArrayList<>();
        String label, dtypeName;
        if (model != null) {
            label = model.getFileName().toString();
            ModelConfig config = ConfigReader.read(model);
            var root = new ObjectMapper().readTree(model.resolve("config.json").toFile());
            CompressedTensorsConfig ct = CompressedTensorsConfig.read(model).orElse(null);
            GptqConfig gptq = GptqConfig.read(model, root).orElse(null);
            try (CheckpointWeights weights = CheckpointWeights.open(model)) {
                dtypeName = config.dtype();
                // a folder that is not dense float runs as stored: the kinds would prune or quantize it again
                String stored = null, kind = null; // what it is, and its kind's name (null: the kind it loads as)
                WeightSource source = weights;
                if (ct != null && ct.layout() == CompressedTensorsConfig.Layout.BITMASK_24) {
                    // its projections exist only as 2:4: through the view the runtime loads
                    stored = ct.describe();
                    kind = "2:4";
                    source = Sparse24View.of(weights, ct, SparseMode.AUTO, config.architecture().hfName());
                } else if (root.has(SparsityConfig.KEY)) {
                    stored = kind = SparsityConfig.fromJson(root.get(SparsityConfig.KEY), model + "/config.json").format();
                } else if (gptq != null || QuantizationConfig.isQuantized(root)) { // int8 or 4-bit: armor's, compressed-tensors', GPTQ's
                    stored = gptq != null ? gptq.describe() : "quantized";
                    source = GptqWeights.of(weights, gptq);
                }
                if (stored == null) {
                    measureKinds(config, weights, settings, results);
                } else {
                    KindComparison.Variant asStored = variant(kind, config, source);
                    System.err.println("armor: " + model + " is a " + stored + " checkpoint: benchmarking it as stored ("
                            + asStored.kind() + ")");
                    results.addAll(KindComparison.measure(List.of(asStored), settings, line -> System.err.println("armor: " + line)));
                }
            }
        } else {
            ModelConfig config = BenchOptions.preset(spec, preset);
            DType dt = BenchOptions.weightDType(spec, dtype);
            label = preset;
            dtypeName = dt.name();
            System.err.printf("armor: making %s with random %s weights in memory...%n", preset, dt);
            try (RandomWeights weights = new RandomWeights(config, dt, 1)) {
                measureKinds(config, weights, settings, results);
            }
        }
        MemoryBandwidth.Result bw2 = MemoryBandwidth.measure(bandwidthMb * (1 << 20) / 4, 3);
        FmaPeak.Result fma = FmaPeak.measure(3);
        BenchReport.Run run = new BenchReport.Run(label, dtypeName, Parallel.threads(),
                Math.max(bw.copyGBs(), bw2.copyGBs()), Math.max(bw.triadGBs(), bw2.triadGBs()), fma.allThreadsGflops(), results);
        System.err.printf("armor: float32 FMA peak %.0f GFLOP/s on %d threads, %.0f on one%n", fma.allThreadsGflops(),
                fma.threads(), fma.oneThreadGflops());
        System.out.print(BenchReport.markdown(run));
        Path jsonFile = json != null ? json : Path.of("bench-results", "bench-" + label + ".json");
        Path chartFile = chart != null ? chart : Path.of("bench-results", "bench-" + label + ".png");
        BenchReport.writeJson(run, jsonFile);
        BenchReport.writeChart(run, chartFile);
        System.err.println("armor: wrote " + jsonFile + " and " + chartFile);
        return 0;
    }

    private void measureKinds(ModelConfig config, WeightSource dense, KindComparison.Settings s, List<KindComparison.Result> out) {
        List<KindComparison.Variant> variants = new ArrayList<>();
        for (String kind : kinds) {
            System.err.println("armor: preparing " + kind + "...");
            try (KindWeights w = KindWeights.of(kind, dense, blockSize)) { // the layers repack what they need
                variants.add(variant(kind, config, w.weights()));
            }
        }
        out.addAll(KindComparison.measure(variants, s, line -> System.err.println("armor: " + line)));
    }

    /** The model on {@code w} under the name {@code kind}, or, when that is null, the kind its first projection loaded as. */
    private static KindComparison.Variant variant(String kind, ModelConfig config, WeightSource w) {
        // Model.of, not load: the weights are owned by the caller and must outlive the model
        Model m = Model.of(config, w);
        if (kind == null) kind = m.decoder().layer(0).linear(DecoderLayer.PROJECTIONS.getFirst()).format().kind();
        long perToken = m.decoder().weightBytesPerToken();
        long embedding = w.tensor("model.embed_tokens.weight").data().byteSize()
                + (w.has("model.embed_tokens.weight_scale") ? w.tensor("model.embed_tokens.weight_scale").data().byteSize() : 0);
        long embeddingRow = embedding / config.vocabSize();
        long held = perToken - embeddingRow + (config.tieWordEmbeddings() ? 0 : embedding);
        return new KindComparison.Variant(kind, m, held);
    }
}
