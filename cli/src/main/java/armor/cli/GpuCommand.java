package armor.cli;

import armor.cuda.CublasLibrary;
import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.cuda.CusparseLtHandle;
import armor.cuda.CusparseLtLibrary;
import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.cuda.CudaContext;
import armor.runtime.cuda.CudaLinearBenchmark;
import armor.runtime.cuda.CudaProbe;
import armor.runtime.cuda.CudaSupport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code armor gpu}: what the GPU path finds on this machine (driver and devices, cuSPARSELt, cuBLAS), and with
 * {@code --bench} dense vs 2:4 vs ARMOR linear layers on the GPU.
 */
@Command(name = "gpu", mixinStandardHelpOptions = true,
        description = "Show what the GPU path finds here (NVIDIA driver, devices, cuSPARSELt, cuBLAS); --bench times "
                + "dense vs 2:4 vs ARMOR linear layers on the GPU.")
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

    @Option(names = "--repetitions", defaultValue = "20", description = "timed passes per point; the median is reported")
    int repetitions;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            for (CudaDevices.Info d : CudaDevices.list()) {
                out.println("device:     " + d + (d.hasSparseTensorCores() ? "" : " (no sparse tensor cores: needs 8.0+)"));
            }
        } catch (CudaUnavailableException e) {
            out.println("device:     none (" + e.getMessage() + ")");
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
        if (!bench) return 0;
        ModelConfig config = model == null ? ModelConfig.llama32_1B() : ConfigReader.read(model);
        int[] counts = tokens.stream().mapToInt(Integer::intValue).toArray();
        List<CudaDevices.Info> devices = CudaDevices.list();
        CudaDevices.Info device = devices.stream().filter(CudaDevices.Info::hasSparseTensorCores).findFirst()
                .orElseThrow(() -> new CudaUnavailableException("--bench: no GPU with sparse tensor cores (8.0+): " + devices));
        try (CudaContext cuda = CudaContext.open(device.ordinal()); CusparseLtHandle handle = CusparseLtHandle.create()) {
            out.println("linear layers of " + config.numLayers() + " decoder layers, hidden " + config.hiddenSize()
                    + ", intermediate " + config.intermediateSize() + ", ARMOR b=" + blockSize + ", on " + device);
            CudaLinearBenchmark.run(cuda, handle, config, blockSize, counts, repetitions, line -> {
                out.println(line);
                out.flush();
            });
        }
        return 0;
    }
}
