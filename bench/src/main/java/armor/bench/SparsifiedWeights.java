package armor.bench;

import armor.pruner.armor.BlockRule;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.linear.Structure;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.sparse.Conversions;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;

/**
 * A dense checkpoint seen as one of the {@link Structure}s of the weight-format table, for benchmarks: every projection
 * {@code P.weight} is replaced by the tensors the structure lists ({@link Structure#suffixes()}): for 2:4 those of its
 * magnitude 2:4 core ({@code P.sparse_values}, {@code P.sparse_meta}), for ARMOR those and random near-identity blocks
 * ({@code P.armor_a}, {@code P.armor_b}; each side's block size by the pruner's {@code BlockRule}, so A and B differ
 * where the dimensions do); dense keeps the checkpoint as it is. Tensors are made when the loader asks for them, one
 * projection at a time, so the model loads through the same validating path as a checkpoint on disk without a second
 * copy of the model in memory.
 */
public final class SparsifiedWeights implements WeightSource, AutoCloseable {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final WeightSource dense;
    private final Structure structure;
    /** True when the structure has ARMOR's blocks ({@code P.armor_a}, {@code P.armor_b}). */
    private final boolean blocks;
    private final int armorBlock;
    private final Set<String> names = new LinkedHashSet<>();
    private final Set<String> projections = new LinkedHashSet<>();
    private String currentPrefix;
    private Arena arena;
    private Tensor values, meta, a, b;

    /** @param armorBlock ARMOR block size, or 0 for plain 2:4 */
    public SparsifiedWeights(WeightSource dense, int armorBlock) {
        this(dense, armorBlock > 0 ? Structure.ARMOR : Structure.TWO_FOUR, armorBlock);
    }

    /** @param armorBlock block size of ARMOR's A and B (used where the structure has them) */
    public SparsifiedWeights(WeightSource dense, Structure structure, int armorBlock) {
        this.blocks = structure.suffixes().contains(SparseLinearLoader.ARMOR_A);
        if (blocks && armorBlock <= 0)
            throw new IllegalArgumentException(structure.kind() + " weights need a block size, got " + armorBlock);
        this.dense = dense;
        this.structure = structure;
        this.armorBlock = armorBlock;
        for (String n : dense.names()) {
            String prefix = n.endsWith(".weight") ? n.substring(0, n.length() - 7) : null;
            if (prefix != null && Conversions.PROJECTION.matcher(prefix).matches()) {
                projections.add(prefix);
                for (String suffix : structure.suffixes()) names.add(prefix + suffix);
            } else {
                names.add(n);
            }
        }
    }

    @Override
    public boolean has(String name) {
        return names.contains(name);
    }

    @Override
    public Tensor tensor(String name) {
        if (!names.contains(name)) throw new CheckpointException(origin() + ": missing tensor " + name);
        for (String suffix : new String[] {SparseLinearLoader.VALUES, SparseLinearLoader.META, SparseLinearLoader.ARMOR_A, SparseLinearLoader.ARMOR_B}) {
            if (!name.endsWith(suffix)) continue;
            String prefix = name.substring(0, name.length() - suffix.length());
            if (!projections.contains(prefix)) break;
            make(prefix);
            return switch (suffix) {
                case SparseLinearLoader.VALUES -> values;
                case SparseLinearLoader.META -> meta;
                case SparseLinearLoader.ARMOR_A -> a;
                default -> b;
            };
        }
        return dense.tensor(name);
    }

    private void make(String prefix) {
        if (prefix.equals(currentPrefix)) return;
        release();
        arena = Arena.ofShared();
        currentPrefix = prefix;
        Tensor w = dense.tensor(prefix + ".weight");
        int m = w.dim(0), n = w.dim(1);
        DType dt = w.dtype();
        Sparse24Core core = Sparse24Core.byMagnitude(TensorFloats.read(w), m, n);
        values = floats(prefix + SparseLinearLoader.VALUES, dt, new long[] {m, n / 2}, core.values());
        MemorySegment ms = arena.allocate(core.meta().length);
        MemorySegment.copy(core.meta(), 0, ms, ValueLayout.JAVA_BYTE, 0, core.meta().length);
        meta = new Tensor(prefix + SparseLinearLoader.META, DType.U8, new long[] {m, Sparse24Core.metaCols(n)}, ms);
        if (blocks) {
            Random rnd = new Random(prefix.hashCode());
            // each side its own block, as the pruner chooses them (BlockRule): e.g. 64 and 32 for a 32×128 k_proj at b=64
            int am = BlockRule.blockFor(m, armorBlock), bn = BlockRule.blockFor(n, armorBlock);
            a = floats(prefix + SparseLinearLoader.ARMOR_A, dt, new long[] {m / am, am, am}, nearIdentity(rnd, m / am, am));
            b = floats(prefix + SparseLinearLoader.ARMOR_B, dt, new long[] {n / bn, bn, bn}, nearIdentity(rnd, n / bn, bn));
        }
    }

    /** Identity blocks plus N(0, 0.02²) noise: random dense blocks that keep activations in range through the layers. */
    static float[] nearIdentity(Random rnd, int blocks, int bs) {
        float[] v = new float[blocks * bs * bs];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02) + ((i / bs) % bs == i % bs ? 1f : 0f);
        return v;
    }

    private Tensor floats(String name, DType dt, long[] shape, float[] src) {
        return tensor(arena, name, dt, shape, src);
    }

    /** A tensor of {@code src} rounded to {@code dt} (bf16/f16 round to nearest even), in memory of {@code arena}. */
    static Tensor tensor(Arena arena, String name, DType dt, long[] shape, float[] src) {
        MemorySegment seg = arena.allocate((long) src.length * dt.bytes(), 64);
        for (int i = 0; i < src.length; i++) {
            switch (dt) {
                case BF16 -> seg.setAtIndex(SHORT, i, HalfFloat.floatToBf16(src[i]));
                case F16 -> seg.setAtIndex(SHORT, i, HalfFloat.floatToF16(src[i]));
                default -> seg.setAtIndex(FLOAT, i, src[i]);
            }
        }
        return new Tensor(name, dt, shape, seg);
    }

    private void release() {
        if (arena != null) arena.close();
        arena = null;
        currentPrefix = null;
        values = meta = a = b = null;
    }

    @Override
    public Set<String> names() {
        return names;
    }

    /** The dense checkpoint's origin and the structure it is seen as: "… as 2:4", "… as armor (b=64)". */
    @Override
    public String origin() {
        return dense.origin() + " as " + structure.kind() + (blocks ? " (b=" + armorBlock + ")" : "");
    }

    /** Frees the last projection's temporary tensors (the loaded layers have repacked them). */
    @Override
    public void close() {
        release();
    }
}
