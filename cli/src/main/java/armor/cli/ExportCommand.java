package armor.cli;

import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code armor export --dense}: a 2:4, ARMOR or int8 checkpoint back to a plain dense Hugging Face checkpoint. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a 2:4, ARMOR or int8 checkpoint as a plain dense Hugging Face checkpoint: every sparse linear "
                + "becomes P.weight = A'·C·B' (or C) in the stored dtype, and int8 weights are dequantized to the model "
                + "dtype (config.json's torch_dtype); loadable by transformers and lm-evaluation-harness.",
                "Example: armor export --dense --model /tmp/stories-2of4 --output /tmp/stories-2of4-dense"})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--dense", required = true, description = "export the reconstructed dense weights (the only export there is)")
    boolean dense;

    @Option(names = "--model", required = true, description = "2:4, ARMOR or int8 checkpoint folder")
    Path model;

    @Option(names = {"--output", "-o"}, required = true, description = "new folder for the dense checkpoint (must not exist)")
    Path output;

    @Override
    public Integer call() {
        ProgressLine progress = new ProgressLine("export", "linears");
        int n = Conversions.exportDense(model, output, (done, total, prefix) -> progress.update(done, total));
        progress.done();
        System.out.printf("wrote %s: %d sparse or int8 weights written as dense weights%n", output, n);
        return 0;
    }
}
