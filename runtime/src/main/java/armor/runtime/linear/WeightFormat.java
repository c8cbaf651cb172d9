package armor.runtime.linear;

import armor.runtime.quant.GptqTensors;
import armor.runtime.quant.Int4Quantizer;
import armor.runtime.quant.Int8Quantizer;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;

import java.util.ArrayList;
import java.util.List;

import static armor.runtime.linear.Element.BF16;
import static armor.runtime.linear.Element.F16;
import static armor.runtime.linear.Element.F32;
import static armor.runtime.linear.Element.FP8_E4M3;
import static armor.runtime.linear.Element.INT4;
import static armor.runtime.linear.Element.INT8;
import static armor.runtime.linear.Structure.ARMOR;
import static armor.runtime.linear.Structure.DENSE;
import static armor.runtime.linear.Structure.TWO_FOUR;

/**
 * The table of weight formats: one row per {@link Structure} × {@link Element} the program knows, saying how the
 * format is recognised in a checkpoint ({@link #recognise}), loaded and repacked ({@link #load}), packed from float32
 * values ({@link #pack}), which kernels multiply it ({@link #kernels}), how many bytes its weights take
 * ({@link #weightBytes}), its name in inspect, bench and compare output ({@link #kind}), whether compressed-tensors
 * export can write it ({@link #compressedTensors}; every format exports as dense weights through
 * {@link Linear#denseWeight}) and whether the GPU path runs it ({@link #gpu}). Everything that asks "which kind is
 * this" asks here; the kernels stay plain static methods that a row's storage calls (llama.cpp's type-traits table
 * plays the same part). A new format is a new row plus its loader, packer and kernels.
 *
 * <p>The rows are ordered float kinds first, then int8, then int4, so that {@link #kinds()} lists the bench's kinds in the
 * order its reports have always had. The fp8 rows are formats of checkpoints, not of layers: no CPU kernel reads fp8,
 * so they load as their {@link #runsAs()} float32 row.
 */
