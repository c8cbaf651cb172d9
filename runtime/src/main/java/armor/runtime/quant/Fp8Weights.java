package armor.runtime.quant;

import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * compressed-tensors' fp8 weights ({@code float-quantized}: an {@code F8_E4M3} tensor {@code T} with one float scale
 * per row, or per row and group of dense columns, in {@code P.weight_scale}) seen as float32 tensors, dequantized
 * exactly ({@code e4m3 × scale} is exact in float32). armor has no fp8 kernels on the CPU, so this is the nearest kind
 * it runs: the same weights as float32, 2:4 where the codes are 2:4. The scales are hidden; everything else passes
 * through.
 */
public final class Fp8Weights implements WeightSource {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final WeightSource raw;
    private final Set<String> names = new LinkedHashSet<>();

    private Fp8Weights(WeightSource raw) {
        this.raw = raw;
        for (String n : raw.names()) if (!isScaleOfFp8(n)) names.add(n);
    }

    /** {@code raw} itself when it holds no fp8 tensor, else the dequantizing view. */
    public static WeightSource of(WeightSource raw) {
        for (String n : raw.names()) if (raw.tensor(n).dtype() == DType.F8_E4M3) return new Fp8Weights(raw);
        return raw;
    }

    /** The value of an e4m3 code: sign, 4 exponent bits (bias 7), 3 mantissa bits; 0x7f / 0xff are NaN. */
    public static float e4m3(byte code) {
        int b = code & 0xff, sign = b >>> 7, exp = (b >>> 3) & 15, man = b & 7;
        if (exp == 15 && man == 7) return Float.NaN;
        float v = exp == 0 ? man / 8f * 0x1p-6f : (1 + man / 8f) * Math.scalb(1f, exp - 7);
        return sign == 1 ? -v : v;
    }

    /** {@code P.weight_scale} of an fp8 {@code P.weight} or {@code P.compressed}. */
    private boolean isScaleOfFp8(String n) {
        if (!n.endsWith(".weight_scale")) return false;
        String p = n.substring(0, n.length() - ".weight_scale".length());
        for (String t : new String[] {p + ".weight", p + ".compressed"})
            if (raw.has(t) && raw.tensor(t).dtype() == DType.F8_E4M3) return true;
        return false;
    }

    @Override
    public boolean has(String name) {
        return names.contains(name);
    }

    @Override
    public Tensor tensor(String name) {
        if (!names.contains(name)) throw new CheckpointException(raw.origin() + ": missing tensor " + name);
        Tensor t = raw.tensor(name);
        if (t.dtype() != DType.F8_E4M3) return t;
        String p = name.substring(0, name.lastIndexOf('.'));
        if (!raw.has(p + ".weight_scale"))
            throw new CheckpointException(raw.origin() + ": missing tensor " + p + ".weight_scale (the scales of the fp8 tensor " + name + ")");
        if (t.rank() != 2)
            throw new CheckpointException(raw.origin() + ": tensor " + name + " has shape " + t.shapeString() + ", expected [rows, cols]");
        Tensor s = raw.tensor(p + ".weight_scale");
        int rows = t.dim(0), cols = t.dim(1);
        // P.compressed holds the kept values of a 2:4 weight: its scale groups count dense columns, twice its own
        int denseCols = name.endsWith(".compressed") ? 2 * cols : cols;
        float[] sc = armor.runtime.kernels.TensorFloats.read(s);
        if (s.rank() != 2 || s.dim(0) != rows || s.dim(1) < 1 || denseCols % s.dim(1) != 0)
            throw new CheckpointException(raw.origin() + ": tensor " + s.name() + " has shape " + s.shapeString() + ", expected ["
                    + rows + ", G] with G dividing " + denseCols + " (one scale per row and group of columns of " + name + ")");
        int gpr = s.dim(1), group = cols / gpr;
        MemorySegment out = MemorySegment.ofArray(new float[rows * cols]);
        MemorySegment in = t.data();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                out.setAtIndex(FLOAT, (long) r * cols + c, e4m3(in.get(ValueLayout.JAVA_BYTE, (long) r * cols + c)) * sc[r * gpr + c / group]);
        return new Tensor(name, DType.F32, t.shape().clone(), out);
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public String origin() {
        return raw.origin();
    }
}
