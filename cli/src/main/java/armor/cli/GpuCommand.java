package armor.cli;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.CusparseLtLibrary;
import armor.bench.CudaDecodeBenchmark;
import armor.bench.CudaLinearBenchmark;
import armor.bench.KindWeights;
import armor.bench.RandomWeights;
import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.cuda.CudaContext;
import armor.runtime.linear.WeightFormat;
import armor.runtime.cuda.CudaProbe;
import armor.runtime.cuda.CudaSupport;
import armor.runtime.cuda.PtxDriverRequirement;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code armor gpu}: what the GPU path finds on this machine (devices, the driver's CUDA version against the
 * kernels' PTX, cuSPARSELt, cuBLAS); with {@code --bench} dense vs 2:4 vs ARMOR linear layers on the GPU, with
 * {@code --decode} the whole decoder.
 */
@Command(name = "gpu", mixinStandardHelpOptions = true,
        description = "Show what the GPU path finds here (NVIDIA driver, devices, cuSPARSELt, cuBLAS); --bench times "
                + "dense vs 2:4 vs ARMOR linear layers on the GPU, --decode the whole decoder (tokens/s).")
public final class GpuCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bench", description = "time the linear layers of a decoder layer on the GPU (needs a GPU)")
    boolean bench;

    @Option(names = "--model", description = "take the layer shapes from this model folder's config.json "
            + "(default: the Llama-3.2-1B shape)")
    Path model;

    @Option(names = "--block-size", defaultValue = "128", description = "ARMOR block size b (default ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--tokens", defaultValue = "1,8,64,2048", split = ",",
            description = "token counts to time: decode batches and a prefill (default ${DEFAULT-VALUE})")
    List<Integer> tokens;

    @Option(names = "--repetitions", defaultValue = "20", description = "timed passes per point; the median is reported (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--decode", description = "time the whole decoder on the GPU: dense vs 2:4 vs ARMOR tokens/s of "
            + "batched decode and of a prefill (needs a GPU); weights of --model (dense) or random ones of --preset")
    boolean decode;

    @Option(names = "--preset", defaultValue = "llama-3.2-1b",
            description = "model shape for random weights when --model is not given: llama-3.2-1b (default), "
                    + "qwen2.5-0.5b, qwen2.5-1.5b, llama-2-7b")
    String preset;

    @Option(names = "--batches", defaultValue = "1,8,64", split = ",", description = "decode batch sizes (default ${DEFAULT-VALUE})")
    List<Integer> batches;

    @Option(names = "--steps", defaultValue = "32", description = "timed decode steps per batch size (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--prefill", defaultValue = "2048", description = "prefill length; 0 = none (default ${DEFAULT-VALUE})")
    int prefill;

    @Override
    public Integer call() {
        if (bench || decode) checkBenchmarkOptions();
        PrintWriter out = spec.commandLine().getOut();
        try {
            for (CudaDevices.Info d : CudaDevices.list()) {
                out.println("device:     " + d + (d.hasSparseTensorCores() ? "" : " (no sparse tensor cores: needs 8.0+)"));
            }
        } catch (CudaUnavailableException e) {
            out.println("device:     none (" + e.getMessage() + ")");
        }
        PtxDriverRequirement kernels = PtxDriverRequirement.kernels();
        try {
            int version = CudaDevices.driverVersion();
            String tooOld = kernels.refusal(version);
            out.println("driver:     CUDA " + PtxDriverRequirement.cudaName(version) + " (" + version + "), "
                    + (tooOld == null ? "loads armor's kernels (PTX ISA " + kernels.isa() + ")" : tooOld));
        } catch (CudaUnavailableException e) {
            out.println("driver:     none (" + kernels.describe() + ")");
        }
        try {
            CusparseLtLibrary l = CusparseLtLibrary.load();
            out.println("cuSPARSELt: " + l.version() + " at " + l.path());
        } catch (CudaUnavailableException e) {
            out.println("cuSPARSELt: unavailable (" + e.getMessage() + ")");
        }
        try {
            CublasLibrary l = CublasLibrary.load();
            out.println("cuBLAS:     " + l.version() + " at " + l.path());
        } catch (CudaUnavailableException e) {
            out.println("cuBLAS:     unavailable (" + e.getMessage() + ")");
        }
        String verdict = switch (CudaProbe.system().probe()) {
            case CudaSupport.Usable u -> "usable: " + u.device();
            case CudaSupport.Unusable u -> "not usable: " + u.reason();
        };
        out.println("--device cuda: " + verdict);
        out.flush();
        if (!bench && !decode) return 0;
        ModelConfig config = model != null ? ConfigReader.read(model) : BenchOptions.preset(spec, preset);
        List<CudaDevices.Info> devices = CudaDevices.list();
        CudaDevices.Info device = devices.stream().filter(CudaDevices.Info::hasSparseTensorCores).findFirst()
                .orElseThrow(() -> new CudaUnavailableException("no GPU with sparse tensor cores (8.0+): " + devices));
        try (CudaContext cuda = CudaContext.open(device.ordinal()); CusparseLtHandle handle = CusparseLtHandle.create()) {
            if (bench) {
                out.println("linear layers of " + config.numLayers() + " decoder layers, hidden " + config.hiddenSize()
                        + ", intermediate " + config.intermediateSize() + ", ARMOR b=" + blockSize + ", on " + device);
                CudaLinearBenchmark.run(cuda, handle, config, blockSize,
                        tokens.stream().mapToInt(Integer::intValue).toArray(), repetitions, line -> {
                            out.println(line);
                            out.flush();
                        });
            }
            if (decode) decodeBenchmark(out, config, cuda, handle, device);
        }
        return 0;
    }

    /** Bad benchmark options are usage errors (exit 2), found before the GPU is probed. */
    private void checkBenchmarkOptions() {
        String bad = null;
        if (blockSize < 4 || blockSize % 4 != 0) bad = "--block-size " + blockSize + ", expected a positive multiple of 4";
        else if (repetitions < 1) bad = "--repetitions " + repetitions + ", expected at least 1";
        else if (steps < 1) bad = "--steps " + steps + ", expected at least 1";
        else if (prefill < 0) bad = "--prefill " + prefill + ", expected 0 or more";
        else if (tokens.stream().anyMatch(t -> t < 1)) bad = "--tokens " + tokens + ", expected counts of at least 1";
        else if (batches.stream().anyMatch(b -> b < 1)) bad = "--batches " + batches + ", expected sizes of at least 1";
        if (bad != null) throw new ParameterException(spec.commandLine(), bad);
        if (model == null) BenchOptions.preset(spec, preset);
    }

    /** The whole decoder, dense vs 2:4 vs ARMOR, on the same weights (a dense checkpoint, or random ones). */
    private void decodeBenchmark(PrintWriter out, ModelConfig config, CudaContext cuda, CusparseLtHandle handle,
                                 CudaDevices.Info device) {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            WeightSource dense;
            if (model != null) {
                CheckpointWeights w = CheckpointWeights.open(model);
                open.add(w);
                dense = w;
            } else {
                RandomWeights w = new RandomWeights(config, DType.BF16, 1);
                open.add(w);
                dense = w;
            }
            Map<String, Supplier<WeightSource>> kinds = new LinkedHashMap<>();
            for (String kind : WeightFormat.gpuKinds()) kinds.put(kind, () -> track(open, KindWeights.of(kind, dense, blockSize)));
            out.println("decoder " + (model != null ? model.toString() : preset + " (random bf16 weights)") + ", "
                    + config.numLayers() + " layers, ARMOR b=" + blockSize + ", on " + device);
            CudaDecodeBenchmark.run(cuda, handle, config, kinds, batches.stream().mapToInt(Integer::intValue).toArray(),
                    steps, prefill, line -> {
                        out.println(line);
                        out.flush();
                    });
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    out.println("warning: closing " + c + ": " + e.getMessage());
                }
            }
        }
    }

    private static WeightSource track(List<AutoCloseable> open, KindWeights w) {
        open.add(w);
        return w.weights();
    }
}
