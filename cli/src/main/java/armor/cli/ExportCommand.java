package armor.cli;

import armor.runtime.sparse.CompressedTensorsExport;
import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code armor export}: a 2:4, ARMOR, int8 or 4-bit checkpoint back to a plain dense Hugging Face checkpoint, or a 2:4 one
 * to compressed-tensors {@code sparse-24-bitmask}.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a checkpoint for other tools. --format dense (or --dense): every sparse linear becomes "
                + "P.weight = A'·C·B' (or C) in the stored dtype and int8 and 4-bit weights are dequantized to the model dtype "
                + "(config.json's torch_dtype), loadable by transformers and lm-evaluation-harness; works on armor "
                + "2:4/ARMOR/int8/int4 and compressed-tensors folders. --format compressed-tensors: every 2:4 "
                + "linear becomes compressed-tensors sparse-24-bitmask (P.compressed, P.bitmask, P.shape), the format "
                + "llm-compressor and vLLM wrote and loaded; for naive 2:4 models (magnitude, Wanda, SparseGPT, "
                + "NoWag-P, compressed-tensors, dense folders whose projections are 2:4). ARMOR models export dense.",
                "Example: armor export --format compressed-tensors --model /tmp/stories-2of4 --output /tmp/stories-2of4-ct"})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dense", description = "short for --format dense")
    boolean dense;

    @Option(names = "--format", paramLabel = "dense|compressed-tensors",
            description = "dense: the reconstructed (and dequantized) dense weights; compressed-tensors: sparse-24-bitmask")
    String format;

    @Option(names = "--model", required = true, description = "2:4, ARMOR, int8, 4-bit or compressed-tensors checkpoint folder")
    Path model;

    @Option(names = {"--output", "-o"}, required = true, description = "new folder for the exported checkpoint (must not exist)")
    Path output;

    @Override
    public Integer call() {
        if (dense && format != null && !format.equals("dense"))
            throw new ParameterException(spec.commandLine(), "--dense and --format " + format + " contradict each other, expected one of them");
        String f = dense ? "dense" : format;
        if (f == null)
            throw new ParameterException(spec.commandLine(), "missing --format, expected --format dense (or --dense) or --format compressed-tensors");
        ProgressLine progress = new ProgressLine("export", "linears");
        Conversions.Progress p = (done, total, prefix) -> progress.update(done, total);
        int n;
        switch (f) {
            case "dense" -> n = CompressedTensorsExport.isCompressedTensors(model)
                    ? CompressedTensorsExport.export(model, output, CompressedTensorsExport.Target.DENSE, p)
                    : Conversions.exportDense(model, output, p);
            case "compressed-tensors" -> n = CompressedTensorsExport.export(model, output, CompressedTensorsExport.Target.COMPRESSED_TENSORS, p);
            default -> throw new ParameterException(spec.commandLine(), "--format " + f + ", expected dense or compressed-tensors");
        }
        progress.done();
        System.out.printf("wrote %s: %d %s%n", output, n, f.equals("dense") ? "sparse or quantized weights written as dense weights"
                : "2:4 linears as compressed-tensors sparse-24-bitmask");
        return 0;
    }
}
