package armor.runtime.sparse;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int4Quantizer;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * 4-bit checkpoints: compressed-tensors {@code pack-quantized} folders made here by that library's conventions (its
 * {@code pack_to_int32}: eight codes + 8 to an int32 along the row, zero points packed along the column; written by
 * this test's own packer, not armor's) load as dense-int4 with the logits of their dequantized float twin; {@code armor
 * quantize --bits 4} writes dense projections that way and 2:4 cores as armor's 2:4-int4, read back by this test's own
 * unpacker; bad tensors are refused with one line naming the tensor.
 */
class Int4CheckpointTest {
    static final Path STORIES = Int8CheckpointTest.STORIES; // hidden 64, intermediate 172: down_proj rows are not whole words
    static final Path LLAMA3 = Int8CheckpointTest.LLAMA3;   // bf16, 128 and 384 columns: groups of 32 fit every row
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] PROMPT = CompressedTensorsQuantizedTest.PROMPT;
    /** Logits of the 4-bit model against its float twin: the same weights, summed in another order. */
    private static final double LOGIT_TOLERANCE = 2e-4;

    /** compressed-tensors' pack_to_int32 of a [rows, cols] int8 matrix along its rows: (q + 8) << 4·(c mod 8). */
    static int[] packToInt32(byte[] q, int rows, int cols) {
        int words = (cols + 7) / 8;
        int[] out = new int[rows * words];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[r * words + c / 8] += (q[r * cols + c] + 8) << (4 * (c % 8));
        return out;
    }

    /** unpack_from_int32: code of element (r, c), minus 8. */
    static int unpack(MemorySegment packed, int words, int r, int c) {
        return ((packed.getAtIndex(INT, (long) r * words + c / 8) >> (4 * (c % 8))) & 15) - 8;
    }

    static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment m = MemorySegment.ofArray(new byte[4 * v.length]);
        for (int i = 0; i < v.length; i++) m.setAtIndex(INT, i, v[i]);
        return new Tensor(name, DType.I32, shape, m);
    }

    static Tensor floats(String name, float[] v, long... shape) {
        return new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v.clone()));
    }

    /** The tensors of one pack-quantized weight {@code p.weight} of matrix m, with a group index when asked. */
    static List<Tensor> packQuantized(String p, Int4Matrix m, boolean gIdx) {
        int rows = m.rows(), cols = m.cols(), gpr = m.groupsPerRow();
        List<Tensor> out = new ArrayList<>();
        out.add(ints(p + ".weight_packed", packToInt32(m.codes(), rows, cols), rows, (cols + 7) / 8));
        out.add(floats(p + ".weight_scale", m.scales(), rows, gpr));
        if (!m.symmetric()) { // packed_dim=0: transpose, pack, transpose back
            byte[] t = new byte[gpr * rows];
            for (int r = 0; r < rows; r++) for (int g = 0; g < gpr; g++) t[g * rows + r] = m.zeroPoints()[r * gpr + g];
            int[] pt = packToInt32(t, gpr, rows), z = new int[pt.length];
            int zr = (rows + 7) / 8;
            for (int g = 0; g < gpr; g++) for (int k = 0; k < zr; k++) z[k * gpr + g] = pt[g * zr + k];
            out.add(ints(p + ".weight_zero_point", z, zr, gpr));
        }
        MemorySegment shape = MemorySegment.ofArray(new byte[16]);
        shape.setAtIndex(LONG, 0, rows);
        shape.setAtIndex(LONG, 1, cols);
        out.add(new Tensor(p + ".weight_shape", DType.I64, new long[] {2}, shape)); // torch.tensor(weight.shape): int64
        if (gIdx) {
            int[] g = new int[cols];
            for (int c = 0; c < cols; c++) g[c] = c / m.groupSize();
            out.add(ints(p + ".weight_g_idx", g, cols));
        }
        return out;
    }

    /** (q - z)·s, from the matrix's fields. */
    static float[] dequantized(Int4Matrix m) {
        float[] w = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++)
            for (int c = 0; c < m.cols(); c++) {
                int g = r * m.groupsPerRow() + c / m.groupSize();
                w[r * m.cols() + c] = (m.codes()[r * m.cols() + c] - (m.symmetric() ? 0 : m.zeroPoints()[g])) * m.scales()[g];
            }
        return w;
    }

    static void writeFolder(Path src, Path dst, List<Tensor> tensors, UnaryOperator<ObjectNode> config) throws Exception {
        Files.createDirectories(dst);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = config.apply((ObjectNode) json.readTree(src.resolve("config.json").toFile()));
        Files.writeString(dst.resolve("config.json"), json.writeValueAsString(cfg));
        Files.copy(src.resolve("tokenizer.json"), dst.resolve("tokenizer.json"));
        SafetensorsWriter.write(dst.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    static ObjectNode packQuantizedConfig(ObjectNode cfg, int group, boolean symmetric) {
        ObjectNode q = cfg.putObject("quantization_config");
        q.put("quant_method", "compressed-tensors").put("format", "pack-quantized").put("quantization_status", "compressed");
        ObjectNode g = q.putObject("config_groups").putObject("group_0");
        g.putArray("targets").add("Linear");
        g.putObject("weights").put("num_bits", 4).put("type", "int").put("symmetric", symmetric).put("strategy", "group")
                .put("group_size", group).put("observer", "minmax");
        q.putArray("ignore").add("lm_head");
        return cfg;
    }

    /**
     * Writes {@code ct} (stories260K with its projections pack-quantized: groups of {@code group} where they divide the
     * row, else the whole row) and {@code twin} (the same with the dequantized float weights); {@code edit} may change
     * the tensors of {@code model.layers.1.mlp.down_proj}.
     */
    static void writePackQuantized(Path ct, Path twin, int group, boolean symmetric, boolean gIdx,
                                   UnaryOperator<List<Tensor>> edit) throws Exception {
        List<Tensor> q = new ArrayList<>(), f = new ArrayList<>();
        try (CheckpointWeights w = CheckpointWeights.open(STORIES)) {
            for (String n : w.names()) {
                Tensor t = w.tensor(n);
                String p = n.substring(0, n.length() - ".weight".length());
                if (!n.endsWith(".weight") || !Conversions.PROJECTION.matcher(p).matches()) {
                    q.add(t.copyToHeap());
                    f.add(t.copyToHeap());
                    continue;
                }
                int rows = t.dim(0), cols = t.dim(1);
                Int4Matrix m = Int4Quantizer.quantize(TensorFloats.read(t), rows, cols, cols % group == 0 ? group : cols, symmetric);
                List<Tensor> packed = packQuantized(p, m, gIdx);
                q.addAll(p.equals("model.layers.1.mlp.down_proj") ? edit.apply(packed) : packed);
                f.add(floats(n, dequantized(m), rows, cols));
            }
        }
        writeFolder(STORIES, ct, q, c -> packQuantizedConfig(c, group, symmetric));
        writeFolder(STORIES, twin, f, c -> c);
    }

    static void assertKinds(Model m, String kind) {
        for (int l = 0; l < m.decoder().numLayers(); l++)
            for (String name : DecoderLayer.PROJECTIONS) {
                Linear layer = m.decoder().layer(l).linear(name);
                assertEquals(kind, layer.kind(), "layer " + l + " " + name);
            }
    }

    static void assertSameLogits(Path quantized, Path twin, String kind) {
        try (Model q = Model.load(quantized, SparseMode.AUTO); Model f = Model.load(twin, SparseMode.AUTO)) {
            assertKinds(q, kind);
            float[] a = q.logits(PROMPT), b = f.logits(PROMPT);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], LOGIT_TOLERANCE, kind + ": logit " + i);
        }
    }

    @Test
    void packQuantizedFoldersLoadAsDenseInt4WithTheLogitsOfTheirFloatTwins(@TempDir Path tmp) throws Exception {
        writePackQuantized(tmp.resolve("sym"), tmp.resolve("sym-f"), 32, true, false, t -> t);
        assertSameLogits(tmp.resolve("sym"), tmp.resolve("sym-f"), "dense-int4");
        // zero points, and a group index in column order (what GPTQ without activation reordering leaves)
        writePackQuantized(tmp.resolve("asym"), tmp.resolve("asym-f"), 64, false, true, t -> t);
        assertSameLogits(tmp.resolve("asym"), tmp.resolve("asym-f"), "dense-int4");
    }

    /** The message of loading a pack-quantized folder whose down_proj of layer 1 is edited. */
    private static String refusal(Path tmp, String name, UnaryOperator<List<Tensor>> edit) throws Exception {
        Path dir = tmp.resolve(name);
        writePackQuantized(dir, tmp.resolve(name + "-f"), 32, false, true, edit);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Model.load(dir, SparseMode.AUTO).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    /** The tensors with the one whose name ends with {@code suffix} swapped for {@code by} (bad-input tests). */
    static UnaryOperator<List<Tensor>> replacing(String suffix, Tensor by) {
        return ts -> {
            List<Tensor> out = new ArrayList<>();
            for (Tensor t : ts) out.add(t.name().endsWith(suffix) ? by : t);
            return out;
        };
    }

    @Test
    void badPackedTensorsAreRefusedNamingTheTensorAndWhatWasExpected(@TempDir Path tmp) throws Exception {
        String p = "model.layers.1.mlp.down_proj"; // [64, 172]: 22 words a row, whole-row groups
        MemorySegment shape = MemorySegment.ofArray(new byte[16]);
        shape.setAtIndex(LONG, 0, 64);
        shape.setAtIndex(LONG, 1, 180);
        String m = refusal(tmp, "shape", replacing(".weight_shape", new Tensor(p + ".weight_shape", DType.I64, new long[] {2}, shape)));
        assertTrue(m.contains("tensor " + p + ".weight_shape is [64, 180], expected [64, 172]"), m);
        m = refusal(tmp, "packed", replacing(".weight_packed", ints(p + ".weight_packed", new int[64 * 21], 64, 21)));
        assertTrue(m.contains("tensor " + p + ".weight_packed has shape [64, 21], expected [64, 22] for " + p + ".weight_shape = [64, 172]"), m);
        m = refusal(tmp, "scale", replacing(".weight_scale", floats(p + ".weight_scale", new float[64 * 3], 64, 3)));
        assertTrue(m.contains("tensor " + p + ".weight_scale has shape [64, 3], expected [64, G] with G dividing 172"), m);
        int[] reordered = new int[172];
        reordered[0] = 1; // one group of 172 columns: index 1 cannot be column order
        m = refusal(tmp, "gidx", replacing(".weight_g_idx", ints(p + ".weight_g_idx", reordered, 172)));
        assertTrue(m.contains("tensor " + p + ".weight_g_idx puts column 0 in group 1, expected group 0")
                && m.contains("activation reordering is not supported"), m);
        m = refusal(tmp, "zp", replacing(".weight_zero_point", ints(p + ".weight_zero_point", new int[64], 64, 1)));
        assertTrue(m.contains("tensor " + p + ".weight_zero_point is I32 [64, 1], expected I32 [8, 1]"), m);
    }

    /** Every projection of {@code dir} read back by this test's unpacker: name → dequantized [rows, cols] values. */
    private static float[] readBack(CheckpointWeights w, String name, int rows, int cols) {
        Tensor packed = w.tensor(name + "_packed"), scale = w.tensor(name + "_scale"), shape = w.tensor(name + "_shape");
        assertEquals(DType.I32, packed.dtype(), name);
        assertArrayEquals(new long[] {rows, (cols + 7) / 8}, packed.shape(), name);
        assertEquals(DType.I64, shape.dtype());
        assertEquals(rows, shape.data().getAtIndex(LONG, 0));
        assertEquals(cols, shape.data().getAtIndex(LONG, 1));
        float[] s = TensorFloats.read(scale);
        int gpr = scale.dim(1), group = cols / gpr, words = (cols + 7) / 8;
        Tensor zp = w.has(name + "_zero_point") ? w.tensor(name + "_zero_point") : null;
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int g = c / group;
                int z = zp == null ? 0 : ((zp.data().getAtIndex(INT, (long) (r / 8) * gpr + g) >> (4 * (r % 8))) & 15) - 8;
                out[r * cols + c] = (unpack(packed.data(), words, r, c) - z) * s[r * gpr + g];
            }
        return out;
    }

    @Test
    void quantizeWritesDenseAsPackQuantizedAnd24AsItsOwn24Int4(@TempDir Path tmp) throws Exception {
        Path dense4 = tmp.resolve("dense4"), s24 = tmp.resolve("s24"), s24q = tmp.resolve("s24q");
        assertEquals(3 * 7, Conversions.quantize4(LLAMA3, dense4, 32, true, (d, t, n) -> { }));
        Conversions.magnitude24(STORIES, s24, (d, t, n) -> { });
        assertEquals(35, Conversions.quantize4(s24, s24q, 0, false, (d, t, n) -> { }));

        JsonNode q = new ObjectMapper().readTree(dense4.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("pack-quantized", q.get("format").asText());
        JsonNode wq = q.get("config_groups").get("group_0").get("weights");
        assertEquals(4, wq.get("num_bits").asInt());
        assertEquals("group", wq.get("strategy").asText());
        assertEquals(32, wq.get("group_size").asInt());
        assertTrue(wq.get("symmetric").asBoolean());
        JsonNode sq = new ObjectMapper().readTree(s24q.resolve("config.json").toFile());
        assertTrue(sq.has("sparsity_config"), "2:4 keeps its sparsity_config");
        assertFalse(sq.get("quantization_config").get("config_groups").get("group_0").get("weights").get("symmetric").asBoolean());

        // the float twins, from this test's reading of the written tensors
        List<Tensor> denseTwin = new ArrayList<>(), sparseTwin = new ArrayList<>();
        try (CheckpointWeights src = CheckpointWeights.open(LLAMA3); CheckpointWeights w = CheckpointWeights.open(dense4)) {
            for (String n : src.names()) {
                String p = n.substring(0, n.length() - ".weight".length());
                if (!n.endsWith(".weight") || !Conversions.PROJECTION.matcher(p).matches()) {
                    denseTwin.add(src.tensor(n).copyToHeap());
                    continue;
                }
                assertFalse(w.has(n), n + " is replaced by its packed tensors");
                Tensor t = src.tensor(n);
                float[] back = readBack(w, n, t.dim(0), t.dim(1)), orig = TensorFloats.read(t);
                float[] s = TensorFloats.read(w.tensor(n + "_scale"));
                int group = t.dim(1) / w.tensor(n + "_scale").dim(1);
                assertEquals(32, group, n);
                for (int i = 0; i < orig.length; i++) // round to nearest: within half a step (the clamped top within one)
                    assertEquals(orig[i], back[i], s[i / t.dim(1) * (t.dim(1) / group) + i % t.dim(1) / group] * 0.5001, n + " element " + i);
                denseTwin.add(floats(n, back, t.dim(0), t.dim(1)));
            }
        }
        try (CheckpointWeights src = CheckpointWeights.open(s24); CheckpointWeights w = CheckpointWeights.open(s24q)) {
            for (String n : src.names()) {
                if (!n.endsWith(".sparse_values")) {
                    sparseTwin.add(src.tensor(n).copyToHeap());
                    if (n.endsWith(".sparse_meta")) assertEquals(src.tensor(n).data().mismatch(w.tensor(n).data()), -1L, n + " unchanged");
                    continue;
                }
                assertFalse(w.has(n));
                Tensor t = src.tensor(n);
                sparseTwin.add(floats(n, readBack(w, n, t.dim(0), t.dim(1)), t.dim(0), t.dim(1)));
            }
        }
        writeFolder(LLAMA3, tmp.resolve("dense4-f"), denseTwin, c -> c);
        Path s24f = tmp.resolve("s24-f");
        writeFolder(s24, s24f, sparseTwin, c -> c);
        assertSameLogits(dense4, tmp.resolve("dense4-f"), "dense-int4");
        assertSameLogits(s24q, s24f, "2:4-int4");

        // export --dense: the 4-bit 2:4 folder as plain float32 weights computes what its twin computes
        Path exported = tmp.resolve("s24q-dense");
        assertEquals(35, Conversions.exportDense(s24q, exported, (d, t, n) -> { }));
        try (CheckpointWeights w = CheckpointWeights.open(exported)) {
            for (String n : w.names()) {
                assertFalse(n.contains("_packed") || n.contains("sparse_"), n + " left in a dense export");
                assertEquals(DType.F32, w.tensor(n).dtype(), n);
            }
        }
        try (Model e = Model.load(exported, SparseMode.OFF); Model f = Model.load(s24f, SparseMode.AUTO)) {
            assertKinds(e, "dense");
            float[] a = e.logits(PROMPT), b = f.logits(PROMPT);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], LOGIT_TOLERANCE, "exported 2:4-int4: logit " + i);
        }
    }

    @Test
    void aGroupThatDoesNotFitIsAUsageErrorAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Int8SchemeException e = assertThrows(Int8SchemeException.class, () -> Conversions.quantize4(STORIES, out, 32 + 16, true, (d, t, n) -> { }));
        assertEquals(Int8SchemeException.Cause.GROUP_SIZE, e.reason());
        assertTrue(e.getMessage().startsWith("--group-size: tensor model.layers.0.mlp.down_proj.weight (172 input columns): group size 48"),
                e.getMessage());
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "nothing written, not even a temporary folder");
        }
    }

    /**
     * ARMOR to 4 bits: the core's kept values as 2:4-int4, A' and B' as int8 with one scale per block row. The float
     * twin is the ARMOR folder with every value replaced by what this test reads back from the written tensors.
     */
    @Test
    void armorQuantizesToA4BitCoreBetweenInt8Factors(@TempDir Path tmp) throws Exception {
        Path armor = Int8CheckpointTest.armorFolder(LLAMA3, tmp.resolve("armor"), 32), armorq = tmp.resolve("armor4");
        assertEquals(3 * 7, Conversions.quantize4(armor, armorq, 32, false, (d, t, n) -> { }), "the 4-bit cores of 21 projections");
        List<Tensor> twin = new ArrayList<>();
        try (CheckpointWeights src = CheckpointWeights.open(armor); CheckpointWeights w = CheckpointWeights.open(armorq)) {
            for (String n : src.names()) {
                Tensor t = src.tensor(n);
                if (n.endsWith(".sparse_values")) {
                    assertFalse(w.has(n));
                    twin.add(floats(n, readBack(w, n, t.dim(0), t.dim(1)), t.dim(0), t.dim(1)));
                } else if (n.endsWith(".armor_a") || n.endsWith(".armor_b")) {
                    Tensor q = w.tensor(n), scale = w.tensor(n + "_scale");
                    assertEquals(DType.I8, q.dtype(), n);
                    assertArrayEquals(new long[] {t.dim(0), t.dim(1), 1}, scale.shape(), n + ": one scale per block row");
                    float[] sc = TensorFloats.read(scale), back = new float[t.dim(0) * t.dim(1) * t.dim(2)];
                    for (int i = 0; i < back.length; i++) back[i] = q.data().get(ValueLayout.JAVA_BYTE, i) * sc[i / t.dim(2)];
                    twin.add(floats(n, back, t.shape().clone()));
                } else {
                    twin.add(t.copyToHeap());
                }
            }
        }
        Path twinDir = tmp.resolve("armor-f");
        writeFolder(armor, twinDir, twin, c -> c);
        assertSameLogits(armorq, twinDir, "armor-int4");
    }
}
