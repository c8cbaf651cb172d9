package armor.cli;

import armor.pruner.run.GptqQuantization;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.safetensors.OutputTempFolder;
import armor.runtime.sparse.Conversions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code --quantize int4} of {@code prune} and {@code recover}: the float result is written to a hidden folder beside
 * {@code --out} ({@code .OUT.float}), then quantized into {@code --out} as {@code armor quantize --bits 4} would (GPTQ on
 * the command's own calibration text, round to nearest without one), then the float folder is removed. A rerun after a
 * kill finds the float folder complete and only quantizes. (int8 is written by the pruner's and recovery's own writer:
 * round to nearest needs no second pass.)
 */
final class FourBitOutput {
    private FourBitOutput() {}

    /** Where the float result waits for quantization. */
    static Path floatFolder(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + ".float");
    }

    /** True when an earlier run left a complete float result to quantize. */
    static boolean floatDone(Path out) {
        return Files.isRegularFile(floatFolder(out).resolve("config.json"));
    }

    /**
     * Checks the 4-bit options against the source model before any work (the pruned model has the same shapes).
     *
     * @throws ParameterException when the group size does not fit a projection
     */
    static void check(CommandSpec spec, Path model, QuantizeOptions q) {
        if (!Files.isDirectory(model)) return; // the loader reports the missing folder
        try {
            Conversions.checkQuantize4(model, q.group4(), !q.zeroPoints);
        } catch (Int8SchemeException e) {
            throw QuantizeCommand.usage(spec, e);
        }
    }

    /**
     * Quantizes the float result into {@code out} and removes it.
     *
     * @param calib   the command's calibration text, or null (round to nearest)
     * @param windows "A:B" windows of it, or null for {@code samples} random sequences
     */
    static void finish(Path out, QuantizeOptions q, Path calib, String windows, int samples, int seq, long seed) throws Exception {
        Path src = floatFolder(out);
        System.err.println("armor: quantizing " + src + " to 4 bits into " + out + (calib == null ? " (round to nearest)" : " (GPTQ)"));
        write(src, out, q.group4(), !q.zeroPoints, calib, windows, samples, seq, seed);
        OutputTempFolder.removeTree(src, "the float model");
    }

    /**
     * {@code armor quantize --bits 4} of {@code src} into {@code out}, with its summary line on stdout: GPTQ on
     * {@code calib} when given, else round to nearest.
     *
     * @throws Int8SchemeException for a group size that does not fit or a quantized source, before anything is written
     */
    static void write(Path src, Path out, int group, boolean symmetric, Path calib, String windows, int samples, int seq, long seed)
            throws java.io.IOException {
        if (calib != null) {
            GptqQuantization.Summary s = GptqQuantization.run(new GptqQuantization.Job(src, calib, windows, samples, seq, seed,
                    group, symmetric, out, Parallel.threads()), new PruneReporter());
            System.out.printf(Locale.ROOT, "wrote %s: %d matrices as int4 (GPTQ on %d calibration tokens, %.1f s)%n", out,
                    s.matrices(), s.calibrationTokens(), s.seconds());
            return;
        }
        ProgressLine progress = new ProgressLine("quantize", "matrices");
        int n;
        try {
            n = Conversions.quantize4(src, out, group, symmetric, (done, total, name) -> progress.update(done, total));
        } finally {
            progress.done();
        }
        System.out.printf("wrote %s: %d matrices as int4%n", out, n);
    }
}
