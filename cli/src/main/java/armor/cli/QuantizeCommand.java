package armor.cli;

import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code armor quantize}: a dense, 2:4 or ARMOR folder with float weights to the same kinds with int8 weights. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a dense, 2:4 or ARMOR model folder to symmetric int8 weights with float32 scales per row "
                + "and group of input columns (W8A16; docs/checkpoint-format.md). Each projection keeps its kind: dense "
                + "weights, 2:4 values, ARMOR's A'/B' and the head become int8; the embedding too unless --embeddings keep.",
                "With --bits 4 (W4A16, round to nearest): dense projections become compressed-tensors pack-quantized "
                + "(dense-int4), 2:4 cores armor's 2:4-int4 (kept values only, positions unchanged); embedding and head stay "
                + "in the model dtype; --zero-points adds a 4-bit zero point per group. ARMOR models: --bits 8 only.",
                "Example: armor quantize --model ../shared/models/stories260K-hf --out /tmp/stories-int8",
                "Example: armor quantize --bits 4 --method rtn --model ../shared/models/stories15M-hf --out /tmp/stories-int4"})
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "model folder with float weights (dense, 2:4 or ARMOR)")
    Path model;

    @Option(names = {"--out", "--output", "-o"}, required = true, description = "new folder for the int8 checkpoint (must not exist)")
    Path out;

    @Option(names = "--bits", defaultValue = "8", description = "bits per weight: 8 or 4 (default ${DEFAULT-VALUE})")
    int bits;

    @Option(names = "--method", defaultValue = "rtn", description = "with --bits 4: rtn (round to nearest per group; "
            + "default ${DEFAULT-VALUE}); gptq is not supported yet")
    String method;

    @Option(names = "--zero-points", description = "with --bits 4: asymmetric codes with a 4-bit zero point per row and group "
            + "(compressed-tensors symmetric: false); default symmetric")
    boolean zeroPoints;

    @Option(names = "--group-size", defaultValue = "0", description = "input columns per scale, a multiple of 8 dividing "
            + "every row, or the whole row (default: 128 where it divides the row, else one scale per row)")
    int groupSize;

    @Option(names = "--embeddings", description = "int8 or keep: quantize the token embedding (and so a tied head) too, or "
            + "keep it in the model dtype; an untied lm_head is int8 either way (default int8; with --bits 4 always keep)")
    String embeddings;

    @Override
    public Integer call() {
        if (bits == 4) return quantize4();
        if (zeroPoints) throw new ParameterException(spec.commandLine(), "--zero-points needs --bits 4 (int8 weights are symmetric)");
        Int8Scheme scheme = scheme(spec, bits, groupSize, embeddings == null ? "int8" : embeddings);
        ProgressLine progress = new ProgressLine("quantize", "tensors");
        int n;
        try {
            n = Conversions.quantize(model, out, scheme, (done, total, name) -> progress.update(done, total));
        } catch (Int8SchemeException e) { // the group size or the input folder: bad usage, nothing written
            progress.done();
            throw usage(spec, e);
        }
        progress.done();
        System.out.printf("wrote %s: %d tensors as int8%n", out, n);
        return 0;
    }

    /** {@code --bits 4}: dense → pack-quantized, 2:4 → 2:4-int4, by round to nearest. */
    private int quantize4() {
        if (!method.equals("rtn"))
            throw new ParameterException(spec.commandLine(), "--method " + method + ": expected rtn"
                    + (method.equals("gptq") ? " (gptq is not supported yet)" : ""));
        if (embeddings != null && !embeddings.equals("keep"))
            throw new ParameterException(spec.commandLine(), "--embeddings " + embeddings + " with --bits 4, expected keep "
                    + "(4-bit folders keep the embedding and head in the model dtype)");
        if (groupSize < 0) throw new ParameterException(spec.commandLine(), "--group-size " + groupSize + ", expected 0 (default) or a positive multiple of 16");
        ProgressLine progress = new ProgressLine("quantize", "matrices");
        int n;
        try {
            n = Conversions.quantize4(model, out, groupSize, !zeroPoints, (done, total, name) -> progress.update(done, total));
        } catch (Int8SchemeException e) {
            progress.done();
            throw usage(spec, e);
        }
        progress.done();
        System.out.printf("wrote %s: %d matrices as int4%n", out, n);
        return 0;
    }

    /** The usage error for {@code e}, naming the option it is about. */
    static ParameterException usage(CommandSpec spec, Int8SchemeException e) {
        return new ParameterException(spec.commandLine(),
                (e.reason() == Int8SchemeException.Cause.GROUP_SIZE || e.getMessage().startsWith("--") ? "" : "--model: ") + e.getMessage());
    }

    /** The scheme of {@code --bits}, {@code --group-size} and {@code --embeddings}; bad values are usage errors. */
    static Int8Scheme scheme(CommandSpec spec, int bits, int groupSize, String embeddings) {
        if (bits != 8) throw new ParameterException(spec.commandLine(), "--bits " + bits + ", expected 8 or 4");
        if (groupSize < 0) throw new ParameterException(spec.commandLine(), "--group-size " + groupSize + ", expected 0 (default) or a positive multiple of 8");
        if (!embeddings.equals("int8") && !embeddings.equals("keep"))
            throw new ParameterException(spec.commandLine(), "--embeddings " + embeddings + ", expected int8 or keep");
        return new Int8Scheme(groupSize, embeddings.equals("int8"));
    }
}