public enum WeightFormat {
    DENSE_BF16(DENSE, BF16, LinearLoader::dense, (w, e) -> new DenseLinear(w.denseTensor(e.dtype()), null),
            Kernels.denseFloat("bf16"), true, false),
    DENSE_F16(DENSE, F16, LinearLoader::dense, (w, e) -> new DenseLinear(w.denseTensor(e.dtype()), null),
            Kernels.denseFloat("f16"), true, false),
    DENSE_F32(DENSE, F32, LinearLoader::dense, (w, e) -> new DenseLinear(w.denseTensor(e.dtype()), null),
            Kernels.denseFloat("f32"), true, false),
    TWO_FOUR_BF16(TWO_FOUR, BF16, SparseLinearLoader::load, (w, e) -> new Sparse24Linear(Sparse24Matrix.fromCore(w.core(), e.dtype()), null),
            Kernels.TWO_FOUR_BF16, true, true),
    TWO_FOUR_F16(TWO_FOUR, F16, SparseLinearLoader::load, (w, e) -> new Sparse24Linear(Sparse24Matrix.fromCore(w.core(), e.dtype()), null),
            Kernels.twoFourUntiled("F16"), false, true),
    TWO_FOUR_F32(TWO_FOUR, F32, SparseLinearLoader::load, (w, e) -> new Sparse24Linear(Sparse24Matrix.fromCore(w.core(), e.dtype()), null),
            Kernels.twoFourUntiled("F32"), false, true),
    ARMOR_BF16(ARMOR, BF16, SparseLinearLoader::load, WeightFormat::packArmor, Kernels.armor(Kernels.TWO_FOUR_BF16, "matVecBf16", "matMatBf16"),
            true, false),
    ARMOR_F16(ARMOR, F16, SparseLinearLoader::load, WeightFormat::packArmor, Kernels.armor(Kernels.twoFourUntiled("F16"), "applyF16", "applyF16"),
            false, false),
    ARMOR_F32(ARMOR, F32, SparseLinearLoader::load, WeightFormat::packArmor, Kernels.armor(Kernels.twoFourUntiled("F32"), "applyF32", "applyF32"),
            false, false),
    DENSE_INT8(DENSE, INT8, LinearLoader::denseInt8, (w, e) -> new DenseInt8Linear(Int8Quantizer.quantize(w.dense(), w.out(), w.in(), w.group()), null),
            Kernels.DENSE_INT8, false, false),
    TWO_FOUR_INT8(TWO_FOUR, INT8, SparseLinearLoader::load, (w, e) -> new Sparse24Linear(Sparse24Int8Matrix.quantize(w.core(), w.group()), null),
            Kernels.TWO_FOUR_INT8, false, false),
    ARMOR_INT8(ARMOR, INT8, SparseLinearLoader::load, WeightFormat::packArmor,
            new Kernels(Kernels.TWO_FOUR_INT8.decode() + ", A' and B' DenseInt8MatMul.matVec", Kernels.TWO_FOUR_INT8.smallBatch()
                    + ", A' and B' BlockDiagonalKernels.matMatInt8", Kernels.TWO_FOUR_INT8.prefill() + ", A' and B' BlockDiagonalKernels.matMatInt8"), false, false),
    // 4-bit codes with group scales (and zero points): compressed-tensors' pack-quantized tensors (Int4Tensors) or GPTQ's
    // qweight/qzeros/scales (GptqTensors), both read into an Int4Matrix; packed from floats symmetric, as
    // `armor quantize --bits 4` writes by default
    DENSE_INT4(DENSE, INT4, LinearLoader::denseInt4,
            (w, e) -> new DenseInt4Linear(Int4Quantizer.quantize(w.dense(), w.out(), w.in(), w.group(), true), null),
            Kernels.DENSE_INT4, false, false),
    TWO_FOUR_INT4(TWO_FOUR, INT4, SparseLinearLoader::loadInt4, (w, e) -> new Sparse24Linear(Sparse24Int4Matrix.quantize(w.core(), w.group(), true), null),
            Kernels.TWO_FOUR_INT4, false, false),
    // a 4-bit core between int8 A' and B' (one scale per block row): in float, A' and B' would read more bytes than the
    // core itself (stories15M, block 16: 8.8 % extra parameters at 4 bytes against 0.375 bytes a weight for the core)
    ARMOR_INT4(ARMOR, INT4, SparseLinearLoader::loadInt4, WeightFormat::packArmor,
            new Kernels(Kernels.TWO_FOUR_INT4.decode() + ", A' and B' DenseInt8MatMul.matVec", Kernels.TWO_FOUR_INT4.smallBatch()
                    + ", A' and B' BlockDiagonalKernels.matMatInt8", Kernels.TWO_FOUR_INT4.prefill() + ", A' and B' BlockDiagonalKernels.matMatInt8"), false, false),
    // compressed-tensors' float-quantized weights (P.weight in e4m3 with P.weight_scale): Fp8Weights dequantizes them to
    // float32 when a folder opens, and where their values are 2:4 Sparse24View presents them as a TWO_FOUR_F32 core;
    // so the loader only sees raw fp8 from an unwrapped source, and then refuses its dtype
    DENSE_FP8(DENSE, FP8_E4M3, LinearLoader::dense, WeightFormat::notPackable, Kernels.denseFloat("f32"), false, false);

    /** Makes a projection's layer from its checkpoint tensors, validating them (errors name the tensor). */
    @FunctionalInterface
    interface Loader {
        Linear load(WeightSource weights, String prefix, int in, int out, float[] bias);
    }

    /** Packs float32 values (a benchmark's random weights) into a layer of a format. */
    @FunctionalInterface
    interface Packer {
        Linear pack(FloatWeights weights, Element element);
    }

    /**
     * The kernels that multiply a format, named {@code Class.method} (classes of {@code armor.runtime.kernels}): one
     * token (decode), a few tokens (small batches of decode), many tokens (prefill). Which one runs is chosen by the
     * format's storage class by token count; these names say which it can choose, and a test checks they exist.
     */
    public record Kernels(String decode, String smallBatch, String prefill) {
        static final Kernels DENSE_INT8 = new Kernels("DenseInt8MatMul.packedMatVec", "DenseInt8MatMul.matMat",
                "DenseInt8MatMul.dequantizePanel + DenseGemm.multiply");
        static final Kernels DENSE_INT4 = new Kernels("DenseInt4MatMul.decode", "DenseInt4MatMul.dequantizeBlock + DenseInt4MatMul.blockTimesTokens",
                "DenseInt4MatMul.dequantizePanel + DenseGemm.multiply");
        static final Kernels TWO_FOUR_INT4 = new Kernels("Sparse24Int4Kernels.decode", "Sparse24Int4Kernels.decodeFour",
                "Sparse24Int4Kernels.toFloatLayout + Sparse24Kernels.prefill");
        static final Kernels TWO_FOUR_BF16 = new Kernels("Sparse24Kernels.decodeBf16", "Sparse24Kernels.decodeBf16Four", "Sparse24Kernels.prefill");
        static final Kernels TWO_FOUR_INT8 = new Kernels("Sparse24Int8Kernels.decode", "Sparse24Int8Kernels.decodeFour",
                "Sparse24Int8Kernels.toFloatLayout + Sparse24Kernels.prefill");

