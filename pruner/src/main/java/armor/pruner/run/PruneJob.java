package armor.pruner.run;

import armor.runtime.quant.Int8Scheme;

import java.nio.file.Path;

/**
 * The arguments of one {@code armor prune} run.
 *
 * @param calib   calibration file (plain text or JSON lines), null only for magnitude
 * @param windows "A:B" to calibrate on windows A..B−1 of the text as one stream (the perplexity protocol), or null
 *                for the spec's random sampling of {@code samples} sequences
 * @param threads worker threads (matrices are spread over them)
 * @param quantize write the checkpoint with int8 weights as this says, or null for the model dtype
 * @param refit   ARMOR only: refit A', the kept values and B' on the full layer loss after the block coordinate
 *                descent ({@code armor.pruner.armor.ArmorRefit}); false runs the paper's algorithm alone
 */
public record PruneJob(Path model, PruneMethod method, Path calib, int samples, int seq, String windows,
                       int iterations, int block, long seed, Path out, int threads, Int8Scheme quantize,
                       boolean refit) {

    /** A job with ARMOR's refit (the default of {@code armor prune}). */
    public PruneJob(Path model, PruneMethod method, Path calib, int samples, int seq, String windows,
                    int iterations, int block, long seed, Path out, int threads, Int8Scheme quantize) {
        this(model, method, calib, samples, seq, windows, iterations, block, seed, out, threads, quantize, true);
    }

    /** A job that writes the model dtype (no quantization). */
    public PruneJob(Path model, PruneMethod method, Path calib, int samples, int seq, String windows,
                    int iterations, int block, long seed, Path out, int threads) {
        this(model, method, calib, samples, seq, windows, iterations, block, seed, out, threads, null);
    }

    /**
     * A stable description of everything that determines the results (the work folder's {@code job.txt}).
     * Quantization is not part of it: it happens as the checkpoint is written, from the same pruned projections.
     */
    public String fingerprint() {
        StringBuilder s = new StringBuilder();
        s.append("model ").append(model.toAbsolutePath().normalize()).append('\n');
        s.append("method ").append(method.cliName()).append('\n');
        if (method.needsData()) {
            s.append("calib ").append(calib.toAbsolutePath().normalize()).append('\n');
            if (windows != null) s.append("windows ").append(windows).append('\n');
            else s.append("samples ").append(samples).append('\n');
            s.append("seq ").append(seq).append('\n');
            s.append("seed ").append(seed).append('\n');
        }
        if (method == PruneMethod.ARMOR) {
            s.append("iterations ").append(iterations).append('\n');
            s.append("block ").append(block).append('\n');
            s.append("refit ").append(refit).append('\n');
        }
        return s.toString();
    }
}
