package armor.cli;

import armor.pruner.armor.BlockRule;
import armor.pruner.run.LinearResult;
import armor.pruner.run.PruneJob;
import armor.pruner.run.PruneMethod;
import armor.pruner.run.Pruner;
import armor.runtime.config.ConfigReader;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor prune}: a dense Hugging Face model folder to a 2:4 or ARMOR 2:4 checkpoint. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Prune a dense model to 2:4 with ARMOR or a baseline and write the checkpoint to --out. "
                + "A rerun with the same arguments resumes from the projections already done.")
public final class PruneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "dense Hugging Face model folder")
    Path model;

    @Option(names = "--method", required = true, converter = MethodConverter.class,
            description = "armor, nowag-p, wanda, sparsegpt or magnitude")
    PruneMethod method;

    /** Lets picocli report an unknown method as bad usage (exit code 2). */
    static final class MethodConverter implements CommandLine.ITypeConverter<PruneMethod> {
        @Override
        public PruneMethod convert(String value) {
            try {
                return PruneMethod.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--calib", description = "calibration text: plain text, or JSON lines with a \"text\" field "
            + "(needed by every method but magnitude)")
    Path calib;

    @Option(names = "--samples", defaultValue = "128", description = "calibration samples (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--seq", description = "tokens per sample (default: the model's context, at most 2048)")
    Integer seqOption;

    @Option(names = "--windows", description = "calibrate on windows A:B of the text as one stream with one BOS, "
            + "cut into --seq windows (the perplexity protocol) instead of random samples")
    String windows;

    @Option(names = "--iters", defaultValue = "20000", description = "ARMOR iteration budget (default ${DEFAULT-VALUE})")
    int iters;

    @Option(names = "--block", defaultValue = ArmorBlock.AUTO, description = ArmorBlock.DESCRIPTION)
    String block;

    @Option(names = "--seed", defaultValue = "0", description = "seed of sampling and ARMOR (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: physical cores)")
    Integer threads;

    @Option(names = "--out", required = true, description = "output folder (must not exist)")
    Path out;

    @Option(names = "--quantize", description = "int8: write the pruned checkpoint with int8 weights (2:4 values, ARMOR's "
            + "A'/B', embedding and head; see armor quantize)")
    String quantize;

    @Option(names = "--group-size", description = "with --quantize: input columns per scale (default: 128 where it "
            + "divides the row, else the whole row)")
    Integer groupSize;

    @Override
    public Integer call() throws Exception {
        if (samples < 1) throw usage("--samples " + samples + ", expected at least 1");
        // the paper calibrates on 2048-token samples; a model with a shorter context gets samples of its context
        int seq = seqOption != null ? seqOption
                : Files.isDirectory(model) ? Math.min(2048, ConfigReader.read(model).maxPositions()) : 2048;
        if (seq < 2) throw usage("--seq " + seq + ", expected at least 2");
        if (iters < 0) throw usage("--iters " + iters + ", expected 0 or more");
        if (method == PruneMethod.ARMOR) ArmorBlock.check(spec, block);
        if (method.needsData() && calib == null) throw usage("--method " + method.cliName() + " needs --calib FILE");
        if (threads != null && threads < 1) throw usage("--threads " + threads + ", expected at least 1");
        // auto needs the model's shapes; a missing model folder is reported by the pruner when it loads it
        int b = method == PruneMethod.ARMOR && Files.isDirectory(model)
                ? ArmorBlock.resolve(block, ConfigReader.read(model), System.err) : BlockRule.AUTO_MAX;
        PruneJob job = new PruneJob(model, method, calib, samples, seq, windows, iters, b, seed, out,
                threads == null ? Parallel.threads() : threads, quantization(spec, quantize, groupSize));
        Pruner.Summary s;
        try {
            s = Pruner.run(job, new PruneReporter());
        } catch (Int8SchemeException e) { // checked before any pruning: nothing written
            throw QuantizeCommand.usage(spec, e);
        }
        printSummary(s);
        return 0;
    }

    /** The int8 scheme of {@code --quantize} / {@code --group-size}, or null without --quantize. */
    static Int8Scheme quantization(CommandLine.Model.CommandSpec spec, String quantize, Integer groupSize) {
        if (quantize == null) {
            if (groupSize != null) throw new CommandLine.ParameterException(spec.commandLine(), "--group-size needs --quantize int8");
            return null;
        }
        if (!quantize.equals("int8"))
            throw new CommandLine.ParameterException(spec.commandLine(), "--quantize " + quantize + ", expected int8");
        return QuantizeCommand.scheme(spec, 8, groupSize == null ? 0 : groupSize, "int8");
    }

    private static String loss(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.6f", v);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static void printSummary(Pruner.Summary s) {
        System.out.printf(Locale.ROOT, "%-34s %11s %12s %12s %7s %8s%n", "projection", "shape", "loss before",
                "loss after", "iters", "seconds");
        double before = 0, after = 0;
        int n = 0;
        for (LinearResult r : s.results()) {
            System.out.printf(Locale.ROOT, "%-34s %11s %12s %12s %7d %8.2f%n", r.prefix(),
                    r.rows() + "×" + r.cols(), loss(r.lossBefore()), loss(r.lossAfter()), r.iterations(),
                    r.seconds());
            if (!Double.isNaN(r.lossAfter())) {
                before += r.lossBefore();
                after += r.lossAfter();
                n++;
            }
        }
        if (n > 0) {
            System.out.printf(Locale.ROOT, "%-34s %11s %12.6f %12.6f%n", "mean", "", before / n, after / n);
        }
        System.out.println("(loss before: NoWag-P's proxy loss on the same statistics, ARMOR's starting point)");
        if (s.overhead() > 0) {
            System.out.printf(Locale.ROOT, "A/B overhead: %.2f %% of the pruned projections' parameters%n",
                    100 * s.overhead());
        }
        System.out.printf(Locale.ROOT, "wrote %s in %.1f s%s%n", s.out(), s.seconds(),
                s.resumed() > 0 ? " (" + s.resumed() + " projections resumed)" : "");
    }
}
