package armor.bench;

import armor.cuda.CusparseLtHandle;
import armor.pruner.armor.BlockRule;
import armor.runtime.config.ModelConfig;
import armor.runtime.cuda.BatchBuckets;
import armor.runtime.cuda.CublasGemm;
import armor.runtime.cuda.CudaContext;
import armor.runtime.cuda.CudaLinear;
import armor.runtime.cuda.CudaOps;
import armor.runtime.cuda.DeviceBuffer;
import armor.runtime.cuda.SparseCoreMatmul;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.WeightFormat;
import armor.runtime.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Dense vs 2:4 vs ARMOR on the GPU for the linear layers of one decoder layer of a model shape (q, k, v, o, gate,
 * up, down), at several token counts: decode batches and a prefill. Weights are random (2:4 by magnitude), which is
 * all the timing depends on. The figure is the linear layers only, scaled to the model's layer count; attention,
 * norms and the LM head are not in it.
 */
public final class CudaLinearBenchmark {
    /** One linear of a decoder layer. */
    public record Shape(String name, int out, int in) {}

    /** Time per step (all linears of all layers, for {@code tokens} tokens) and the tokens/s it implies. */
    public record Result(String kind, int tokens, double secondsPerStep, double tokensPerSecond) {}

    private CudaLinearBenchmark() {}

    public static List<Shape> decoderLayer(ModelConfig c) {
        int h = c.hiddenSize(), i = c.intermediateSize();
        return List.of(new Shape("q_proj", c.qDim(), h), new Shape("k_proj", c.kvDim(), h), new Shape("v_proj", c.kvDim(), h),
                new Shape("o_proj", h, c.qDim()), new Shape("gate_proj", i, h), new Shape("up_proj", i, h),
                new Shape("down_proj", h, i));
    }

    public static List<Result> run(CudaContext cuda, CusparseLtHandle handle, ModelConfig config, int blockSize,
                                   int[] tokenCounts, int repetitions, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        List<Shape> shapes = decoderLayer(config);
        Random random = new Random(42);
        CudaOps ops = new CudaOps(cuda);
        try (CublasGemm gemm = new CublasGemm(cuda)) {
            for (String kind : WeightFormat.gpuKinds()) {
                List<CudaLinear> layers = new ArrayList<>();
                try {
                    for (Shape s : shapes) layers.add(build(kind, s, cuda, handle, gemm, ops, blockSize, random));
                    for (int tokens : tokenCounts) {
                        double seconds = time(cuda, layers, tokens, repetitions) * config.numLayers();
                        Result r = new Result(kind, tokens, seconds, tokens / seconds);
                        progress.accept(String.format("%-5s %5d tokens: %9.3f ms per step, %12.1f tokens/s (linear layers)",
                                kind, tokens, seconds * 1e3, r.tokensPerSecond()));
                        results.add(r);
                    }
                } finally {
                    for (CudaLinear l : layers) l.close();
                }
            }
        }
        return results;
    }

    private static CudaLinear build(String kind, Shape s, CudaContext cuda, CusparseLtHandle handle, CublasGemm gemm,
                                    CudaOps ops, int b, Random random) {
        // the GPU path's operand type is bf16: its row of each kind (WeightFormat#gpu)
        return switch (WeightFormat.forKind(kind, DType.BF16).structure()) {
            case DENSE -> {
                short[] w = new short[s.out() * s.in()];
                for (int i = 0; i < w.length; i++) w[i] = HalfFloat.floatToBf16((float) random.nextGaussian() * 0.02f);
                yield new CudaLinear.Dense(cuda, gemm, w, s.out(), s.in());
            }
            case TWO_FOUR -> new CudaLinear.TwoFour(ops, SparseCoreMatmul.load(handle, cuda,
                    randomTwoFour(random, s.out(), s.in(), 0.02f), s.out(), s.in()));
            case ARMOR -> {
                SparseCoreMatmul core = SparseCoreMatmul.load(handle, cuda,
                        randomTwoFour(random, s.out(), s.in(), 0.02f), s.out(), s.in());
                int ab = BlockRule.blockFor(s.out(), b), bb = BlockRule.blockFor(s.in(), b); // as the pruner chooses
                short[] a = new short[s.out() * ab], bw = new short[s.in() * bb];
                for (int i = 0; i < a.length; i++) a[i] = HalfFloat.floatToBf16((float) random.nextGaussian() / ab);
                for (int i = 0; i < bw.length; i++) bw[i] = HalfFloat.floatToBf16((float) random.nextGaussian() / bb);
                yield new CudaLinear.Armor(cuda, gemm, core, a, ab, bw, bb);
            }
        };
    }

    /** Seconds for one pass over the layers (median of the repetitions, after two untimed passes). */
    private static double time(CudaContext cuda, List<CudaLinear> layers, int tokens, int repetitions) {
        int bucket = BatchBuckets.bucket(tokens);
        long maxIn = 0, maxOut = 0, maxScratch = 0;
        for (CudaLinear l : layers) {
            maxIn = Math.max(maxIn, l.inFeatures());
            maxOut = Math.max(maxOut, l.outFeatures());
            maxScratch = Math.max(maxScratch, l.scratchBytes(tokens));
        }
        try (DeviceBuffer x = cuda.allocate(2L * bucket * maxIn); DeviceBuffer y = cuda.allocate(4L * bucket * maxOut);
             DeviceBuffer scratch = cuda.allocate(maxScratch)) {
            x.upload(new short[(int) (bucket * maxIn)]);
            double[] samples = new double[repetitions];
            for (int rep = -2; rep < repetitions; rep++) {
                cuda.synchronize();
                long start = System.nanoTime();
                for (CudaLinear l : layers) l.forward(x, y, tokens, scratch);
                cuda.synchronize();
                if (rep >= 0) samples[rep] = (System.nanoTime() - start) / 1e9;
            }
            Arrays.sort(samples);
            return samples[repetitions / 2];
        }
    }

    /** A random 2:4 weight (magnitude-pruned Gaussian) as the dense bf16 matrix with zeros that compression takes. */
    static short[] randomTwoFour(Random random, int rows, int cols, float scale) {
        float[] w = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian() * scale;
        float[] dense = Sparse24Core.byMagnitude(w, rows, cols).toDense();
        short[] bf = new short[dense.length];
        for (int i = 0; i < dense.length; i++) bf[i] = HalfFloat.floatToBf16(dense[i]);
        return bf;
    }
}
