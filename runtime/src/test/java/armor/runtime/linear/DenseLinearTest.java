package armor.runtime.linear;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dense kernels (matrix-vector and matrix-matrix, every dtype, ragged sizes) against a double-precision loop. */
class DenseLinearTest {

    /** Weights rounded to the dtype, so the reference sees exactly the values the kernel reads. */
    static Tensor weights(DType dtype, int out, int in, double[] exact, SplittableRandom rnd) {
        int n = out * in;
        MemorySegment seg;
        switch (dtype) {
            case F32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) exact[i] = f[i] = (float) rnd.nextDouble(-1, 1);
                seg = MemorySegment.ofArray(f);
            }
            case BF16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) {
                    int bits = Float.floatToRawIntBits((float) rnd.nextDouble(-1, 1));
                    s[i] = (short) (bits >>> 16); // truncation: any bf16 value will do
                    exact[i] = Float.intBitsToFloat((s[i] & 0xFFFF) << 16);
                }
                seg = MemorySegment.ofArray(s);
            }
            case F16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) {
                    s[i] = Float.floatToFloat16((float) rnd.nextDouble(-1, 1));
                    exact[i] = Float.float16ToFloat(s[i]);
                }
                seg = MemorySegment.ofArray(s);
            }
            default -> throw new IllegalArgumentException();
        }
        return new Tensor("w", dtype, new long[]{out, in}, seg);
    }

    @ParameterizedTest
    @CsvSource({"F32,1,37,19", "F32,5,64,33", "F32,9,100,3", "BF16,1,64,40", "BF16,1,37,19", "BF16,4,64,17",
            "BF16,7,96,33", "BF16,70,40,5", "BF16,36,45,6", "BF16,34,24,7", "F16,1,37,9", "F16,6,64,20",
            // the small-batch kernels up to 63 tokens (bf16: up to 15, then DenseGemm.bf16Lanes)
            "F32,16,37,19", "F32,23,300,70", "BF16,17,520,33", "BF16,40,33,200", "F16,16,37,9", "F16,29,270,65",
            // DenseGemm (≥ 64 tokens): token tails, row counts off the 16/64 panel, k past one 256-column slice
            "F32,64,64,130", "F32,67,300,70", "BF16,65,520,33", "BF16,71,33,200", "F16,64,37,9", "F16,69,270,65",
            // bf16 from 128 tokens: the transposing panels (16-127: token lanes, DenseGemm.bf16Lanes)
            "BF16,128,300,70", "BF16,131,40,66"})
    void matchesBruteForce(DType dtype, int tokens, int in, int out) {
        SplittableRandom rnd = new SplittableRandom(in * 31L + out);
        double[] w = new double[out * in];
        Tensor t = weights(dtype, out, in, w, rnd);
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) bias[i] = (float) rnd.nextDouble(-1, 1);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-2, 2);
        float[] y = new float[tokens * out];
        Linear lin = new DenseLinear(t, bias);
        lin.forward(x, y, tokens);
        for (int tk = 0; tk < tokens; tk++) {
            for (int r = 0; r < out; r++) {
                double ref = bias[r];
                for (int k = 0; k < in; k++) ref += w[r * in + k] * x[tk * in + k];
                assertEquals(ref, y[tk * out + r], 1e-4 * (1 + Math.abs(ref)), dtype + " token " + tk + " row " + r);
            }
        }
        assertEquals((long) out * in * dtype.bytes() + 4L * out, lin.weightBytes());
    }

    @Test
    void halfFloatSpecialValuesConvertExactly() {
        // zero, -zero, subnormals, smallest normal, ordinary values, max finite, ±inf; each alone in a row of 16
        // zeros, at every lane, times x = ones: the row's sum is the converted value itself
        short[] specials = {0x0000, (short) 0x8000, 0x0001, 0x03FF, 0x0200, (short) 0x83FF, (short) 0x8001, 0x0400,
                0x3C00, (short) 0xC000, 0x7BFF, 0x3555, 0x5640, 0x1234, 0x7C00, (short) 0xFC00};
        int n = 16, rows = specials.length * n;
        short[] w = new short[rows * n];
        for (int i = 0; i < specials.length; i++) for (int lane = 0; lane < n; lane++) w[(i * n + lane) * n + lane] = specials[i];
        Tensor t = new Tensor("w", DType.F16, new long[]{rows, n}, MemorySegment.ofArray(w));
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        for (int tokens : new int[]{1, 4}) {
            float[] xs = new float[tokens * n];
            for (int tk = 0; tk < tokens; tk++) System.arraycopy(x, 0, xs, tk * n, n);
            float[] y = new float[tokens * rows];
            new DenseLinear(t, null).forward(xs, y, tokens);
            for (int tk = 0; tk < tokens; tk++) {
                for (int r = 0; r < rows; r++) {
                    float expected = Float.float16ToFloat(specials[r / n]);
                    assertEquals(Float.floatToRawIntBits(expected + 0f), Float.floatToRawIntBits(y[tk * rows + r] + 0f),
                            "half 0x" + Integer.toHexString(specials[r / n] & 0xFFFF) + " at lane " + r % n);
                }
            }
        }
    }

    @Test
    void rejectsNonFloatWeights() {
        Tensor t = new Tensor("model.layers.0.mlp.up_proj.weight", DType.I32, new long[]{2, 2},
                MemorySegment.ofArray(new int[4]));
        String m = assertThrows(CheckpointException.class, () -> new DenseLinear(t, null)).getMessage();
        assertTrue(m.contains("up_proj.weight") && m.contains("I32") && m.contains("expected BF16, F16 or F32"), m);
    }
}
