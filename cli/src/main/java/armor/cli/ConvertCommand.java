package armor.cli;

import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@code armor convert}: a dense Hugging Face folder to a naive 2:4 checkpoint by magnitude, no data needed. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Prune a dense model folder to 2:4 by magnitude (keep the two largest |w| of every group of four "
                + "input columns) and write it as a sparse checkpoint (docs/checkpoint-format.md). No calibration data.",
                "Example: armor convert --model ../shared/models/stories260K-hf --output /tmp/stories-2of4"})
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "dense Hugging Face model folder")
    Path model;

    @Option(names = {"--output", "-o"}, required = true, description = "new folder for the 2:4 checkpoint (must not exist)")
    Path output;

    @Option(names = "--format", defaultValue = "2:4", description = "output format: 2:4 (the only data-free one; ARMOR needs `armor prune`)")
    String format;

    @Option(names = "--include", description = "only projections whose name matches this regex, e.g. 'mlp\\.' (default: all q/k/v/o/gate/up/down)")
    String include;

    @Override
    public Integer call() {
        if (!format.equals("2:4"))
            throw new ParameterException(spec.commandLine(), "--format " + format + ", expected 2:4 (ARMOR checkpoints come from armor prune)");
        Pattern only;
        try {
            only = include == null ? null : Pattern.compile(include);
        } catch (PatternSyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--include " + include + " is not a valid regular expression: " + e.getDescription());
        }
        ProgressLine progress = new ProgressLine("convert", "linears");
        int n = Conversions.magnitude24(model, output, only, (done, total, prefix) -> progress.update(done, total));
        progress.done();
        System.out.printf("wrote %s: %d linears as magnitude 2:4%n", output, n);
        return 0;
    }
}
