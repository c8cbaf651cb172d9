package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.TensorMapWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The GPU path's host-side weight loading against the CPU runtime's layers of the same checkpoint. */
class HostLinearTest {
    private static final Path MODEL = Path.of(System.getProperty("armor.shared", "../shared"), "models", "tiny-qwen2-random");

    @Test
    void denseProjectionsComputeWhatTheCpuLayersCompute() {
        ModelConfig c = ConfigReader.read(MODEL);
        Random r = new Random(51);
        try (CheckpointWeights w = CheckpointWeights.open(MODEL)) {
            String[][] projections = {{"model.layers.0.self_attn.q_proj", "" + c.hiddenSize(), "" + c.qDim()},
                    {"model.layers.1.mlp.down_proj", "" + c.intermediateSize(), "" + c.hiddenSize()}};
            for (String[] p : projections) {
                int in = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
                HostLinear host = HostLinear.load(w, p[0], in, out);
                HostLinear.Dense dense = assertInstanceOf(HostLinear.Dense.class, host);
                Linear cpu = LinearLoader.load(w, p[0], in, out);
                float[] x = new float[in];
                for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
                float[] expected = new float[out];
                cpu.forward(x, expected, 1);
                for (int o = 0; o < out; o++) {
                    double y = dense.bias() == null ? 0 : dense.bias()[o];
                    for (int i = 0; i < in; i++) y += HalfFloat.bf16ToFloat(dense.weight()[o * in + i]) * x[i];
                    assertEquals(expected[o], y, 1e-3 * Math.max(1, Math.abs(expected[o])), p[0] + " output " + o);
                }
            }
            // Qwen2's q projection has a bias, and it must have come along.
            assertTrue(HostLinear.load(w, "model.layers.0.self_attn.q_proj", c.hiddenSize(), c.qDim()).bias() != null);
            CheckpointException wrong = assertThrows(CheckpointException.class,
                    () -> HostLinear.load(w, "model.layers.0.self_attn.q_proj", c.hiddenSize() + 1, c.qDim()));
            assertTrue(wrong.getMessage().contains("model.layers.0.self_attn.q_proj.weight has shape"), wrong.getMessage());
        }
    }

    /** In-memory checkpoint tensors of one projection, filled with the given bf16 or u8 values. */
    private static Tensor tensor(Arena arena, String name, DType dt, long[] shape, java.util.function.IntUnaryOperator bits) {
        long n = 1;
        for (long d : shape) n *= d;
        MemorySegment seg = arena.allocate(n * dt.bytes());
        for (long i = 0; i < n; i++) {
            if (dt == DType.U8) seg.set(ValueLayout.JAVA_BYTE, i, (byte) bits.applyAsInt((int) i));
            else seg.set(HostLinear.LE_SHORT, 2 * i, (short) bits.applyAsInt((int) i));
        }
        return new Tensor(name, dt, shape, seg);
    }

    /**
     * ARMOR with A' and B' of different block sizes (24 outputs in blocks of 12, 16 inputs in blocks of 8), as the
     * pruner writes them: the host form computes what the CPU runtime's ArmorLinear computes.
     */
    @Test
    void armorWithItsOwnBlockSizeForAAndBComputesWhatTheCpuLayerComputes() {
        String p = "model.layers.0.mlp.up_proj";
        int out = 24, in = 16;
        Random r = new Random(53);
        int[] nibbles = {0x4, 0x8, 0xC, 0x9, 0xD, 0xE}; // (p0, p1) with p0 < p1, as p0 | p1 << 2
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> map = new LinkedHashMap<>();
            IntUnaryOperator gaussian = i -> HalfFloat.floatToBf16((float) r.nextGaussian() * 0.3f);
            map.put(p + ".sparse_values", tensor(arena, p + ".sparse_values", DType.BF16, new long[] {out, in / 2}, gaussian));
            map.put(p + ".sparse_meta", tensor(arena, p + ".sparse_meta", DType.U8, new long[] {out, in / 8},
                    i -> nibbles[r.nextInt(6)] | nibbles[r.nextInt(6)] << 4));
            map.put(p + ".armor_a", tensor(arena, p + ".armor_a", DType.BF16, new long[] {2, 12, 12}, gaussian));
            map.put(p + ".armor_b", tensor(arena, p + ".armor_b", DType.BF16, new long[] {2, 8, 8}, gaussian));
            WeightSource w = new TensorMapWeights(map) {
                @Override
                public String origin() {
                    return "test";
                }
            };
            HostLinear.Armor host = assertInstanceOf(HostLinear.Armor.class, HostLinear.load(w, p, in, out));
            assertEquals(12, host.aBlock());
            assertEquals(8, host.bBlock());
            float[] x = new float[in];
            for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
            float[] expected = new float[out];
            LinearLoader.load(w, p, in, out).forward(x, expected, 1);
            double[] bx = blockProduct(host.b(), host.bBlock(), in, x);
            double[] cbx = new double[out];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) cbx[o] += HalfFloat.bf16ToFloat(host.dense()[o * in + i]) * bx[i];
            }
            float[] cbxf = new float[out];
            for (int o = 0; o < out; o++) cbxf[o] = (float) cbx[o];
            double[] y = blockProduct(host.a(), host.aBlock(), out, cbxf);
            for (int o = 0; o < out; o++) assertEquals(expected[o], y[o], 1e-3 * Math.max(1, Math.abs(y[o])), "output " + o);

            // a block size that does not divide its dimension is named
            map.put(p + ".armor_a", tensor(arena, p + ".armor_a", DType.BF16, new long[] {3, 10, 10}, gaussian));
            String msg = assertThrows(CheckpointException.class, () -> HostLinear.load(w, p, in, out)).getMessage();
            assertTrue(msg.contains(p + ".armor_a has shape [3, 10, 10], expected [24/k, k, k] with a block size k "
                    + "dividing 24"), msg);
        }
    }

    /** y = blockdiag(blocks) · x, row-major k × k blocks, in double. */
    private static double[] blockProduct(short[] blocks, int k, int n, float[] x) {
        double[] y = new double[n];
        for (int blk = 0; blk < n / k; blk++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    y[blk * k + i] += HalfFloat.bf16ToFloat(blocks[(blk * k + i) * k + j]) * x[blk * k + j];
                }
            }
        }
        return y;
    }
}
