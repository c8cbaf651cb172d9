package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import armor.cuda.CudaDevices;
import armor.cuda.CudaUnavailableException;
import armor.runtime.tensor.DType;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of armor_kernels.cu on a real GPU against a plain Java reference written here from the definitions
 * (Hugging Face's RMSNorm, rotate-half RoPE, causal GQA softmax attention, SiLU, round-to-nearest-even bf16).
 * Skipped, with the reason, where no CUDA device of compute capability 8.0 or newer exists.
 */
class CudaKernelsGpuTest {
    private static final float TOL = 1e-4f;
    private static CudaContext cuda;
    private static CudaOps ops;
    private static String skipReason;

    @BeforeAll
    static void open() {
        String reason;
        try {
            CudaDevices.Info device = CudaDevices.list().stream().filter(CudaDevices.Info::hasSparseTensorCores)
                    .findFirst().orElse(null);
            reason = device == null ? "no CUDA device of compute capability 8.0 or newer" : null;
        } catch (CudaUnavailableException e) {
            reason = e.getMessage();
        }
        skipReason = reason;
        if (reason != null) return;
        cuda = CudaContext.open(0);
        ops = new CudaOps(cuda);
    }

    /** Each test reports as skipped with the reason, rather than the class vanishing from the report. */
    @BeforeEach
    void needsAGpu() {
        assumeTrue(skipReason == null, () -> "GPU test skipped: " + skipReason);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static DeviceBuffer upload(float[] host) {
        DeviceBuffer b = cuda.allocate(4L * host.length);
        b.upload(host);
        return b;
    }

    private static DeviceBuffer upload(int[] host) {
        DeviceBuffer b = cuda.allocate(4L * host.length);
        b.upload(host);
        return b;
    }

    private static float[] download(DeviceBuffer b, int n) {
        cuda.synchronize();
        float[] host = new float[n];
        b.download(host);
        return host;
    }

    private static void assertClose(float[] expected, float[] actual, float tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float scale = Math.max(1f, Math.abs(expected[i]));
            if (Math.abs(expected[i] - actual[i]) > tol * scale) {
                throw new AssertionError("element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    /** Round to nearest even, written from the definition: compare the discarded 16 bits with one half. */
    private static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int upper = bits >>> 16, lower = bits & 0xffff;
        if (Float.isNaN(f)) return (short) (upper | 0x40);
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
        return (short) upper;
    }

    private static float fromBf16(short s) {
        return Float.intBitsToFloat((s & 0xffff) << 16);
    }

    @Test
    void embeddingGathersRowsOfEveryDtype() {
        Random r = new Random(1);
        int vocab = 50, dim = 40;
        float[] table = random(r, vocab * dim);
        int[] tokens = {3, 0, 49, 3};
        float[] expected = new float[tokens.length * dim];
        short[] bf = new short[table.length];
        for (int i = 0; i < table.length; i++) bf[i] = bf16(table[i]);
        for (int t = 0; t < tokens.length; t++) {
            for (int i = 0; i < dim; i++) expected[t * dim + i] = fromBf16(bf[tokens[t] * dim + i]);
        }
        try (DeviceBuffer tb = cuda.allocate(2L * bf.length); DeviceBuffer tok = upload(tokens);
             DeviceBuffer out = cuda.allocate(4L * expected.length)) {
            tb.upload(bf);
            ops.embedding(out, tb, DType.BF16, tok, tokens.length, dim);
            assertArrayEquals(expected, download(out, expected.length));
        }
        try (DeviceBuffer tb = upload(table); DeviceBuffer tok = upload(tokens);
             DeviceBuffer out = cuda.allocate(4L * expected.length)) {
            ops.embedding(out, tb, DType.F32, tok, tokens.length, dim);
            float[] f32 = new float[expected.length];
            for (int t = 0; t < tokens.length; t++) System.arraycopy(table, tokens[t] * dim, f32, t * dim, dim);
            assertArrayEquals(f32, download(out, expected.length));
        }
    }

    @Test
    void rmsnormMatchesTheDefinition() {
        Random r = new Random(2);
        int rows = 5, dim = 1000;
        float eps = 1e-6f;
        float[] x = random(r, rows * dim), w = random(r, dim), expected = new float[rows * dim];
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[row * dim + i] * x[row * dim + i];
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) expected[row * dim + i] = (float) (x[row * dim + i] * inv * w[i]);
        }
        try (DeviceBuffer xb = upload(x); DeviceBuffer wb = upload(w); DeviceBuffer out = cuda.allocate(4L * x.length)) {
            ops.rmsnorm(out, xb, wb, rows, dim, eps);
            assertClose(expected, download(out, x.length), TOL);
        }
    }

    @Test
    void ropeRotatesHalves() {
        Random r = new Random(3);
        int tokens = 3, heads = 4, headDim = 64, rotary = 64;
        int[] positions = {0, 7, 1000};
        float[] x = random(r, tokens * heads * headDim), invFreq = new float[rotary / 2];
        for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(10000, -2.0 * i / rotary);
        float[] expected = x.clone();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int i = 0; i < rotary / 2; i++) {
                    double angle = positions[t] * (double) invFreq[i];
                    double a = x[base + i], b = x[base + i + rotary / 2];
                    expected[base + i] = (float) (a * Math.cos(angle) - b * Math.sin(angle));
                    expected[base + i + rotary / 2] = (float) (b * Math.cos(angle) + a * Math.sin(angle));
                }
            }
        }
        try (DeviceBuffer xb = upload(x); DeviceBuffer pb = upload(positions); DeviceBuffer fb = upload(invFreq)) {
            ops.rope(xb, pb, fb, tokens, heads, headDim, rotary);
            assertClose(expected, download(xb, x.length), 1e-3f); // sincosf at angle ~1000 rad
        }
    }

    @Test
    void attentionOverTheCacheIsCausalAndGrouped() {
        Random r = new Random(4);
        int heads = 4, kvHeads = 2, headDim = 32, maxSeq = 16, kvDim = kvHeads * headDim;
        int sequences = 2;
        // three tokens: sequence 0 at positions 4 and 5 (prefill tail), sequence 1 at position 9 (decode)
        int[] seqIds = {0, 0, 1}, positions = {4, 5, 9};
        int tokens = seqIds.length;
        float[] kCache = random(r, sequences * maxSeq * kvDim), vCache = random(r, sequences * maxSeq * kvDim);
        float[] k = random(r, tokens * kvDim), v = random(r, tokens * kvDim), q = random(r, tokens * heads * headDim);
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] kExp = kCache.clone(), vExp = vCache.clone();
        for (int t = 0; t < tokens; t++) {
            int slot = (seqIds[t] * maxSeq + positions[t]) * kvDim;
            System.arraycopy(k, t * kvDim, kExp, slot, kvDim);
            System.arraycopy(v, t * kvDim, vExp, slot, kvDim);
        }
        float[] expected = new float[tokens * heads * headDim];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads), len = positions[t] + 1;
                double[] p = new double[len];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < len; j++) {
                    double dot = 0;
                    for (int i = 0; i < headDim; i++) {
                        dot += q[(t * heads + h) * headDim + i] * kExp[(seqIds[t] * maxSeq + j) * kvDim + kvh * headDim + i];
                    }
                    p[j] = dot * scale;
                    max = Math.max(max, p[j]);
                }
                for (int j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
                for (int i = 0; i < headDim; i++) {
                    double acc = 0;
                    for (int j = 0; j < len; j++) acc += p[j] * vExp[(seqIds[t] * maxSeq + j) * kvDim + kvh * headDim + i];
                    expected[(t * heads + h) * headDim + i] = (float) (acc / sum);
                }
            }
        }
        try (DeviceBuffer kc = upload(kCache); DeviceBuffer vc = upload(vCache); DeviceBuffer kb = upload(k);
             DeviceBuffer vb = upload(v); DeviceBuffer qb = upload(q); DeviceBuffer sb = upload(seqIds);
             DeviceBuffer pb = upload(positions); DeviceBuffer out = cuda.allocate(4L * expected.length)) {
            ops.kvStore(kc, vc, kb, vb, sb, pb, tokens, kvDim, maxSeq);
            assertArrayEquals(kExp, download(kc, kExp.length));
            assertArrayEquals(vExp, download(vc, vExp.length));
            ops.attention(out, qb, kc, vc, sb, pb, tokens, heads, kvHeads, headDim, maxSeq, 10, scale);
            assertClose(expected, download(out, expected.length), TOL);
        }
    }

    @Test
    void elementwiseKernels() {
        Random r = new Random(5);
        int rows = 7, cols = 300, n = rows * cols;
        float[] gate = random(r, n), up = random(r, n), bias = random(r, cols);
        float[] silu = new float[n], sum = new float[n], biased = new float[n];
        for (int i = 0; i < n; i++) {
            silu[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
            sum[i] = gate[i] + up[i];
            biased[i] = gate[i] + bias[i % cols];
        }
        try (DeviceBuffer g = upload(gate); DeviceBuffer u = upload(up); DeviceBuffer b = upload(bias);
             DeviceBuffer out = cuda.allocate(4L * n)) {
            ops.siluMul(out, g, u, n);
            assertClose(silu, download(out, n), TOL);
            ops.addBias(g, b, rows, cols);
            assertClose(biased, download(g, n), 0);
            g.upload(gate);
            ops.add(g, u, n);
            assertClose(sum, download(g, n), 0);
        }
    }

    @Test
    void bf16ConversionsRoundToNearestEven() {
        float[] x = {1f, -2.5f, 1.00390625f /* tie, even down */, 1.01171875f /* tie, odd up */, 3.3e38f, 1e-40f,
                Float.NaN, Float.POSITIVE_INFINITY, -0f};
        Random r = new Random(6);
        float[] all = new float[x.length + 1000];
        System.arraycopy(x, 0, all, 0, x.length);
        for (int i = x.length; i < all.length; i++) all[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10));
        short[] expected = new short[all.length];
        for (int i = 0; i < all.length; i++) expected[i] = bf16(all[i]);
        try (DeviceBuffer in = upload(all); DeviceBuffer half = cuda.allocate(2L * all.length);
             DeviceBuffer back = cuda.allocate(4L * all.length)) {
            ops.toBf16(half, in, all.length);
            cuda.synchronize();
            short[] got = new short[all.length];
            half.download(got);
            assertArrayEquals(expected, got);
            ops.toF32(back, half, all.length);
            float[] widened = download(back, all.length);
            for (int i = 0; i < all.length; i++) {
                assertEquals(Float.floatToRawIntBits(fromBf16(expected[i])), Float.floatToRawIntBits(widened[i]), "element " + i);
            }
        }
    }
}