        static Kernels denseFloat(String type) {
            return new Kernels("DenseMatMul." + type + "MatVec", "DenseMatMul." + type + "MatMat", "DenseGemm." + type);
        }

        /** f16 and f32 cores have no four-token kernel: below {@link Sparse24Matrix#PREFILL_MIN_TOKENS} they decode token by token. */
        static Kernels twoFourUntiled(String type) {
            String decode = "Sparse24Kernels.decode" + type;
            return new Kernels(decode, decode, "Sparse24Kernels.prefill");
        }

        static Kernels armor(Kernels core, String blockVec, String blockMat) {
            return new Kernels(core.decode + ", A' and B' BlockDiagonalKernels." + blockVec, core.smallBatch + ", A' and B' BlockDiagonalKernels."
                    + blockMat, core.prefill + ", A' and B' BlockDiagonalKernels." + blockMat);
        }

        /** Every {@code Class.method} named, in order. */
        public List<String> methods() {
            List<String> out = new ArrayList<>();
            for (String s : new String[] {decode, smallBatch, prefill})
                for (String part : s.split(", A' and B' | \\+ ")) if (!out.contains(part.trim())) out.add(part.trim());
            return out;
        }
    }

    private final Structure structure;
    private final Element element;
    private final Loader loader;
    private final Packer packer;
    private final Kernels kernels;
    private final boolean gpu;
    private final boolean compressedTensors;

    WeightFormat(Structure structure, Element element, Loader loader, Packer packer, Kernels kernels, boolean gpu, boolean compressedTensors) {
        this.structure = structure;
        this.element = element;
        this.loader = loader;
        this.packer = packer;
        this.kernels = kernels;
        this.gpu = gpu;
        this.compressedTensors = compressedTensors;
    }

    public Structure structure() {
        return structure;
    }

    public Element element() {
        return element;
    }

    public Kernels kernels() {
        return kernels;
    }

    /**
     * True when the GPU path runs the format: every float dense weight (the GPU's operand type is bf16, to which
     * f16 and f32 are rounded at upload), 2:4 and ARMOR cores stored in bf16; no int8 or fp8 kernel on the GPU yet.
     */
    public boolean gpu() {
        return gpu;
    }

    /** True when {@code export --format compressed-tensors} can write the format (a float 2:4 core, as sparse-24-bitmask). */
    public boolean compressedTensors() {
        return compressedTensors;
    }

    /** The row whose layers run this format: itself, or for fp8 the float32 row its values are dequantized into. */
    public WeightFormat runsAs() {
        return element == FP8_E4M3 ? of(structure, F32) : this;
    }

    /** True when a layer of this format exists in the runtime (fp8 is only a checkpoint format). */
    public boolean runnable() {
        return runsAs() == this;
    }

    /** The name inspect, bench, compare and {@link Linear#kind()} show: "dense", "2:4", "armor", with "-int8" or "-int4". */
    public String kind() {
        return runsAs().structure.kind() + runsAs().element.kindSuffix();
    }

    /**
     * Bytes of an {@code out × in} matrix in this format as its layer reads them per token: values, 2:4 positions (4
     * bits a group of four) and, for scaled elements, one float32 scale per row and {@code group} dense columns
     * ({@code group} ignored otherwise). ARMOR's A' and B' are counted by {@link BlockDiagonal#bytes()} (their element
     * may differ from the core's); biases by the layer.
     */
    public long weightBytes(int out, int in, int group) {
        long valuesPerScale = structure == DENSE ? group : group / 2;
        return element.bytes(structure.values(out, in), valuesPerScale) + structure.metaBytes(out, in);
    }

    /** The layer of projection {@code prefix}, read from its tensors in this format. */
    public Linear load(WeightSource weights, String prefix, int in, int out, float[] bias) {
        return loader.load(weights, prefix, in, out, bias);
    }

    /** A layer of this format packed from float32 values (rounded to the element type, or quantized). */
    public Linear pack(FloatWeights weights) {
        return packer.pack(weights, element);
    }

