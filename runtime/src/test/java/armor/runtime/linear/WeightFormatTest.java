package armor.runtime.linear;

import armor.runtime.linear.SparseLinearLoaderTest.Tensors;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.quant.Fp8Weights;
import armor.runtime.quant.Int4Weights;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The {@link WeightFormat} table against checkpoints written for each row: the recogniser picks exactly that row,
 * the loader makes a layer of it, its byte count is the bytes of the tensors, names round-trip, named kernels exist.
 */
class WeightFormatTest {
    private static final String P = SparseLinearLoaderTest.P;
    private static final int OUT = 24, IN = 32, BLOCK = 8;

    /** A checkpoint holding projection P in {@code f}: float tensors in its dtype, int8 and int4 through `armor quantize`'s views. */
    private static WeightSource checkpoint(WeightFormat f) {
        return checkpoint(f, OUT, IN);
    }

    /**
     * As above, {@code rows × cols} ({@code cols} a multiple of 16, both multiples of the ARMOR block 8), random
     * values and the 2:4 positions (0, 1) in every group of four; a runnable layer of it is
     * {@code LinearLoader.load(f.runnable() ? w : Fp8Weights.of(w), P, cols, rows)}.
     */
    static WeightSource checkpoint(WeightFormat f, int rows, int cols) {
        Element e = f.element();
        DType stored = e == Element.INT8 || e == Element.INT4 ? DType.F32 : e.dtype();
        Tensors t = new Tensors();
        if (f.structure() == Structure.DENSE) {
            t.put(P + ".weight", stored, rows, cols);
            if (e == Element.FP8_E4M3) t.put(P + ".weight_scale", DType.F32, rows, 1);
        } else {
            t.put(P + ".sparse_values", stored, rows, cols / 2).put(P + ".sparse_meta", DType.U8, rows, cols / 8);
            MemorySegment meta = t.tensor(P + ".sparse_meta").data();
            for (long i = 0; i < meta.byteSize(); i++) meta.set(ValueLayout.JAVA_BYTE, i, (byte) 0x44); // kept (0, 1)
        }
        if (f.structure() == Structure.ARMOR)
            t.put(P + ".armor_a", stored, rows / BLOCK, BLOCK, BLOCK).put(P + ".armor_b", stored, cols / BLOCK, BLOCK, BLOCK);
        Random rnd = new Random(f.ordinal());
        for (String n : t.names()) {
            Tensor x = t.tensor(n);
            if (x.dtype() == DType.F32)
                for (long i = 0; i < x.elementCount(); i++) x.data().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        }
        return e == Element.INT8 ? new QuantizedWeights(t, 0, true) : e == Element.INT4 ? new Int4Weights(t, 16, true) : t;
    }

    /**
     * Brute force: the bytes of every tensor of P whose name ends in one of {@code suffixes}, its packed form or its
     * scale (not the 16 bytes of an int4 matrix's shape, which no layer reads).
     */
    private static long tensorBytes(WeightSource w, List<String> suffixes) {
        long sum = 0;
        for (String n : w.names())
            for (String s : suffixes)
                if (n.equals(P + s) || n.equals(P + s + "_scale") || n.equals(P + s + "_packed")) sum += w.tensor(n).data().byteSize();
        return sum;
    }

    /** Dense columns per scale, from the scale tensor's shape (0 for unscaled rows). */
    private static int group(WeightSource w, WeightFormat f) {
        String scale = P + f.structure().mainSuffix() + "_scale";
        return w.has(scale) ? IN / w.tensor(scale).dim(1) : 0;
    }

    @Test
    void everyRowIsRecognisedInItsOwnCheckpointAndNoOther() {
        for (WeightFormat f : WeightFormat.values()) {
            WeightSource w = checkpoint(f);
            assertEquals(f, WeightFormat.recognise(w, P), f + "'s checkpoint");
            assertEquals(f, WeightFormat.of(f.structure(), f.element()));
            for (WeightFormat g : WeightFormat.values())
                if (g != f) assertFalse(g.structure() == f.structure() && g.element() == f.element(), f + " and " + g + " share a key");
        }
        assertNull(WeightFormat.recognise(new Tensors(), P));
        assertNull(WeightFormat.recognise(new Tensors().put(P + ".weight", DType.I32, OUT, IN), P));
    }

