package armor.runtime.sparse;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Conversions#quantize} and the int8 paths of {@link SparseCheckpointWriter} and
 * {@link Conversions#exportDense}, checked against a brute-force re-quantization of the source floats written here
 * from the format's definition (docs/checkpoint-format.md), not against the quantizer.
 */
class Int8CheckpointTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");
    static final Path LLAMA3 = SHARED.resolve("models/tiny-llama3-random");   // bf16, 128/384 columns, untied head
    static final Path QWEN3 = SHARED.resolve("models/tiny-qwen3-random-b");   // o_proj 192, down_proj 320 columns

    /** The format's quantization of one row group, written out independently: scale = max|w|/127, q = round-half-even(w/scale). */
    record Ref(byte[] q, float[] scales) {}

    static Ref reference(float[] w, int rows, int cols, int group) {
        byte[] q = new byte[rows * cols];
        float[] s = new float[rows * (cols / group)];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols / group; k++) {
                float max = 0;
                for (int c = k * group; c < (k + 1) * group; c++) if (Math.abs(w[r * cols + c]) > max) max = Math.abs(w[r * cols + c]);
                float scale = max / 127f;
                s[r * (cols / group) + k] = scale;
                for (int c = k * group; c < (k + 1) * group; c++) {
                    if (scale == 0) continue;
                    int code = new BigDecimal(w[r * cols + c] / scale).setScale(0, RoundingMode.HALF_EVEN).intValueExact();
                    q[r * cols + c] = (byte) Math.max(-127, Math.min(127, code));
                }
            }
        }
        return new Ref(q, s);
    }

    static byte[] bytes(Tensor t) {
        assertEquals(DType.I8, t.dtype(), t.name());
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    static float[] floats(Tensor t) {
        assertEquals(DType.F32, t.dtype(), t.name());
        return TensorFloats.read(t);
    }

    static JsonNode config(Path dir) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    }

    /** Asserts that {@code name} in {@code out} is the reference quantization of the float matrix {@code w}. */
    static void assertQuantized(CheckpointWeights out, String name, float[] w, int rows, int cols, int group, long[] scaleShape) {
        Ref ref = reference(w, rows, cols, group);
        Tensor q = out.tensor(name), s = out.tensor(name + "_scale");
        assertArrayEquals(scaleShape, s.shape(), name + "_scale shape");
        assertArrayEquals(ref.scales(), floats(s), name + "_scale");
        assertArrayEquals(ref.q(), bytes(q), name);
    }

    @Test
    void denseFolderQuantizesEveryWeightAsTheFormatSays(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("int8");
        int n = Conversions.quantize(LLAMA3, out, Int8Scheme.defaults(), (d, t, p) -> {});
        assertEquals(3 * 7 + 2, n); // 21 projections, embedding, untied head
        try (CheckpointWeights src = CheckpointWeights.open(LLAMA3); CheckpointWeights q = CheckpointWeights.open(out)) {
            int checked = 0;
            for (String name : src.names()) {
                Tensor t = src.tensor(name);
                boolean quantized = name.endsWith("_proj.weight") || name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight");
                if (!quantized) { // norms keep their dtype and bytes
                    assertEquals(t.dtype(), q.tensor(name).dtype(), name);
                    assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), q.tensor(name).data().toArray(ValueLayout.JAVA_BYTE), name);
                    continue;
                }
                int rows = t.dim(0), cols = t.dim(1);
                assertEquals(0, cols % 128, name); // every row of this model is a multiple of 128: groups of 128
                assertArrayEquals(t.shape(), q.tensor(name).shape(), name);
                assertQuantized(q, name, TensorFloats.read(t), rows, cols, 128, new long[] {rows, cols / 128});
                checked++;
            }
            assertEquals(23, checked);
            assertEquals(src.names().size() + 23, q.names().size(), "one scale tensor per quantized weight, nothing else");
        }
        JsonNode qc = config(out).get("quantization_config");
        assertEquals("compressed-tensors", qc.get("quant_method").asText());
        assertEquals("int-quantized", qc.get("format").asText());
        assertEquals("compressed", qc.get("quantization_status").asText());
        JsonNode w = qc.get("config_groups").get("group_0").get("weights");
        assertEquals("[\"Linear\"]", qc.get("config_groups").get("group_0").get("targets").toString());
        assertEquals(8, w.get("num_bits").asInt());
        assertEquals("int", w.get("type").asText());
        assertTrue(w.get("symmetric").asBoolean());
        assertEquals("group", w.get("strategy").asText());
        assertEquals(128, w.get("group_size").asInt());
        assertFalse(w.get("dynamic").asBoolean());
        assertTrue(w.get("actorder").isNull() && w.get("block_structure").isNull());
        assertEquals("minmax", w.get("observer").asText());
        assertEquals("[\"Embedding\"]", qc.get("config_groups").get("group_1").get("targets").toString());
        assertEquals(w, qc.get("config_groups").get("group_1").get("weights"));
        assertEquals(0, qc.get("ignore").size());
        assertTrue(qc.get("kv_cache_scheme").isNull());
        assertEquals(8, qc.get("armor").get("bits").asInt());
        assertEquals(128, qc.get("armor").get("group_size").asInt());
        assertEquals("int8", qc.get("armor").get("embeddings").asText());
        assertEquals(SparsityConfig.VERSION, qc.get("armor").get("version").asText());
        assertFalse(config(out).has("sparsity_config"));
        assertEquals(config(LLAMA3).get("torch_dtype"), config(out).get("torch_dtype"), "the rest of config.json is unchanged");
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
    }

    @Test
    void defaultFallsBackToWholeRowsWhere128DoesNotDivide(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("int8");
        Conversions.quantize(QWEN3, out, new Int8Scheme(0, false), (d, t, p) -> {});
        try (CheckpointWeights src = CheckpointWeights.open(QWEN3); CheckpointWeights q = CheckpointWeights.open(out)) {
            for (String name : List.of("model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.down_proj.weight",
                    "model.layers.1.mlp.up_proj.weight")) {
                Tensor t = src.tensor(name);
                int cols = t.dim(1), g = cols % 128 == 0 ? 128 : cols; // 192 and 320 columns: one scale per row
                assertQuantized(q, name, TensorFloats.read(t), t.dim(0), cols, g, new long[] {t.dim(0), cols / g});
            }
            // --embeddings keep: the embedding untouched; the untied head is int8 all the same
            assertEquals(DType.BF16, q.tensor("model.embed_tokens.weight").dtype());
            assertFalse(q.has("model.embed_tokens.weight_scale"));
            Tensor head = src.tensor("lm_head.weight");
            assertQuantized(q, head.name(), TensorFloats.read(head), 512, 128, 128, new long[] {512, 1});
        }
        JsonNode qc = config(out).get("quantization_config");
        // 128 columns (q/k/v/gate/up) are one group of 128 too: every row is one group, the channel strategy
        assertEquals("channel", qc.at("/config_groups/group_0/weights/strategy").asText());
        assertFalse(qc.get("config_groups").has("group_1"));
        assertEquals("[]", qc.get("ignore").toString());
        assertEquals("keep", qc.at("/armor/embeddings").asText());

        Path tied = tmp.resolve("tied"); // a tied head stays with its kept embedding: compressed-tensors' ignore
        Conversions.quantize(STORIES, tied, new Int8Scheme(0, false), (d, t, p) -> {});
        assertEquals("[\"lm_head\"]", config(tied).at("/quantization_config/ignore").toString());
    }

    @Test
    void wholeRowsEverywhereIsTheChannelStrategy(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("int8");
        Conversions.quantize(STORIES, out, Int8Scheme.defaults(), (d, t, p) -> {}); // 64 and 172 columns
        try (CheckpointWeights src = CheckpointWeights.open(STORIES); CheckpointWeights q = CheckpointWeights.open(out)) {
            Tensor e = src.tensor("model.embed_tokens.weight");
            assertQuantized(q, e.name(), TensorFloats.read(e), 512, 64, 64, new long[] {512, 1});
            assertFalse(q.has("lm_head.weight"), "tied head: the embedding serves as the head");
        }
        JsonNode w = config(out).at("/quantization_config/config_groups/group_0/weights");
        assertEquals("channel", w.get("strategy").asText());
        assertTrue(w.get("group_size").isNull());
    }

    @Test
    void sparseValuesAreQuantizedInGroupsOfHalfTheDenseColumns(@TempDir Path tmp) throws Exception {
        Path s24 = tmp.resolve("s24"), out = tmp.resolve("int8");
        Conversions.magnitude24(LLAMA3, s24, (d, t, p) -> {});
        Conversions.quantize(s24, out, new Int8Scheme(64, true), (d, t, p) -> {});
        try (CheckpointWeights src = CheckpointWeights.open(s24); CheckpointWeights q = CheckpointWeights.open(out)) {
            int checked = 0;
            for (String name : src.names()) {
                if (!name.endsWith(".sparse_values")) continue;
                Tensor v = src.tensor(name);
                int rows = v.dim(0), kept = v.dim(1);
                // 64 dense columns hold 32 kept values: scales [d_out, d_in/64]
                assertQuantized(q, name, TensorFloats.read(v), rows, kept, 32, new long[] {rows, 2L * kept / 64});
                String meta = name.replace(".sparse_values", ".sparse_meta");
                assertArrayEquals(src.tensor(meta).data().toArray(ValueLayout.JAVA_BYTE), q.tensor(meta).data().toArray(ValueLayout.JAVA_BYTE), meta);
                checked++;
            }
            assertEquals(21, checked);
        }
        JsonNode root = config(out);
        assertEquals("2:4", root.at("/sparsity_config/format").asText(), "the sparsity_config is kept");
        assertEquals(64, root.at("/quantization_config/config_groups/group_0/weights/group_size").asInt());
    }

    /** An ARMOR folder with random A', B' blocks of 32 rows (as SparseCheckpointTest builds one). */
    static Path armorFolder(Path src, Path dir, int b) {
        Random rnd = new Random(11);
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(src, dir)) {
            for (String name : w.source().names()) {
                if (!name.endsWith(".weight") || !Conversions.PROJECTION.matcher(name.substring(0, name.length() - 7)).matches()) continue;
                Tensor t = w.source().tensor(name);
                int m = t.dim(0), n = t.dim(1);
                float[] a = new float[m * b], bb = new float[n * b];
                for (int i = 0; i < a.length; i++) a[i] = (i / b % b == i % b ? 1f : 0f) + (float) rnd.nextGaussian() * 0.05f;
                for (int i = 0; i < bb.length; i++) bb[i] = (i / b % b == i % b ? 1f : 0f) + (float) rnd.nextGaussian() * 0.05f;
                w.putArmor(name.substring(0, name.length() - 7), Sparse24Core.byMagnitude(TensorFloats.read(t), m, n), a, bb, b, t.dtype());
            }
            w.finish(new SparsityConfig(SparsityConfig.FORMAT_ARMOR, "armor", b, null, 10, Map.of(), SparsityConfig.VERSION));
        }
        return dir;
    }

    @Test
    void armorBlocksGetOneScalePerBlockRow(@TempDir Path tmp) throws Exception {
        Path armor = armorFolder(LLAMA3, tmp.resolve("armor"), 32), out = tmp.resolve("int8");
        Conversions.quantize(armor, out, Int8Scheme.defaults(), (d, t, p) -> {});
        try (CheckpointWeights src = CheckpointWeights.open(armor); CheckpointWeights q = CheckpointWeights.open(out)) {
            int checked = 0;
            for (String name : src.names()) {
                if (!name.endsWith(".armor_a") && !name.endsWith(".armor_b")) continue;
                Tensor t = src.tensor(name);
                int blocks = t.dim(0), b = t.dim(1);
                assertArrayEquals(t.shape(), q.tensor(name).shape());
                assertQuantized(q, name, TensorFloats.read(t), blocks * b, b, b, new long[] {blocks, b, 1});
                checked++;
            }
            assertEquals(42, checked);
            Tensor v = src.tensor("model.layers.2.mlp.down_proj.sparse_values");
            assertQuantized(q, v.name(), TensorFloats.read(v), v.dim(0), v.dim(1), 64, new long[] {v.dim(0), 3});
        }
        assertEquals("armor-2:4", config(out).at("/sparsity_config/format").asText());
        assertEquals(32, config(out).at("/sparsity_config/block_size").asInt());
    }

    @Test
    void exportDenseDequantizesWithinHalfAScale(@TempDir Path tmp) throws Exception {
        // bf16 model: the export is bf16(q·scale); f32 model: q·scale exactly
        for (Path src : List.of(LLAMA3, STORIES)) {
            Path out = tmp.resolve(src.getFileName() + "-int8"), dense = tmp.resolve(src.getFileName() + "-dense");
            Conversions.quantize(src, out, Int8Scheme.defaults(), (d, t, p) -> {});
            int n = Conversions.exportDense(out, dense, (d, t, p) -> {});
            DType modelDtype = src == LLAMA3 ? DType.BF16 : DType.F32;
            assertFalse(config(dense).has("quantization_config"));
            try (CheckpointWeights orig = CheckpointWeights.open(src); CheckpointWeights q = CheckpointWeights.open(out);
                 CheckpointWeights d = CheckpointWeights.open(dense)) {
                assertEquals(orig.names(), Set.copyOf(d.names()), "exactly the source's tensors");
                int checked = 0;
                for (String name : orig.names()) {
                    Tensor o = orig.tensor(name), e = d.tensor(name);
                    assertArrayEquals(o.shape(), e.shape(), name);
                    if (!q.has(name + "_scale")) continue;
                    assertEquals(modelDtype, e.dtype(), name);
                    float[] w = TensorFloats.read(o), x = TensorFloats.read(e), s = floats(q.tensor(name + "_scale"));
                    byte[] codes = bytes(q.tensor(name));
                    int cols = o.dim(1), g = cols / q.tensor(name + "_scale").dim(1);
                    for (int i = 0; i < w.length; i++) {
                        float scale = s[(i / cols) * (cols / g) + (i % cols) / g];
                        float deq = codes[i] * scale;
                        float expected = modelDtype == DType.BF16 ? bf16(deq) : deq;
                        assertEquals(expected, x[i], 0f, name + "[" + i + "]");
                        // w/scale is rounded to float before rint: a tie may land 127·2^-24 scales past the half
                        assertTrue(Math.abs((double) w[i] - (double) codes[i] * scale) <= scale * (0.5 + 1e-5), name + "[" + i + "]: |w - deq| > scale/2: w " + w[i] + " q " + codes[i] + " scale " + scale);
                    }
                    checked++;
                }
                assertEquals(n, checked);
            }
        }
    }

    /** bf16 by round to nearest even, written out here. */
    static float bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
        return Float.intBitsToFloat(rounded);
    }

    @Test
    void exportOfAnInt8ArmorFolderIsTheProductOfTheDequantizedFactors(@TempDir Path tmp) throws Exception {
        Path armor = armorFolder(STORIES, tmp.resolve("armor"), 4), out = tmp.resolve("int8"), dense = tmp.resolve("dense");
        Conversions.quantize(armor, out, Int8Scheme.defaults(), (d, t, p) -> {});
        assertEquals(35 + 1, Conversions.exportDense(out, dense, (d, t, p) -> {}));
        String p = "model.layers.3.mlp.down_proj"; // 64 × 172, blocks of 4
        try (CheckpointWeights q = CheckpointWeights.open(out); CheckpointWeights d = CheckpointWeights.open(dense)) {
            int m = 64, n = 172, b = 4;
            float[] values = deq(q, p + ".sparse_values"), a = deq(q, p + ".armor_a"), bb = deq(q, p + ".armor_b");
            float[] c = new Sparse24Core(m, n, values, q.tensor(p + ".sparse_meta").data().toArray(ValueLayout.JAVA_BYTE)).toDense();
            float[] got = TensorFloats.read(d.tensor(p + ".weight"));
            for (int r = 0; r < m; r++) {
                for (int col = 0; col < n; col++) { // W = A'·C·B' with block-diagonal A' (rows) and B' (columns), in double
                    double sum = 0;
                    for (int i = r / b * b; i < r / b * b + b; i++)
                        for (int k = col / b * b; k < col / b * b + b; k++)
                            sum += (double) a[(r / b) * b * b + (r % b) * b + (i % b)] * c[i * n + k] * bb[(k / b) * b * b + (k % b) * b + (col % b)];
                    assertEquals(sum, got[r * n + col], 1e-5 * (1 + Math.abs(sum)), p + "[" + r + ", " + col + "]");
                }
            }
            assertFalse(d.has(p + ".sparse_values") || d.has(p + ".armor_a_scale"));
        }
    }

    /** q·scale of int8 tensor {@code name}, from its own scale tensor's shape (written out here). */
    static float[] deq(CheckpointWeights w, String name) {
        Tensor t = w.tensor(name), s = w.tensor(name + "_scale");
        byte[] q = bytes(t);
        float[] sc = floats(s);
        int cols = t.dim(t.rank() - 1), g = cols / s.dim(s.rank() - 1);
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) out[i] = q[i] * sc[(i / cols) * (cols / g) + (i % cols) / g];
        return out;
    }

    @Test
    void badGroupSizesAndInt8InputAreRefusedBeforeWriting(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("never");
        Int8SchemeException e = assertThrows(Int8SchemeException.class,
                () -> Conversions.quantize(STORIES, out, new Int8Scheme(32, true), (d, t, p) -> {}));
        assertEquals(Int8SchemeException.Cause.GROUP_SIZE, e.reason());
        assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj.weight") && e.getMessage().contains("172"), e.getMessage());
        e = assertThrows(Int8SchemeException.class,
                () -> Conversions.quantize(LLAMA3, out, new Int8Scheme(20, true), (d, t, p) -> {}));
        assertTrue(e.getMessage().contains("group size 20"), e.getMessage());

        Path int8 = tmp.resolve("int8");
        Conversions.quantize(STORIES, int8, Int8Scheme.defaults(), (d, t, p) -> {});
        e = assertThrows(Int8SchemeException.class, () -> Conversions.quantize(int8, out, Int8Scheme.defaults(), (d, t, p) -> {}));
        assertEquals(Int8SchemeException.Cause.ALREADY_QUANTIZED, e.reason());
        assertTrue(e.getMessage().contains("quantization_config"), e.getMessage());
        assertEquals(Set.of("int8"), listing(tmp));
    }

    @Test
    void aFailureWhileWritingLeavesNoFolder(@TempDir Path tmp) throws Exception {
        // a folder with an embedding but no projection: the writer has started when it finds nothing to quantize
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.copy(STORIES.resolve("config.json"), src.resolve("config.json"));
        try (CheckpointWeights w = CheckpointWeights.open(STORIES)) {
            SafetensorsWriter.write(src.resolve("model.safetensors"), List.of(w.tensor("model.embed_tokens.weight")), Map.of("format", "pt"));
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Conversions.quantize(src, tmp.resolve("out"), Int8Scheme.defaults(), (d, t, p) -> {}));
        assertTrue(e.getMessage().contains("no projection"), e.getMessage());
        assertEquals(Set.of("src"), listing(tmp), "no output folder and no temporary folder left");
    }

    @Test
    void int8TensorWithoutScalesIsReportedByTheExport(@TempDir Path tmp) throws Exception {
        Path int8 = tmp.resolve("int8"), broken = tmp.resolve("broken");
        Conversions.quantize(STORIES, int8, Int8Scheme.defaults(), (d, t, p) -> {});
        Files.createDirectories(broken);
        for (String f : List.of("config.json", "tokenizer.json")) Files.copy(int8.resolve(f), broken.resolve(f));
        try (CheckpointWeights w = CheckpointWeights.open(int8)) {
            List<Tensor> kept = new ArrayList<>();
            for (String n : w.names()) if (!n.equals("model.layers.1.self_attn.k_proj.weight_scale")) kept.add(w.tensor(n));
            SafetensorsWriter.write(broken.resolve("model.safetensors"), kept, Map.of("format", "pt"));
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Conversions.exportDense(broken, tmp.resolve("dense"), (d, t, p) -> {}));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.k_proj.weight_scale"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("dense")));
    }

    static Set<String> listing(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

}
