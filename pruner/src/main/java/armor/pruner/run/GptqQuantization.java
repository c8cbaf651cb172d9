package armor.pruner.run;

import armor.pruner.calib.ActivationStatistics;
import armor.pruner.calib.CalibrationSet;
import armor.pruner.method.Gptq;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.ArmorLinear;
import armor.runtime.linear.BlockDiagonal;
import armor.runtime.linear.DenseInt4Linear;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Int4Matrix;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.sparse.Conversions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code armor quantize --bits 4 --method gptq}: a dense, 2:4 or ARMOR float folder to 4 bits with {@link Gptq}, layer by layer
 * on the outputs of the already quantized layers before it (as GPTQ's reference code runs), then written as
 * {@code armor quantize --bits 4} writes round to nearest ({@link Conversions#quantize4}): the same tensors, only the
 * codes differ. Embedding, head and norms stay in the model dtype.
 */
public final class GptqQuantization {
    /**
     * The arguments of one run.
     *
     * @param windows "A:B" windows of {@code calib} as one stream, or null for {@code samples} random sequences
     * @param group   dense input columns per scale, or 0 for the default ({@link Int4Quantizer#groupSize})
     */
    public record Job(Path model, Path calib, String windows, int samples, int seq, long seed, int group,
                      boolean symmetric, Path out, int threads) {}

    /** What the run did. */
    public record Summary(int matrices, long calibrationTokens, double seconds) {}

    private GptqQuantization() {}

    /**
     * Runs the job; nothing is written to {@code out} unless every matrix is done.
     *
     * @throws armor.runtime.quant.Int8SchemeException for a group size that does not fit or a quantized folder, before any work
     */
    public static Summary run(Job job, Reporter rep) throws IOException {
        long t0 = System.nanoTime();
        if (Files.exists(job.out()))
            throw new IllegalArgumentException(job.out() + ": already exists, expected a new folder for the checkpoint");
        Conversions.checkQuantize4(job.model(), job.group(), job.symmetric());
        Map<String, Int4Matrix> codes = new LinkedHashMap<>();
        long tokens;
        try (Model model = Model.load(job.model())) {
            CalibrationSet calib = CalibrationSet.forModel(model, job.calib(), job.windows(), job.samples(), job.seq(), job.seed());
            tokens = calib.tokens();
            rep.info("calibration: " + calib.description() + ", " + tokens + " tokens");
            int layers = model.config().numLayers();
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, job.threads()), r -> {
                Thread th = new Thread(r, "armor-gptq");
                th.setDaemon(true);
                return th;
            });
            try {
                for (int l = 0; l < layers; l++) {
                    String task = String.format(Locale.ROOT, "calibration (layer %d of %d on the quantized layers before it)", l + 1, layers);
                    ActivationStatistics stats = ActivationStatistics.collect(model, calib.samples(), calib.seq(), l, l + 1, true,
                            (done, total) -> rep.progress(task, done, total, ""));
                    rep.progressDone();
                    quantizeLayer(model, l, stats, job, pool, codes);
                    rep.info(String.format(Locale.ROOT, "gptq: layer %d of %d done (%.1f s)", l + 1, layers, (System.nanoTime() - t0) / 1e9));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        rep.info("writing " + job.out());
        int n = Conversions.quantize4(job.model(), job.out(), job.group(), job.symmetric(), codes, "gptq",
                (done, total, name) -> rep.progress("write", done, total, name));
        rep.progressDone();
        return new Summary(n, tokens, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The Gram matrix of {@code B'x} from that of x: {@code B'·G·B'ᵀ}, block by block ({@code (B'GB'ᵀ)[I,J] =
     * B'_I·G[I,J]·B'_Jᵀ}), in double.
     */
    static double[] gramThrough(BlockDiagonal b, double[] gram) {
        int n = b.dim(), bs = b.blockSize();
        float[] f = b.toFloats(); // blocks × bs × bs, row-major
        double[] t = new double[n * n]; // B'·G
        for (int r = 0; r < n; r++) {
            int blk = r / bs, i = r % bs;
            for (int k = 0; k < bs; k++) {
                double v = f[(blk * bs + i) * bs + k];
                if (v == 0) continue;
                int g = (blk * bs + k) * n;
                for (int c = 0; c < n; c++) t[r * n + c] += v * gram[g + c];
            }
        }
        double[] out = new double[n * n]; // (B'·G)·B'ᵀ
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                int blk = c / bs, j = c % bs;
                double s = 0;
                for (int k = 0; k < bs; k++) s += t[r * n + blk * bs + k] * f[(blk * bs + j) * bs + k];
                out[r * n + c] = s;
            }
        }
        return out;
    }

    private static Sparse24Int4Matrix int4Core(Int4Matrix q, Sparse24Core core, String prefix) {
        return new Sparse24Int4Matrix(q, core.cols(), MemorySegment.ofArray(core.meta()), prefix + " 2:4 metadata");
    }

    /** Quantizes the seven projections of layer {@code l} side by side and puts their 4-bit layers into the model. */
    private static void quantizeLayer(Model model, int l, ActivationStatistics stats, Job job, ExecutorService pool,
                                      Map<String, Int4Matrix> codes) {
        DecoderLayer layer = model.decoder().layer(l);
        List<Future<Linear>> futures = new ArrayList<>();
        for (String p : DecoderLayer.PROJECTIONS) {
            String prefix = "model.layers." + l + "." + p;
            Linear lin = layer.linear(p);
            ActivationStatistics.Input in = stats.input(l, p);
            if (in == null) throw new IllegalStateException(prefix + ": no calibration statistics were observed");
            int group = Int4Quantizer.groupSize(lin.inFeatures(), job.group());
            float[] bias = LinearLoader.bias(model.weights(), prefix, lin.outFeatures());
            if (lin.format().element().scaled())
                throw new CheckpointException(model.weights().origin() + ": " + prefix + " is " + lin.format().kind()
                        + ", expected a dense, 2:4 or ARMOR float projection to quantize with GPTQ");
            Callable<Linear> quantize = switch (lin.format().structure()) {
                case DENSE -> () -> {
                    Int4Matrix q = Gptq.quantize(TensorFloats.read(model.weights().tensor(prefix + ".weight")),
                            lin.outFeatures(), lin.inFeatures(), in.gram(), group, job.symmetric());
                    keep(codes, prefix + ".weight", q);
                    return new DenseInt4Linear(q, bias);
                };
                case TWO_FOUR -> {
                    Sparse24Core core = ((Sparse24Linear) lin).core().toCore();
                    yield () -> {
                        Int4Matrix q = Gptq.quantize(core, in.gram(), group, job.symmetric());
                        keep(codes, prefix + ".sparse_values", q);
                        return new Sparse24Linear(int4Core(q, core, prefix), bias);
                    };
                }
                case ARMOR -> {
                    // the core sees B'x: its Gram matrix is B'·XᵀX·B'ᵀ; A' (after the core) is left out of the objective
                    ArmorLinear a = (ArmorLinear) lin;
                    Sparse24Core core = a.core().toCore();
                    yield () -> {
                        Int4Matrix q = Gptq.quantize(core, gramThrough(a.b(), in.gram()), group, job.symmetric());
                        keep(codes, prefix + ".sparse_values", q);
                        // A' and B' as the checkpoint will hold them: int8 with one scale per block row
                        return new ArmorLinear(int4Core(q, core, prefix), BlockDiagonal.quantize(a.a().toFloats(), a.a().blocks(), a.a().blockSize()),
                                BlockDiagonal.quantize(a.b().toFloats(), a.b().blocks(), a.b().blockSize()), bias);
                    };
                }
            };
            futures.add(pool.submit(quantize));
        }
        for (int i = 0; i < futures.size(); i++) layer.setLinear(DecoderLayer.PROJECTIONS.get(i), Pruner.result(futures.get(i)));
    }

    private static void keep(Map<String, Int4Matrix> codes, String name, Int4Matrix q) {
        synchronized (codes) {
            codes.put(name, q);
        }
    }
}