    /** The row for a structure and element, or null when the table has none (e.g. ARMOR in fp8). */
    public static WeightFormat of(Structure structure, Element element) {
        for (WeightFormat f : values()) if (f.structure == structure && f.element == element) return f;
        return null;
    }

    /**
     * The format of projection {@code prefix} in a checkpoint: its {@link Structure} from the tensor names, its
     * {@link Element} from the dtype of the structure's main tensor, or int4 when that tensor is stored packed
     * ({@code P.weight_packed}, {@code P.sparse_values_packed}, or a dense GPTQ {@code P.qweight}: its loader checks the
     * rest). Null when the projection has
     * no tensors, lacks its main tensor, or stores it in a dtype no row has (the loaders say which, naming the tensor).
     */
    public static WeightFormat recognise(WeightSource weights, String prefix) {
        Structure s = Structure.of(weights, prefix);
        if (s == null) return null;
        String main = prefix + s.mainSuffix();
        if (!weights.has(main))
            return weights.has(main + Element.PACKED_SUFFIX) || (s == DENSE && GptqTensors.isGptq(weights, prefix)) ? of(s, INT4) : null;
        Element e = Element.of(weights.tensor(main).dtype());
        return e == null ? null : of(s, e);
    }

    /**
     * The runnable row of a layer kind's name ({@link #kind()}); {@code floatType} picks the element of a float kind
     * ("dense", "2:4", "armor") and is ignored for int8 kinds.
     *
     * @throws IllegalArgumentException for a name no row has, listing the names
     */
    public static WeightFormat forKind(String kind, DType floatType) {
        for (WeightFormat f : values())
            if (f.runnable() && f.kind().equals(kind) && (f.element.scaled() || f.element.dtype() == floatType)) return f;
        throw new IllegalArgumentException("kind " + kind + (kinds().contains(kind) ? " in " + floatType : "")
                + ", expected one of " + String.join(", ", kinds()));
    }

    /** Every layer kind's name, in table order: dense, 2:4, armor, dense-int8, 2:4-int8, armor-int8, dense-int4, 2:4-int4, armor-int4. */
    public static List<String> kinds() {
        return kinds(false);
    }

    /** The kinds the GPU path runs, in table order (dense, 2:4, armor: in bf16, see {@link #gpu()}). */
    public static List<String> gpuKinds() {
        return kinds(true);
    }

    private static List<String> kinds(boolean gpuOnly) {
        List<String> out = new ArrayList<>();
        for (WeightFormat f : values())
            if (f.runnable() && (f.gpu || !gpuOnly) && !out.contains(f.kind())) out.add(f.kind());
        return out;
    }

    /** The rows the GPU path runs, for errors: "dense BF16, dense F16, dense F32, 2:4 BF16, armor BF16". */
    public static String gpuFormats() {
        List<String> out = new ArrayList<>();
        for (WeightFormat f : values()) if (f.gpu) out.add(f.kind() + " " + f.element.dtype());
        return String.join(", ", out);
    }

    /** The dtypes a structure's main tensor may have in a loadable checkpoint, for errors ("BF16, F16, F32 or I8"). */
    static String loadableDtypes(Structure structure) {
        List<String> names = new ArrayList<>();
        for (WeightFormat f : values())
            if (f.structure == structure && f.runnable() && !f.element.packed()) names.add(f.element.dtype().toString());
        return Element.orList(names);
    }

    private static Linear notPackable(FloatWeights weights, Element element) {
        throw new UnsupportedOperationException("no layer stores " + element + " weights: fp8 runs as float32");
    }

    private static Linear packArmor(FloatWeights w, Element e) {
        int blockSize = w.block();
        if (e == INT8 || e == INT4) {
            SparseCore core = e == INT8 ? Sparse24Int8Matrix.quantize(w.core(), w.group()) : Sparse24Int4Matrix.quantize(w.core(), w.group(), true);
            return new ArmorLinear(core, BlockDiagonal.quantize(w.a(), w.out() / blockSize, blockSize),
                    BlockDiagonal.quantize(w.b(), w.in() / blockSize, blockSize), null);
        }
        return new ArmorLinear(Sparse24Matrix.fromCore(w.core(), e.dtype()), BlockDiagonal.fromFloats(w.a(), w.out() / blockSize, blockSize, e.dtype()),
                BlockDiagonal.fromFloats(w.b(), w.in() / blockSize, blockSize, e.dtype()), null);
    }
}