    @Test
    void everyRowLoadsAsItsLayerAndCountsTheBytesOfItsTensors() {
        for (WeightFormat f : WeightFormat.values()) {
            WeightSource w = checkpoint(f);
            // fp8 is dequantized when a folder opens, as Model.load does through Sparse24View
            Linear layer = LinearLoader.load(f.runnable() ? w : Fp8Weights.of(w), P, IN, OUT);
            assertEquals(f.runsAs(), layer.format(), f.toString());
            assertEquals(f.kind(), layer.kind());
            long core = tensorBytes(w, f.structure() == Structure.DENSE ? List.of(".weight")
                    : List.of(SparseLinearLoader.VALUES, SparseLinearLoader.META));
            assertEquals(core, f.weightBytes(OUT, IN, group(w, f)), f + ": table count against the core's tensors");
            if (f.runnable()) assertEquals(tensorBytes(w, f.structure().suffixes()), layer.weightBytes(), f + ": layer against all its tensors");
            assertEquals(OUT * IN, layer.denseWeight().length);
        }
    }

    @Test
    void packingFromFloatsMakesTheRowsLayerWithTheSameBytesAsLoading() {
        Random rnd = new Random(3);
        float[] w = new float[OUT * IN];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Sparse24Core core = Sparse24Core.byMagnitude(w, OUT, IN);
        float[] a = new float[OUT * BLOCK], b = new float[IN * BLOCK];
        Arrays.fill(a, 0.5f);
        Arrays.fill(b, 0.25f);
        for (WeightFormat f : WeightFormat.values()) {
            if (!f.runnable()) {
                assertThrows(UnsupportedOperationException.class, () -> f.pack(null));
                continue;
            }
            WeightSource ckpt = checkpoint(f);
            FloatWeights values = new FloatWeights(w, dt -> tensor(w, dt), core, a, b, BLOCK, group(ckpt, f) == 0 ? IN : group(ckpt, f));
            Linear packed = f.pack(values);
            assertEquals(f, packed.format());
            assertEquals(LinearLoader.load(ckpt, P, IN, OUT).weightBytes(), packed.weightBytes(), f.toString());
        }
    }

    /** The dense matrix as an {@code OUT × IN} tensor in a float dtype. */
    private static Tensor tensor(float[] w, DType dt) {
        MemorySegment m = MemorySegment.ofArray(new byte[w.length * dt.bytes()]);
        for (int i = 0; i < w.length; i++) {
            switch (dt) {
                case F32 -> m.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i]);
                case BF16 -> m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfFloat.floatToBf16(w[i]));
                default -> m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, HalfFloat.floatToF16(w[i]));
            }
        }
        return new Tensor("w", dt, new long[] {OUT, IN}, m);
    }

    @Test
    void namesRoundTripAndStayTheOnesUsersSee() {
        assertEquals(List.of("dense", "2:4", "armor", "dense-int8", "2:4-int8", "armor-int8", "dense-int4", "2:4-int4", "armor-int4"), WeightFormat.kinds());
        assertEquals(List.of("dense", "2:4", "armor"), WeightFormat.gpuKinds());
        for (WeightFormat f : WeightFormat.values()) {
            if (!f.runnable()) continue;
            assertEquals(f, WeightFormat.forKind(f.kind(), f.element().scaled() ? DType.BF16 : f.element().dtype()));
        }
        assertThrows(IllegalArgumentException.class, () -> WeightFormat.forKind("armor-2:4", DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> WeightFormat.forKind("dense", DType.I32));
    }

    @Test
    void theGpuRunsOnlyFloatRowsItCanUploadAsBf16() {
        for (WeightFormat f : WeightFormat.values())
            if (f.gpu()) assertTrue(!f.element().scaled() && (f.structure() == Structure.DENSE || f.element() == Element.BF16), f.toString());
        assertTrue(WeightFormat.ARMOR_BF16.gpu() && !WeightFormat.TWO_FOUR_INT8.gpu());
    }

    @Test
    void everyNamedKernelIsAStaticMethodOfTheKernelsPackage() throws Exception {
        Set<String> seen = new HashSet<>();
        for (WeightFormat f : WeightFormat.values()) {
            for (String m : f.kernels().methods()) {
                String[] parts = m.split("\\.");
                assertEquals(2, parts.length, f + ": " + m);
                Class<?> c = Class.forName("armor.runtime.kernels." + parts[0]);
                assertTrue(Arrays.stream(c.getDeclaredMethods()).map(Method::getName).anyMatch(parts[1]::equals), f + ": " + m);
                seen.add(m);
            }
        }
        assertTrue(seen.contains("Sparse24Int8Kernels.decodeFour") && seen.contains("DenseMatMul.bf16MatVec")
                && seen.contains("Sparse24Int4Kernels.decode") && seen.contains("DenseInt4MatMul.blockTimesTokens"), seen.toString());
    }
}
