package armor.runtime.linear;

import armor.runtime.linear.SparseLinearLoaderTest.Tensors;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** How the loader reads int8 linears, and the one-line errors for int8 tensors without or with misshapen scales. */
class Int8LoaderTest {
    static final String P = SparseLinearLoaderTest.P;

    private static String error(Tensors t, int in, int out) {
        return assertThrows(CheckpointException.class, () -> LinearLoader.load(t, P, in, out)).getMessage();
    }

    @Test
    void denseInt8NeedsMatchingScales() {
        Tensors t = new Tensors().put(P + ".weight", DType.I8, 24, 64).put(P + ".weight_scale", DType.F32, 24, 2);
        Linear l = LinearLoader.load(t, P, 64, 24);
        assertEquals("dense-int8", l.kind());
        assertEquals(32, ((DenseInt8Linear) l).weight().groupSize());

        assertTrue(error(new Tensors().put(P + ".weight", DType.I8, 24, 64), 64, 24)
                .contains("missing tensor " + P + ".weight_scale (the scales of the int8 tensor " + P + ".weight)"));
        assertTrue(error(new Tensors().put(P + ".weight", DType.I8, 24, 64).put(P + ".weight_scale", DType.F32, 24, 3), 64, 24)
                .contains("tensor " + P + ".weight_scale has shape [24, 3], expected [24, G] with G dividing 64"));
        assertTrue(error(new Tensors().put(P + ".weight", DType.I8, 24, 64).put(P + ".weight_scale", DType.F32, 12, 2), 64, 24)
                .contains("has shape [12, 2]"));
        assertTrue(error(new Tensors().put(P + ".weight", DType.BF16, 24, 64).put(P + ".weight_scale", DType.F32, 24, 2), 64, 24)
                .contains("expected I8 (scales belong to int8 weights)"));
        assertTrue(error(new Tensors().put(P + ".weight", DType.I8, 24, 64).put(P + ".weight_scale", DType.I32, 24, 2), 64, 24)
                .contains("expected F32 (or BF16, F16)"));
    }

    @Test
    void sparseInt8NeedsScalesAndArmorFactorsTheirs() {
        Tensors t = new Tensors().put(P + ".sparse_values", DType.I8, 24, 8).put(P + ".sparse_meta", DType.U8, 24, 2);
        assertTrue(error(t, 16, 24).contains("missing tensor " + P + ".sparse_values_scale"));
        t.put(P + ".sparse_values_scale", DType.F32, 24, 1);
        assertEquals("2:4-int8", LinearLoader.load(fillMeta(t, 24, 2), P, 16, 24).kind());
        t.put(P + ".armor_a", DType.I8, 3, 8, 8).put(P + ".armor_b", DType.I8, 2, 8, 8).put(P + ".armor_a_scale", DType.F32, 3, 8, 1);
        assertTrue(error(t, 16, 24).contains("missing tensor " + P + ".armor_b_scale"));
        t.put(P + ".armor_b_scale", DType.F32, 2, 8, 2);
        assertTrue(error(t, 16, 24).contains("tensor " + P + ".armor_b_scale has shape [2, 8, 2], expected [2, 8, 1]"));
        t.put(P + ".armor_b_scale", DType.F32, 2, 8, 1);
        assertEquals("armor-int8", LinearLoader.load(t, P, 16, 24).kind());
    }

    /** Every group (0, 1): nibble 0x4, two groups a byte. */
    private static Tensors fillMeta(Tensors t, int rows, int metaCols) {
        MemorySegment m = t.tensor(P + ".sparse_meta").data();
        for (int i = 0; i < rows * metaCols; i++) m.set(ValueLayout.JAVA_BYTE, i, (byte) 0x44);
        return t;
    }

    /** The int8 view loads to the same products as quantizing by hand: one path for the bench kinds and `armor quantize`. */
    @Test
    void quantizedViewLoadsAsInt8Kinds() {
        Random rnd = new Random(2);
        Tensors t = new Tensors().put(P + ".weight", DType.F32, 16, 256);
        MemorySegment w = t.tensor(P + ".weight").data();
        float[] dense = new float[16 * 256];
        for (int i = 0; i < dense.length; i++) w.setAtIndex(ValueLayout.JAVA_FLOAT, i, dense[i] = (float) rnd.nextGaussian());
        try (QuantizedWeights q = new QuantizedWeights(t, 0, true)) {
            q.validate();
            Tensor scale = q.tensor(P + ".weight_scale");
            assertArrayEquals(new long[] {16, 2}, scale.shape()); // default group of 128 columns
            DenseInt8Linear l = (DenseInt8Linear) LinearLoader.load(q, P, 256, 16);
            float[] back = l.denseWeight();
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 256; c++) {
                    float s = scale.data().getAtIndex(ValueLayout.JAVA_FLOAT, r * 2 + c / 128);
                    assertTrue(Math.abs(back[r * 256 + c] - dense[r * 256 + c]) <= s / 2 * (1 + 1e-6), "element " + r + "," + c);
                }
        }
        try (QuantizedWeights q = new QuantizedWeights(t, 24, true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, q::validate);
            assertTrue(e.getMessage().contains("--group-size: tensor " + P + ".weight (256 input columns): group size 24 does not divide"), e.getMessage());
        }
    }
}
