package armor.runtime.sparse;

import armor.runtime.config.ConfigReader;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.quant.GptqConfig;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.quant.QuantizationConfig;
import armor.runtime.quant.QuantizedWeights;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.OutputTempFolder;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.safetensors.TensorMapWeights;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a model folder derived from a source Hugging Face folder: the tensors put here (packed 2:4 cores, ARMOR
 * blocks, reconstructed dense weights), every source tensor not replaced, {@code config.json} with the
 * {@code sparsity_config} block (or without one for a dense export), and the source's other files (tokenizer,
 * generation config) copied. Everything goes into a temporary sibling folder that is renamed to the target only
 * when complete, so a crash never leaves a folder that looks complete.
 *
 * <p>Typical use by a pruner: {@code create(src, dst)}, then per pruned linear {@link #putCore} or
 * {@link #putArmor}, then {@link #finish(SparsityConfig)}. Tensors are flushed to shards of about
 * {@code shardBytes} as they come, so memory holds at most one shard of new tensors.
 *
 * <p>Weight precision: by default every tensor is written in the dtype it is given. A writer made with an
 * {@link Int8Scheme} writes int8 instead (every tensor {@link QuantizedWeights} quantizes, whether put here, from
 * the float32 values given, or left in the source: projections' weights, 2:4 values and ARMOR blocks, the head, the
 * embedding unless kept) and adds the {@code quantization_config} block; a {@linkplain #dequantizing dequantizing} writer reads an int8 source as
 * floats and writes them in the model's dtype, dropping that block.
 */
public final class SparseCheckpointWriter implements AutoCloseable {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final long DEFAULT_SHARD_BYTES = 4L << 30;

    private final Path sourceDir, target, tmp;
    private final CheckpointWeights source;
    /** What the caller reads: the source itself, or its dequantized view. */
    private final WeightSource view;
    /** Non-null: write weights as int8. */
    private final Int8Scheme quantize;
    /** With {@link #quantize}: the source as int8. */
    private final QuantizedWeights quantized;
    /** Non-null: the source's int8 tensors are written dequantized in this dtype. */
    private final DType dequantizeTo;
    /** Every quantized weight used one group per row so far: the config's "channel" strategy. */
    private boolean wholeRows = true;
    private final long shardBytes;
    private final Set<String> written = new HashSet<>();
    private final Set<String> replaced = new HashSet<>();
    private final Map<String, Integer> shardOf = new LinkedHashMap<>();
    private final List<Path> shards = new ArrayList<>();
    private List<Tensor> pending = new ArrayList<>();
    private Arena pendingArena = Arena.ofShared();
    private long pendingBytes, totalBytes;
    private boolean finished, sourceClosed;

    private SparseCheckpointWriter(Path sourceDir, Path target, long shardBytes, Int8Scheme quantize, boolean dequantize) {
        this.sourceDir = sourceDir;
        this.target = target.toAbsolutePath();
        this.shardBytes = shardBytes;
        this.quantize = quantize;
        if (Files.exists(this.target)) throw new CheckpointException(target + ": already exists, expected a new folder name");
        this.dequantizeTo = dequantize ? modelDtype(sourceDir) : null;
        this.source = CheckpointWeights.open(sourceDir);
        this.view = dequantize ? Int8Tensors.dequantizing(source) : source;
        this.quantized = quantize == null ? null : quantize.view(source);
        try {
            this.tmp = OutputTempFolder.create(this.target);
            try { // createTempDirectory makes it owner-only; a model folder is usually shared
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep its defaults
            }
        } catch (IOException e) {
            source.close();
            throw new UncheckedIOException(target + ": cannot create the output folder: " + e.getMessage(), e);
        }
    }

    /** Starts a checkpoint at {@code target} (which must not exist) derived from the model folder {@code sourceDir}. */
    public static SparseCheckpointWriter create(Path sourceDir, Path target) {
        return new SparseCheckpointWriter(sourceDir, target, DEFAULT_SHARD_BYTES, null, false);
    }

    public static SparseCheckpointWriter create(Path sourceDir, Path target, long shardBytes) {
        return new SparseCheckpointWriter(sourceDir, target, shardBytes, null, false);
    }

    /**
     * As {@link #create(Path, Path, long)}, writing weights as int8 with {@code quantize} (null: in the dtype given).
     * Callers check the source with {@link Int8Scheme#check} first, so that a group size that does not fit is
     * reported before any work.
     */
    public static SparseCheckpointWriter create(Path sourceDir, Path target, long shardBytes, Int8Scheme quantize) {
        return new SparseCheckpointWriter(sourceDir, target, shardBytes, quantize, false);
    }

    /**
     * A writer whose {@link #source()} shows the int8 tensors of {@code sourceDir} dequantized to float32 (scales
     * hidden), and which writes those it copies in the model dtype of config.json's {@code torch_dtype}: for
     * exporting an int8 checkpoint as a plain one.
     */
    public static SparseCheckpointWriter dequantizing(Path sourceDir, Path target) {
        return new SparseCheckpointWriter(sourceDir, target, DEFAULT_SHARD_BYTES, null, true);
    }

    /** The source checkpoint's tensors (memory-mapped), e.g. to read the dense weights being pruned. */
    public WeightSource source() {
        return view;
    }

    /**
     * The dtype a float tensor derived from source tensor {@code name} is written in: the model dtype when the
     * source stores it as int8 and this writer dequantizes, else its stored dtype.
     */
    public DType storedDtype(String name) {
        DType d = source.tensor(name).dtype();
        return d == DType.I8 && dequantizeTo != null ? dequantizeTo : d;
    }

    /** The model dtype (config.json's {@code torch_dtype}) a dequantizing writer writes int8 and 4-bit weights in; null otherwise. */
    public DType dequantizedDtype() {
        return dequantizeTo;
    }

    /** True when source tensor {@code name} is int8 and this writer reads it dequantized. */
    public boolean dequantizes(String name) {
        return dequantizeTo != null && source.tensor(name).dtype() == DType.I8;
    }

    /**
     * The source tensors this writer writes as int8 unless replaced (empty without quantization).
     */
    public Set<String> quantizedSourceNames() {
        return quantized == null ? Set.of() : quantized.quantizedNames();
    }

    /**
     * Writes source tensor {@code name} quantized (one of {@link #quantizedSourceNames()}), e.g. to report progress
     * tensor by tensor; {@link #finish} quantizes the rest.
     */
    public synchronized void quantizeSource(String name) {
        if (!quantizedSourceNames().contains(name))
            throw new IllegalArgumentException("tensor " + name + " is not quantized by this writer");
        putInt8(quantized, name);
    }

    /** Writes linear {@code prefix} as a plain 2:4 core in {@code dtype}, replacing {@code prefix.weight}. */
    public synchronized void putCore(String prefix, Sparse24Core core, DType dtype) {
        putCoreTensors(prefix, core, dtype);
        replaced.add(prefix + ".weight");
    }

    /**
     * Writes linear {@code prefix} as ARMOR: the core and the block-diagonal {@code A'} ({@code (d_out/b, b, b)},
     * row-major) and {@code B'} ({@code (d_in/b, b, b)}) with the NoWag scalings already folded in.
     */
    public synchronized void putArmor(String prefix, Sparse24Core core, float[] aBlocks, float[] bBlocks, int blockSize, DType dtype) {
        int m = core.rows(), n = core.cols(), b = blockSize;
        if (b <= 0 || m % b != 0 || n % b != 0)
            throw new IllegalArgumentException(prefix + ": block size " + b + " does not divide the core's " + m + "×" + n);
        if (aBlocks.length != m * b) throw new IllegalArgumentException(prefix + ": A' has " + aBlocks.length + " values, expected " + (m / b) + "×" + b + "×" + b);
        if (bBlocks.length != n * b) throw new IllegalArgumentException(prefix + ": B' has " + bBlocks.length + " values, expected " + (n / b) + "×" + b + "×" + b);
        putCoreTensors(prefix, core, dtype);
        put(prefix + SparseLinearLoader.ARMOR_A, dtype, new long[] {m / b, b, b}, aBlocks);
        put(prefix + SparseLinearLoader.ARMOR_B, dtype, new long[] {n / b, b, b}, bBlocks);
        replaced.add(prefix + ".weight");
    }

    /**
     * As {@link #putArmor(String, Sparse24Core, float[], float[], int, DType)}, with A' and B' in their own block
     * sizes: {@code (d_out/blockOut, blockOut, blockOut)} and {@code (d_in/blockIn, blockIn, blockIn)} (the pruner
     * picks each dimension's block separately when b does not divide it).
     */
    public synchronized void putArmor(String prefix, Sparse24Core core, float[] aBlocks, int blockOut, float[] bBlocks, int blockIn, DType dtype) {
        int m = core.rows(), n = core.cols();
        if (blockOut <= 0 || m % blockOut != 0 || blockIn <= 0 || n % blockIn != 0)
            throw new IllegalArgumentException(prefix + ": block sizes " + blockOut + "/" + blockIn + " do not divide the core's " + m + "×" + n);
        if (aBlocks.length != (long) m * blockOut) throw new IllegalArgumentException(prefix + ": A' has " + aBlocks.length + " values, expected " + (m / blockOut) + "×" + blockOut + "×" + blockOut);
        if (bBlocks.length != (long) n * blockIn) throw new IllegalArgumentException(prefix + ": B' has " + bBlocks.length + " values, expected " + (n / blockIn) + "×" + blockIn + "×" + blockIn);
        putCoreTensors(prefix, core, dtype);
        put(prefix + SparseLinearLoader.ARMOR_A, dtype, new long[] {m / blockOut, blockOut, blockOut}, aBlocks);
        put(prefix + SparseLinearLoader.ARMOR_B, dtype, new long[] {n / blockIn, blockIn, blockIn}, bBlocks);
        replaced.add(prefix + ".weight");
    }

    /** Writes a dense {@code prefix.weight} (e.g. a reconstruction), replacing any sparse tensors of {@code prefix}. */
    public synchronized void putDenseWeight(String prefix, float[] weight, int rows, int cols, DType dtype) {
        put(prefix + ".weight", dtype, new long[] {rows, cols}, weight);
        for (String s : new String[] {SparseLinearLoader.VALUES, SparseLinearLoader.META, SparseLinearLoader.ARMOR_A, SparseLinearLoader.ARMOR_B})
            replaced.add(prefix + s);
    }

    /** Writes a one-dimensional tensor (e.g. a trained RMSNorm weight) in {@code dtype}, replacing the source's. */
    public synchronized void putVector(String name, float[] values, DType dtype) {
        put(name, dtype, new long[] {values.length}, values);
        replaced.add(name);
    }

    /** Writes {@code t} under its own name as it is (e.g. a source tensor renamed, or another format's tensor). */
    public synchronized void putTensor(Tensor t) {
        add(t);
    }

    /** Leaves the source tensor {@code name} out of the output (another format replaces it). */
    public synchronized void drop(String name) {
        replaced.add(name);
    }

    private void putCoreTensors(String prefix, Sparse24Core core, DType dtype) {
        put(prefix + SparseLinearLoader.VALUES, dtype, new long[] {core.rows(), core.cols() / 2}, core.values());
        String metaName = prefix + SparseLinearLoader.META;
        MemorySegment meta = pendingArena.allocate(core.meta().length, 8);
        MemorySegment.copy(core.meta(), 0, meta, ValueLayout.JAVA_BYTE, 0, core.meta().length);
        add(new Tensor(metaName, DType.U8, new long[] {core.rows(), Sparse24Core.metaCols(core.cols())}, meta));
    }

    private void put(String name, DType dtype, long[] shape, float[] values) {
        if (quantize != null && putQuantized(name, shape, values)) return;
        MemorySegment seg = pendingArena.allocate((long) values.length * dtype.bytes(), 8);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case BF16 -> seg.setAtIndex(SHORT, i, armor.runtime.kernels.HalfFloat.floatToBf16(values[i]));
                case F16 -> seg.setAtIndex(SHORT, i, armor.runtime.kernels.HalfFloat.floatToF16(values[i]));
                case F32 -> seg.setAtIndex(FLOAT, i, values[i]);
                default -> throw new IllegalArgumentException(name + ": dtype " + dtype + ", expected BF16, F16 or F32");
            }
        }
        add(new Tensor(name, dtype, shape, seg));
    }

    /**
     * Writes {@code values} as int8 when {@link QuantizedWeights} quantizes a tensor of that name (seen alone, in
     * float32), and returns whether it did.
     */
    private boolean putQuantized(String name, long[] shape, float[] values) {
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment seg = temp.allocate(4L * values.length, 8);
            MemorySegment.copy(values, 0, seg, FLOAT, 0, values.length);
            Tensor t = new Tensor(name, DType.F32, shape, seg);
            WeightSource one = new TensorMapWeights(Map.of(name, t)) {
                @Override
                public String origin() {
                    return target.toString();
                }
            };
            try (QuantizedWeights q = quantize.view(one)) {
                if (!q.quantizedNames().contains(name)) return false;
                putInt8(q, name);
                return true;
            }
        }
    }

    /** Copies int8 tensor {@code name} of {@code q} and its scales into the pending shard (q frees them on its next tensor). */
    private void putInt8(QuantizedWeights q, String name) {
        Tensor v = q.tensor(name), s = q.tensor(Int8Tensors.scaleName(name));
        if (v.rank() == 2 && s.dim(1) != 1) wholeRows = false; // ARMOR blocks (rank 3) always have one scale per row
        for (Tensor t : new Tensor[] {v, s}) {
            MemorySegment copy = pendingArena.allocate(t.data().byteSize(), 8);
            copy.copyFrom(t.data());
            add(new Tensor(t.name(), t.dtype(), t.shape(), copy));
        }
    }

    private void add(Tensor t) {
        if (finished) throw new IllegalStateException("checkpoint already finished");
        if (!written.add(t.name())) throw new IllegalArgumentException("tensor " + t.name() + " written twice");
        pending.add(t);
        pendingBytes += t.data().byteSize();
        if (pendingBytes >= shardBytes) flush();
    }

    private void flush() {
        if (pending.isEmpty()) return;
        int index = shards.size();
        Path file = tmp.resolve(String.format("shard-%05d.safetensors", index));
        SafetensorsWriter.write(file, pending, Map.of("format", "pt"));
        for (Tensor t : pending) shardOf.put(t.name(), index);
        shards.add(file);
        totalBytes += pendingBytes;
        pending = new ArrayList<>();
        pendingArena.close();
        pendingArena = Arena.ofShared();
        pendingBytes = 0;
    }

    /**
     * Copies the source tensors not replaced, writes config.json (with {@code sparsity} as its
     * {@code sparsity_config}, or with no such block when null) and the source's other files, and renames the
     * folder into place.
     */
    public synchronized void finish(SparsityConfig sparsity) {
        finishEditingConfig(sparsity == null ? o -> { } : o -> o.set(SparsityConfig.KEY, sparsity.toJson()));
    }

    /**
     * As {@link #finish(SparsityConfig)}, with config.json's source object (its {@code sparsity_config} removed)
     * edited by {@code editConfig}: for formats other than armor's own.
     */
    public synchronized void finishEditingConfig(java.util.function.Consumer<ObjectNode> editConfig) {
        for (String name : view.names()) {
            if (written.contains(name) || replaced.contains(name)) continue;
            if (quantizedSourceNames().contains(name)) {
                quantizeSource(name);
            } else if (dequantizeTo != null && source.tensor(name).dtype() == DType.I8) {
                Tensor t = view.tensor(name);
                put(name, dequantizeTo, t.shape(), TensorFloats.read(t));
            } else {
                add(view.tensor(name)); // a view of the mapped source: nothing copied until written
            }
        }
        flush();
        finished = true;
        try {
            if (shards.size() == 1) {
                Files.move(shards.get(0), tmp.resolve(CheckpointWeights.SINGLE), StandardCopyOption.ATOMIC_MOVE);
            } else {
                ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode index = json.createObjectNode();
                index.putObject("metadata").put("total_size", totalBytes);
                ObjectNode map = index.putObject("weight_map");
                List<String> names = new ArrayList<>();
                for (int i = 0; i < shards.size(); i++) {
                    String n = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                    Files.move(shards.get(i), tmp.resolve(n), StandardCopyOption.ATOMIC_MOVE);
                    names.add(n);
                }
                shardOf.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .forEach(e -> map.put(e.getKey(), names.get(e.getValue())));
                Files.writeString(tmp.resolve(CheckpointWeights.INDEX), json.writeValueAsString(index));
            }
            writeConfig(editConfig);
            try (Stream<Path> files = Files.list(sourceDir)) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (!Files.isRegularFile(f) || n.endsWith(".safetensors") || n.equals(CheckpointWeights.INDEX) || n.equals("config.json")) continue;
                    // an older AutoGPTQ folder's block: the dequantized copy holds float weights, so no GPTQ fields
                    if (dequantizeTo != null && n.equals(GptqConfig.LEGACY_FILE)) continue;
                    Files.copy(f, tmp.resolve(n));
                }
            }
            closeSource();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write checkpoint: " + e.getMessage(), e);
        }
    }

    private void writeConfig(java.util.function.Consumer<ObjectNode> editConfig) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path cfg = sourceDir.resolve("config.json");
        JsonNode root = json.readTree(cfg.toFile());
        if (root == null || !root.isObject()) throw new CheckpointException(cfg + ": expected a JSON object");
        ObjectNode o = (ObjectNode) root;
        o.remove(SparsityConfig.KEY);
        editConfig.accept(o);
        if (quantize != null) {
            o.set(QuantizationConfig.KEY, new QuantizationConfig(8, quantize.nominalGroup(), wholeRows,
                    quantize.embeddings(), !quantize.embeddings() && !source.has("lm_head.weight"), SparsityConfig.VERSION).toJson());
        } else if (dequantizeTo != null) {
            o.remove(QuantizationConfig.KEY);
        }
        Files.writeString(tmp.resolve("config.json"), json.writeValueAsString(o) + "\n");
    }

    /** The dtype named by config.json's torch_dtype (or dtype): BF16, F16, or F32 for float32 and anything else. */
    private static DType modelDtype(Path sourceDir) {
        String name = ConfigReader.read(sourceDir).dtype();
        return switch (name) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
    }

    private void closeSource() {
        if (!sourceClosed) source.close();
        sourceClosed = true;
    }

    /** Abandons an unfinished checkpoint: deletes the temporary folder. */
    @Override
    public synchronized void close() {
        pendingArena.close();
        closeSource();
        if (Files.exists(tmp)) OutputTempFolder.deleteTree(tmp); // best effort: the next writer deletes what is left
    }
}
