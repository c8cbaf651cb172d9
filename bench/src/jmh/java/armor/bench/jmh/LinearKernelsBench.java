package armor.bench.jmh;

import armor.runtime.kernels.DenseGemm;
import armor.runtime.kernels.DenseMatMul;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.Sparse24Kernels;
import armor.runtime.linear.BlockDiagonal;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Matrix;
import armor.runtime.tensor.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Single-threaded kernels of one bf16 linear layer: dense vs 2:4 vs ARMOR blocks, decode (one token) and prefill
 * (a tile of tokens). Divide the weight bytes by the time for GB/s; compare dense and 2:4 within one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LinearKernelsBench {
    /** rows×cols of the layer: Llama-3.2-1B's gate/up (8192×2048) and down (2048×8192) projections. */
    @Param({"8192x2048", "2048x8192"})
    public String shape;

    @Param({"64", "256"})
    public int prefillTokens;

    int rows, cols;
    MemorySegment dense;
    Sparse24Matrix core;
    BlockDiagonal blocks;
    float[] x, xp, y, xs, xt, ys, u, us;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        cols = Integer.parseInt(p[1]);
        Random rnd = new Random(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        dense = Arena.ofAuto().allocate((long) w.length * 2, 64);
        for (int i = 0; i < w.length; i++) dense.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfFloat.floatToBf16(w[i]));
        core = Sparse24Matrix.fromCore(Sparse24Core.byMagnitude(w, rows, cols), DType.BF16);
        float[] bw = new float[cols * 128];
        for (int i = 0; i < bw.length; i++) bw[i] = (float) rnd.nextGaussian();
        blocks = BlockDiagonal.fromFloats(bw, cols / 128, 128, DType.BF16);
        x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        xp = core.paddedInput(x, 0);
        y = new float[rows];
        u = new float[cols];
        xs = new float[prefillTokens * cols];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
        int tp = Sparse24Kernels.roundUp(prefillTokens, 8);
        xt = Sparse24Kernels.transpose(xs, 0, prefillTokens, cols, tp);
        ys = new float[prefillTokens * rows];
        us = new float[prefillTokens * cols];
    }

    @Benchmark
    public void denseDecode(Blackhole bh) {
        DenseMatMul.bf16MatVec(dense, cols, x, y, 0, rows);
        bh.consume(y);
    }

    @Benchmark
    public void sparseDecode(Blackhole bh) {
        core.decodeRowBlocks(xp, y, 0, 0, (rows + 7) / 8);
        bh.consume(y);
    }

    /** The B' product of an ARMOR layer for one token (A' costs the same per row block). */
    @Benchmark
    public void blockDiagonalDecode(Blackhole bh) {
        for (int k = 0; k < blocks.blocks(); k++) blocks.applyBlock(k, x, 0, cols, u, 0, cols, 1);
        bh.consume(u);
    }

    /** The B' product of an ARMOR layer for a prompt: from BlockDiagonalKernels.GEMM_TOKENS tokens, BlockGemm tiles per block. */
    @Benchmark
    public void blockDiagonalPrefill(Blackhole bh) {
        for (int k = 0; k < blocks.blocks(); k++) blocks.applyBlock(k, xs, 0, cols, us, 0, cols, prefillTokens);
        bh.consume(us);
    }

    @Benchmark
    public void densePrefill(Blackhole bh) {
        DenseMatMul.bf16MatMat(dense, cols, rows, xs, ys, prefillTokens, 0, rows);
        bh.consume(ys);
    }

    /** The many-token kernel the runtime uses from 16 tokens on: a 64-row panel dequantized once, BlockGemm tiles. */
    @Benchmark
    public void densePrefillPanels(Blackhole bh) {
        DenseGemm.bf16(dense, cols, rows, xs, ys, prefillTokens, 0, rows);
        bh.consume(ys);
    }

    @Benchmark
    public void sparsePrefill(Blackhole bh) {
        core.prefillRows(xt, Sparse24Kernels.roundUp(prefillTokens, 8), prefillTokens, ys, rows, 0, 0, rows);
        bh.consume(ys);
    }
}
