package armor.runtime.sparse;

import armor.runtime.kernels.Parallel;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.quant.Fp8Weights;
import armor.runtime.quant.Int4Tensors;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A checkpoint as the runtime's layer loader sees it: every 2:4 projection presented in armor's own layout
 * ({@code P.sparse_values} + {@code P.sparse_meta}, docs/checkpoint-format.md), so that it loads as a
 * {@code Sparse24Linear} on the 2:4 kernels with no change to the loader.
 *
 * <ul>
 *   <li>compressed-tensors {@code sparse-24-bitmask}: {@code P.compressed} becomes {@code P.sparse_values} as is (the
 *       kept values in column order), {@code P.bitmask} becomes {@code P.sparse_meta}; {@code P.shape} is checked.
 *       Under {@link SparseMode#OFF} they become a dense {@code P.weight} instead.</li>
 *   <li>Under {@link SparseMode#AUTO}, a dense projection {@code P.weight} whose every group of four along a row has
 *       at most two non-zeros (compressed-tensors {@code dense} with {@code sparsity_structure "2:4"}, or any other
 *       tool's SparseGPT/Wanda output) is packed the same way.</li>
 *   <li>Everything else is the stored checkpoint unchanged.</li>
 * </ul>
 * Converted tensors are made when the loader asks for them and are not kept: the layers repack what they need.
 */
public final class Sparse24View implements WeightSource {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String DENSE_FORMAT = "dense checkpoint";
    static final String COMPRESSED = ".compressed", BITMASK = ".bitmask", SHAPE = ".shape";

    private final WeightSource raw;
    private final String format;
    private final SparseMode mode;
    private final Set<String> hidden = new HashSet<>();
    private final Map<String, Supplier<Tensor>> added = new LinkedHashMap<>();
    private final Map<String, String> denseReasons = new LinkedHashMap<>();
    private final Set<String> names;

    private Sparse24View(WeightSource raw, CompressedTensorsConfig ct, SparseMode mode, String architecture) {
        raw = Fp8Weights.of(raw); // fp8 weights as float32: the nearest kind armor runs on the CPU
        this.raw = raw;
        this.mode = mode;
        if (ct != null) ct.checkTargets(CompressedTensorsConfig.modules(raw.names(), architecture.replace("ForCausalLM", "")));
        Set<String> bitmaskPrefixes = new LinkedHashSet<>();
        for (String n : raw.names()) {
            if (n.endsWith(COMPRESSED)) bitmaskPrefixes.add(n.substring(0, n.length() - COMPRESSED.length()));
            if (n.endsWith(BITMASK)) bitmaskPrefixes.add(n.substring(0, n.length() - BITMASK.length()));
        }
        if (!bitmaskPrefixes.isEmpty() && ct != null && ct.layout() != CompressedTensorsConfig.Layout.BITMASK_24) {
            String p = bitmaskPrefixes.iterator().next();
            throw new CheckpointException(raw.origin() + ": tensor " + p + (raw.has(p + BITMASK) ? BITMASK : COMPRESSED)
                    + " is stored as sparse-24-bitmask, but " + ct.where() + " has sparsity_config.format \""
                    + ct.sparsityFormat() + "\", expected \"" + CompressedTensorsConfig.BITMASK_24 + "\"");
        }
        if (ct != null) {
            for (String p : bitmaskPrefixes) bitmask(p);
        }
        for (String n : raw.names()) {
            if (!n.endsWith(".weight")) continue;
            String p = n.substring(0, n.length() - ".weight".length());
            if (!Conversions.PROJECTION.matcher(p).matches() || SparseLinearLoader.isSparse(raw, p)) continue;
            if (mode == SparseMode.OFF) {
                denseReasons.put(p, "--sparse off");
                continue;
            }
            String why = not24(raw.tensor(n));
            if (why != null) {
                // the checkpoint says it is 2:4 and it is not: worth telling apart from an ordinary dense projection
                if (ct != null && "2:4".equals(ct.sparsityStructure()) && ct.targeted(p, "Linear"))
                    why += ", though sparsity_config targets it";
                denseReasons.put(p, why);
                continue;
            }
            hidden.add(n);
            Tensor w = raw.tensor(n);
            added.put(p + SparseLinearLoader.VALUES, () -> pack(w, p)[0]);
            added.put(p + SparseLinearLoader.META, () -> pack(w, p)[1]);
            if (w.dtype() == DType.I8) int8Scale(p);
        }
        // armor's own quantized 2:4/ARMOR folders have a quantization_config without a sparsity_config in it: their
        // sparsity is armor's (top-level sparsity_config, P.sparse_values or its 4-bit P.sparse_values_packed)
        boolean armorSparse = raw.names().stream().anyMatch(s -> s.endsWith(SparseLinearLoader.VALUES)
                || s.endsWith(SparseLinearLoader.VALUES + Int4Tensors.PACKED));
        this.format = ct != null && (ct.sparsityFormat() != null || !armorSparse) ? ct.describe()
                : armorSparse ? "armor sparse checkpoint" + (ct != null && ct.weights() != null ? ", " + ct.weights() : "")
                : DENSE_FORMAT;
        Set<String> all = new LinkedHashSet<>();
        for (String n : raw.names()) if (!hidden.contains(n)) all.add(n);
        all.addAll(added.keySet());
        this.names = Collections.unmodifiableSet(all);
    }

    /**
     * The view of {@code raw}.
     *
     * @param ct           the folder's compressed-tensors block, or null for armor and plain folders
     * @param architecture config.json's architecture, e.g. {@code LlamaForCausalLM} (class names in {@code targets})
     */
    public static Sparse24View of(WeightSource raw, CompressedTensorsConfig ct, SparseMode mode, String architecture) {
        return new Sparse24View(raw, ct, mode, architecture);
    }

    /** What the folder stores, for load messages: e.g. "compressed-tensors sparse-24-bitmask 2:4", "dense checkpoint". */
    public String format() {
        return format;
    }

    public SparseMode mode() {
        return mode;
    }

    /** True when the folder declares sparsity: a compressed-tensors block, or armor's packed 2:4 tensors. */
    public boolean declared() {
        return !format.equals(DENSE_FORMAT);
    }

    /** Why a dense projection runs dense ("not 2:4", "--sparse off", ...), or null when it is not a dense projection. */
    public String denseReason(String prefix) {
        return denseReasons.get(prefix);
    }

    /** Checks a sparse-24-bitmask linear's tensors and presents them in armor's layout (or as dense under OFF). */
    private void bitmask(String p) {
        String origin = raw.origin();
        for (String s : new String[] {COMPRESSED, BITMASK, SHAPE})
            if (!raw.has(p + s))
                throw new CheckpointException(origin + ": missing tensor " + p + s + " (a sparse-24-bitmask linear stores "
                        + p + COMPRESSED + ", " + p + BITMASK + " and " + p + SHAPE + ")");
        if (raw.has(p + ".weight"))
            throw new CheckpointException(origin + ": both " + p + ".weight and " + p + COMPRESSED
                    + " are present, expected either a dense weight or a sparse-24-bitmask one");
        Tensor shape = raw.tensor(p + SHAPE), values = raw.tensor(p + COMPRESSED), mask = raw.tensor(p + BITMASK);
        long[] dims = dims(shape, origin);
        int rows = (int) dims[0], cols = (int) dims[1];
        if (cols % 4 != 0)
            throw new CheckpointException(origin + ": tensor " + shape.name() + " is " + Arrays.toString(dims)
                    + ": " + cols + " columns is not a multiple of 4, so the weight cannot be 2:4");
        DType dt = values.dtype();
        if (dt != DType.F32 && dt != DType.F16 && dt != DType.BF16 && dt != DType.I8)
            throw new CheckpointException(origin + ": tensor " + values.name() + " has dtype " + dt + ", expected F32, F16, BF16 or I8");
        if ((dt == DType.I8) != raw.has(p + ".weight_scale"))
            throw new CheckpointException(origin + ": tensor " + (dt == DType.I8 ? values.name() + " is int8 but " + p + ".weight_scale is missing"
                    : p + ".weight_scale is present but " + values.name() + " has dtype " + dt) + ", expected int8 values with their scales");
        expectShape(origin, values, shape, rows, cols / 2);
        if (mask.dtype() != DType.U8)
            throw new CheckpointException(origin + ": tensor " + mask.name() + " has dtype " + mask.dtype() + ", expected U8");
        expectShape(origin, mask, shape, rows, Bitmask24.bitmaskCols(cols));
        hidden.add(p + COMPRESSED);
        hidden.add(p + BITMASK);
        hidden.add(p + SHAPE);
        String where = origin + ": tensor " + mask.name();
        if (dt == DType.I8) int8Scale(p);
        if (mode == SparseMode.OFF) {
            denseReasons.put(p, "--sparse off");
            added.put(p + ".weight", () -> decompress(p, values, meta(mask, rows, cols, where), rows, cols));
            if (dt == DType.I8) added.put(p + ".weight_scale", () -> raw.tensor(p + ".weight_scale"));
            return;
        }
        added.put(p + SparseLinearLoader.VALUES, () -> new Tensor(p + SparseLinearLoader.VALUES, dt, values.shape(), values.data()));
        added.put(p + SparseLinearLoader.META, () -> {
            byte[] meta = meta(mask, rows, cols, where);
            return new Tensor(p + SparseLinearLoader.META, DType.U8, new long[] {rows, Sparse24Core.metaCols(cols)},
                    MemorySegment.ofArray(meta));
        });
    }

    /**
     * An int8 2:4 projection's scales: compressed-tensors' {@code P.weight_scale} ({@code [rows, 1]} per channel or
     * {@code [rows, cols/G]} per group of G dense columns) is exactly armor's {@code P.sparse_values_scale}, whose
     * groups also count dense columns; a non-zero {@code P.weight_zero_point} (asymmetric) is refused.
     */
    private void int8Scale(String p) {
        Int8Tensors.checkSymmetric(raw, p + ".weight");
        if (raw.has(p + ".weight_zero_point")) hidden.add(p + ".weight_zero_point");
        hidden.add(p + ".weight_scale");
        Tensor scale = raw.tensor(p + ".weight_scale");
        String name = p + SparseLinearLoader.VALUES + Int8Tensors.SCALE;
        added.put(name, () -> new Tensor(name, scale.dtype(), scale.shape(), scale.data()));
    }

    private static byte[] meta(Tensor mask, int rows, int cols, String where) {
        try {
            return Bitmask24.toMeta(mask.data(), rows, cols, where);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
    }

    /** {@code P.shape}: two positive integers [rows, cols] (compressed-tensors stores them as I64 [2, 1]). */
    private static long[] dims(Tensor shape, String origin) {
        if ((shape.dtype() != DType.I64 && shape.dtype() != DType.I32) || shape.elementCount() != 2)
            throw new CheckpointException(origin + ": tensor " + shape.name() + " has dtype " + shape.dtype() + " and shape "
                    + shape.shapeString() + ", expected two integers [rows, cols]");
        long[] d = new long[2];
        for (int i = 0; i < 2; i++)
            d[i] = shape.dtype() == DType.I64 ? shape.data().getAtIndex(LONG, i) : shape.data().getAtIndex(INT, i);
        if (d[0] <= 0 || d[1] <= 0 || d[0] > Integer.MAX_VALUE || d[1] > Integer.MAX_VALUE)
            throw new CheckpointException(origin + ": tensor " + shape.name() + " holds " + Arrays.toString(d) + ", expected two positive dimensions [rows, cols]");
        return d;
    }

    private static void expectShape(String origin, Tensor t, Tensor shape, long... expected) {
        if (!Arrays.equals(t.shape(), expected))
            throw new CheckpointException(origin + ": tensor " + t.name() + " has shape " + t.shapeString() + ", expected "
                    + Arrays.toString(expected) + " for the weight of " + shape.name() + " = [" + expected[0] + ", "
                    + (t.name().endsWith(COMPRESSED) ? 2 * expected[1] : "cols") + "]");
    }

    /** The dense weight of a bitmask linear, in the values' dtype. */
    private static Tensor decompress(String p, Tensor values, byte[] meta, int rows, int cols) {
        int es = values.dtype().bytes(), mc = Sparse24Core.metaCols(cols), half = cols / 2;
        MemorySegment out = Arena.ofAuto().allocate((long) rows * cols * es, 8);
        MemorySegment in = values.data();
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int nib = ((meta[r * mc + (g >>> 1)] & 0xff) >>> ((g & 1) * 4)) & 15;
                long src = ((long) r * half + 2L * g) * es, dst = ((long) r * cols + 4L * g) * es;
                MemorySegment.copy(in, src, out, dst + (long) (nib & 3) * es, es);
                MemorySegment.copy(in, src + es, out, dst + (long) (nib >>> 2) * es, es);
            }
        }
        return new Tensor(p + ".weight", values.dtype(), new long[] {rows, cols}, out);
    }

    /**
     * Null when {@code w} is 2:4 (every group of four along a row has at most two non-zeros, -0 counting as zero),
     * else why not.
     */
    static String not24(Tensor w) {
        if (w.dtype() != DType.F32 && w.dtype() != DType.F16 && w.dtype() != DType.BF16 && w.dtype() != DType.I8)
            return "dtype " + w.dtype();
        if (w.rank() != 2 || w.dim(1) % 4 != 0) return "d_in not a multiple of 4";
        int rows = w.dim(0), cols = w.dim(1), es = w.dtype().bytes();
        MemorySegment s = w.data();
        // rows spread over the cores (a 2:4 model is read whole); a dense one stops at its first full group
        AtomicBoolean dense = new AtomicBoolean();
        Parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to && !dense.get(); r++) {
                for (long i = (long) r * cols, end = i + cols; i < end; i += 4) {
                    int nonZero = 0;
                    for (int k = 0; k < 4; k++) if (nonZero(s, es, i + k)) nonZero++;
                    if (nonZero > 2) {
                        dense.set(true);
                        return;
                    }
                }
            }
        });
        return dense.get() ? "not 2:4" : null;
    }

    /** Element i is non-zero: -0 counts as zero for float dtypes (4 or 2 bytes); an int8 code (1 byte) is zero or not. */
    private static boolean nonZero(MemorySegment s, int es, long i) {
        return switch (es) {
            case 4 -> (s.getAtIndex(INT, i) & 0x7fffffff) != 0;
            case 2 -> (s.getAtIndex(SHORT, i) & 0x7fff) != 0;
            default -> s.get(ValueLayout.JAVA_BYTE, i) != 0;
        };
    }

    private final Map<String, Tensor[]> packed = new HashMap<>();

    /**
     * A 2:4 dense weight as {values, meta}: per group its non-zeros in column order, completed with the lowest zero
     * positions where a group has fewer than two. Made once for the pair of tensors and dropped when both are taken.
     */
    private synchronized Tensor[] pack(Tensor w, String p) {
        Tensor[] pair = packed.remove(p);
        if (pair != null) return pair;
        int rows = w.dim(0), cols = w.dim(1), es = w.dtype().bytes(), mc = Sparse24Core.metaCols(cols);
        MemorySegment src = w.data();
        MemorySegment values = Arena.ofAuto().allocate((long) rows * cols / 2 * es, 8);
        byte[] meta = new byte[rows * mc];
        Parallel.forRange(rows, 16, (from, to) -> packRows(src, es, cols, values, meta, from, to));
        pair = new Tensor[] {new Tensor(p + SparseLinearLoader.VALUES, w.dtype(), new long[] {rows, cols / 2}, values),
                new Tensor(p + SparseLinearLoader.META, DType.U8, new long[] {rows, mc}, MemorySegment.ofArray(meta))};
        packed.put(p, pair);
        return pair;
    }

    /** Rows [from, to) of {@link #pack}. */
    private static void packRows(MemorySegment src, int es, int cols, MemorySegment values, byte[] meta, int from, int to) {
        int mc = Sparse24Core.metaCols(cols);
        for (int r = from; r < to; r++) {
            for (int g = 0; g < cols / 4; g++) {
                long base = (long) r * cols + 4L * g;
                int bits = 0;
                for (int k = 0; k < 4; k++) if (nonZero(src, es, base + k)) bits |= 1 << k;
                for (int k = 0; k < 4 && Integer.bitCount(bits) < 2; k++) bits |= 1 << k; // zeros fill a short group
                int p0 = Integer.numberOfTrailingZeros(bits), p1 = 31 - Integer.numberOfLeadingZeros(bits);
                long dst = ((long) r * cols / 2 + 2L * g) * es;
                MemorySegment.copy(src, (base + p0) * es, values, dst, es);
                MemorySegment.copy(src, (base + p1) * es, values, dst + es, es);
                meta[r * mc + (g >>> 1)] |= (byte) ((p0 | p1 << 2) << ((g & 1) * 4));
            }
        }
    }

    @Override
    public boolean has(String name) {
        return names.contains(name);
    }

    @Override
    public Tensor tensor(String name) {
        Supplier<Tensor> s = added.get(name);
        if (s != null) return s.get();
        if (hidden.contains(name)) throw new CheckpointException(raw.origin() + ": missing tensor " + name);
        return raw.tensor(name);
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
