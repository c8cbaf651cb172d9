package armor.cli;

import armor.pruner.calib.CalibrationSet;
import armor.runtime.config.ConfigReader;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code armor quantize}: a dense, 2:4 or ARMOR folder with float weights to the same kinds with int8 weights. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a dense, 2:4 or ARMOR model folder to symmetric int8 weights with float32 scales per row "
                + "and group of input columns (W8A16; docs/checkpoint-format.md). Each projection keeps its kind: dense "
                + "weights, 2:4 values, ARMOR's A'/B' and the head become int8; the embedding too unless --embeddings keep.",
                "With --bits 4 (W4A16, round to nearest or GPTQ): dense projections become compressed-tensors pack-quantized "
                + "(dense-int4), 2:4 cores armor's 2:4-int4 (kept values only, positions unchanged); embedding and head stay "
                + "in the model dtype; --zero-points adds a 4-bit zero point per group. ARMOR models: a 4-bit core between int8 A' and B'.",
                "Example: armor quantize --model ../shared/models/stories260K-hf --out /tmp/stories-int8",
                "Example: armor quantize --bits 4 --method rtn --model ../shared/models/stories15M-hf --out /tmp/stories-int4",
                "Example: armor quantize --bits 4 --method gptq --group-size 32 --calib ../shared/data/tinystories/tinystories.txt "
                + "--windows 0:64 --seq 256 --model ../shared/models/stories15M-hf --out /tmp/stories-gptq"})
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "model folder with float weights (dense, 2:4 or ARMOR)")
    Path model;

    @Option(names = {"--out", "--output", "-o"}, required = true, description = "new folder for the quantized checkpoint (must not exist)")
    Path out;

    @Option(names = "--bits", defaultValue = "8", description = "bits per weight: 8 or 4 (default ${DEFAULT-VALUE})")
    int bits;

    @Option(names = "--method", defaultValue = "rtn", description = "with --bits 4: rtn (round to nearest per group; "
            + "default ${DEFAULT-VALUE}) or gptq (GPTQ on --calib: each column's rounding error compensated in the later "
            + "columns, layer by layer on the quantized layers before; 2:4 cores keep their mask)")
    String method;

    @Option(names = "--calib", description = "with --method gptq: calibration text, plain or JSON lines with a \"text\" field")
    Path calib;

    @Option(names = "--windows", description = "with --method gptq: calibrate on windows A:B of the text as one stream "
            + "with one BOS, cut into --seq windows (the perplexity protocol), instead of --samples random samples")
    String windows;

    @Option(names = "--samples", defaultValue = "128", description = "with --method gptq: random calibration samples "
            + "(default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--seq", description = "with --method gptq: tokens per sample (default: the model's context, at most 2048)")
    Integer seq;

    @Option(names = "--seed", defaultValue = "0", description = "with --method gptq: seed of the sampling (default ${DEFAULT-VALUE})")
    long seed;

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
    public Integer call() throws java.io.IOException {
        if (bits == 4) return quantize4();
        if (zeroPoints) throw new ParameterException(spec.commandLine(), "--zero-points needs --bits 4 (int8 weights are symmetric)");
        if (!method.equals("rtn") || calib != null)
            throw new ParameterException(spec.commandLine(), "--method " + method + (calib != null ? " with --calib" : "")
                    + ": int8 is round to nearest per row and group; GPTQ is for --bits 4");
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

    /** {@code --bits 4}: dense → pack-quantized, 2:4 → 2:4-int4, by round to nearest or GPTQ. */
    private int quantize4() throws java.io.IOException {
        if (!method.equals("rtn") && !method.equals("gptq"))
            throw new ParameterException(spec.commandLine(), "--method " + method + ", expected rtn or gptq");
        if (embeddings != null && !embeddings.equals("keep"))
            throw new ParameterException(spec.commandLine(), "--embeddings " + embeddings + " with --bits 4, expected keep "
                    + "(4-bit folders keep the embedding and head in the model dtype)");
        if (groupSize < 0) throw new ParameterException(spec.commandLine(), "--group-size " + groupSize + ", expected 0 (default) or a positive multiple of 16");
        boolean gptq = method.equals("gptq");
        if (gptq) checkCalibration();
        else if (calib != null || windows != null || seq != null)
            throw new ParameterException(spec.commandLine(), "--calib, --windows and --seq are for --method gptq; rtn needs no data");
        int tokens = !gptq ? 0 : seq != null ? seq : Files.isDirectory(model) ? Math.min(2048, ConfigReader.read(model).maxPositions()) : 2048;
        try {
            FourBitOutput.write(model, out, groupSize, !zeroPoints, gptq ? calib : null, windows, samples, tokens, seed);
        } catch (Int8SchemeException e) {
            throw usage(spec, e);
        }
        return 0;
    }

    /** The calibration options of {@code --method gptq}; bad values are usage errors. */
    private void checkCalibration() {
        if (calib == null) throw new ParameterException(spec.commandLine(), "--method gptq needs --calib FILE (calibration text)");
        if (samples < 1) throw new ParameterException(spec.commandLine(), "--samples " + samples + ", expected at least 1");
        if (seq != null && seq < 2) throw new ParameterException(spec.commandLine(), "--seq " + seq + ", expected at least 2");
        if (windows != null) {
            try {
                CalibrationSet.parseWindows(windows);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
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
