package armor.runtime.sparse;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.Sampler;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.linear.WeightFormat;
import armor.runtime.linear.SparseLinearLoader;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * compressed-tensors 2:4 checkpoints, against the folders compressed-tensors 0.14.0 itself wrote and transformers'
 * float32 outputs for them (../shared/fixtures/stories260K-2of4-ct-reference.json).
 */
class CompressedTensorsTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path BITMASK = SHARED.resolve("models/stories260K-2of4-ct-bitmask");
    static final Path DENSE = SHARED.resolve("models/stories260K-2of4-ct-dense");
    static final String DOWN0 = "model.layers.0.mlp.down_proj";

    static int[] ints(JsonNode n) {
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) a[i] = n.get(i).asInt();
        return a;
    }

    /** Logits within 1e-3, argmax at every position and the greedy ids of transformers, for every fixture case. */
    static void assertMatchesReference(Model model, String label) throws Exception {
        JsonNode fixture = new ObjectMapper().readTree(SHARED.resolve("fixtures/stories260K-2of4-ct-reference.json").toFile());
        int vocab = model.config().vocabSize();
        assertTrue(fixture.get("cases").size() > 0);
        for (JsonNode c : fixture.get("cases")) {
            int[] ids = ints(c.get("input_ids"));
            float[] logits = model.logits(ids);
            JsonNode last = c.get("last_logits");
            assertEquals(vocab, last.size());
            double worst = 0;
            int off = (ids.length - 1) * vocab;
            for (int i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(logits[off + i] - last.get(i).asDouble()));
            assertTrue(worst <= 1e-3, label + " '" + c.get("prompt").asText() + "': max |logit diff| " + worst);
            int[] argmax = new int[ids.length];
            for (int t = 0; t < ids.length; t++) argmax[t] = Sampler.argmax(logits, t * vocab, vocab);
            assertArrayEquals(ints(c.get("argmax_per_position")), argmax, label + ": argmax per position");
            int[] expected = ints(c.get("greedy_ids"));
            GenerationResult r = new Generator(model, null).generate(ids,
                    SamplingParams.GREEDY, new StopConditions(expected.length, List.of(), true), (tok, text) -> {});
            assertArrayEquals(expected, r.tokens(), label + ": greedy ids");
        }
    }

    static List<Linear> projections(Model m) {
        List<Linear> out = new ArrayList<>();
        for (int i = 0; i < m.decoder().numLayers(); i++)
            for (String p : DecoderLayer.PROJECTIONS) out.add(m.decoder().layer(i).linear(p));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-2of4-ct-bitmask", "stories260K-2of4-ct-dense"})
    void bothFormatsMatchTransformersOnThe24Kernels(String name) throws Exception {
        try (Model m = Model.load(SHARED.resolve("models/" + name))) {
            List<Linear> ps = projections(m);
            assertEquals(35, ps.size());
            for (Linear l : ps) assertInstanceOf(Sparse24Linear.class, l, name + ": every projection runs as 2:4");
            assertEquals(35, m.sparsity().sparse().size());
            assertTrue(m.sparsity().dense().isEmpty());
            assertTrue(m.sparsity().summary().startsWith("compressed-tensors "), m.sparsity().summary());
            assertTrue(m.sparsity().summary().endsWith("35 of 35 projections run as 2:4"), m.sparsity().summary());
            assertMatchesReference(m, name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-2of4-ct-bitmask", "stories260K-2of4-ct-dense"})
    void sparseOffRunsDenseWithTheSameResults(String name) throws Exception {
        try (Model m = Model.load(SHARED.resolve("models/" + name), SparseMode.OFF)) {
            for (Linear l : projections(m)) assertEquals("dense", l.kind());
            assertEquals(35, m.sparsity().dense().size());
            assertTrue(m.sparsity().summary().endsWith("0 of 35 projections run sparse; dense: all (--sparse off)"), m.sparsity().summary());
            assertMatchesReference(m, name + " --sparse off");
        }
    }

    /** The bitmask decoded by the view equals the dense 2:4 weights the reference library wrote, bit for bit. */
    @Test
    void bitmaskDecodesToTheReferenceDenseWeights() {
        try (Model m = Model.load(BITMASK); CheckpointWeights dense = CheckpointWeights.open(DENSE)) {
            for (int i = 0; i < 5; i++) {
                for (String p : DecoderLayer.PROJECTIONS) {
                    float[] expected = TensorFloats.read(dense.tensor("model.layers." + i + "." + p + ".weight"));
                    float[] got = ((Sparse24Linear) m.decoder().layer(i).linear(p)).denseWeight();
                    assertEquals(expected.length, got.length);
                    // delta 0: equal values, where the reference's -0.0 (a pruned weight times 0) equals 0.0
                    for (int k = 0; k < got.length; k++) assertEquals(expected[k], got[k], 0f, "layer " + i + " " + p + " at " + k);
                }
            }
        }
    }

    /** A plain dense folder (no quantization_config) whose projections are 2:4 runs them as 2:4 under auto. */
    @Test
    void plainDenseFolderWith24ZerosRunsSparseUnderAuto(@TempDir Path tmp) throws Exception {
        Path plain = copy(DENSE, tmp.resolve("plain"), cfg -> {
            cfg.remove("quantization_config");
            return cfg;
        }, Map.of());
        try (Model m = Model.load(plain)) {
            for (Linear l : projections(m)) assertEquals("2:4", l.kind());
            assertEquals("dense checkpoint: 35 of 35 projections run as 2:4", m.sparsity().summary());
            assertMatchesReference(m, "plain dense 2:4");
        }
        // a real dense model: nothing is 2:4, and nothing is said
        try (Model m = Model.load(SHARED.resolve("models/stories260K-hf"))) {
            for (Linear l : projections(m)) assertEquals("dense", l.kind());
            assertEquals(35, m.sparsity().dense().size());
            assertEquals("not 2:4", m.sparsity().dense().get(DOWN0));
            assertFalse(m.sparsity().worthSaying());
        }
    }

    /** A projection with one group of three non-zeros stays dense under auto, and the load says which one and why. */
    @Test
    void oneNon24ProjectionStaysDenseAndIsNamed(@TempDir Path tmp) throws Exception {
        Path dir;
        try (CheckpointWeights w = CheckpointWeights.open(DENSE)) {
            Tensor t = w.tensor(DOWN0 + ".weight");
            float[] v = TensorFloats.read(t);
            int zero = -1;
            for (int k = 0; k < 4; k++) if (v[k] == 0) zero = k;
            v[zero] = 0.5f; // group 0 of row 0 now has three non-zeros
            dir = copy(DENSE, tmp.resolve("one"), c -> c, Map.of(t.name(), f32(t.name(), t.shape(), v)));
        }
        try (Model m = Model.load(dir)) {
            assertEquals("dense", m.decoder().layer(0).linear(DecoderLayer.DOWN).kind());
            assertEquals(34, m.sparsity().sparse().size());
            assertEquals("compressed-tensors dense 2:4: 34 of 35 projections run as 2:4; dense: 1 not 2:4, though sparsity_config targets it (" + DOWN0 + ")",
                    m.sparsity().summary());
        }
    }

    /** Groups with fewer than two non-zeros (and -0.0) pack exactly; a group of three keeps the projection dense. */
    @Test
    void sparseGroupsPackExactlyAndFullGroupsStayDense() {
        String up = "model.layers.0.mlp.up_proj", gate = "model.layers.0.mlp.gate_proj";
        int rows = 16, cols = 8;
        java.util.Random rnd = new java.util.Random(7);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i += 4) {
            int keep = rnd.nextInt(3); // 0, 1 or 2 non-zeros in this group
            for (int k = 0; k < 4; k++) w[i + k] = rnd.nextBoolean() ? -0f : 0f;
            for (int j = 0; j < keep; j++) w[i + rnd.nextInt(4)] = (float) rnd.nextGaussian();
        }
        float[] full = w.clone();
        full[12] = 1; full[13] = 2; full[14] = 3; // row 1, group 1: three non-zeros
        var raw = new armor.runtime.safetensors.TensorMapWeights(Map.of(up + ".weight", f32(up + ".weight", new long[] {rows, cols}, w),
                gate + ".weight", f32(gate + ".weight", new long[] {rows, cols}, full))) {
            @Override
            public String origin() {
                return "memory";
            }
        };
        Sparse24View view = Sparse24View.of(raw, null, SparseMode.AUTO, "LlamaForCausalLM");
        assertFalse(view.has(up + ".weight"));
        assertTrue(view.has(up + SparseLinearLoader.VALUES) && view.has(up + SparseLinearLoader.META));
        Linear l = armor.runtime.linear.LinearLoader.load(view, up, cols, rows);
        assertEquals("2:4", l.kind());
        float[] back = ((Sparse24Linear) l).denseWeight();
        for (int i = 0; i < w.length; i++) assertEquals(w[i] == 0 ? 0f : w[i], back[i], 0f, "at " + i);
        assertTrue(view.has(gate + ".weight"));
        assertEquals("dense", armor.runtime.linear.LinearLoader.load(view, gate, cols, rows).kind());
        assertEquals("not 2:4", view.denseReason(gate));
        assertNull(view.denseReason(up));
        Sparse24View off = Sparse24View.of(raw, null, SparseMode.OFF, "LlamaForCausalLM");
        assertEquals("dense", armor.runtime.linear.LinearLoader.load(off, up, cols, rows).kind());
        assertEquals("--sparse off", off.denseReason(up));
    }

    /** In bf16 (2-byte values: the bitmask's values used in place, the dense weights packed) both formats agree. */
    @Test
    void bf16FoldersOfBothFormatsLoadTheSameLayers(@TempDir Path tmp) throws Exception {
        Path bitmask = toBf16(BITMASK, tmp.resolve("b")), dense = toBf16(DENSE, tmp.resolve("d"));
        int[] ids = {1, 403, 407, 261, 378};
        try (Model b = Model.load(bitmask); Model d = Model.load(dense); Model ref = Model.load(BITMASK)) {
            for (int i = 0; i < 5; i++) {
                for (String p : DecoderLayer.PROJECTIONS) {
                    Sparse24Linear lb = (Sparse24Linear) b.decoder().layer(i).linear(p), ld = (Sparse24Linear) d.decoder().layer(i).linear(p);
                    assertEquals(WeightFormat.TWO_FOUR_BF16, lb.format());
                    float[] wb = lb.denseWeight(), wd = ld.denseWeight(), wr = ((Sparse24Linear) ref.decoder().layer(i).linear(p)).denseWeight();
                    for (int k = 0; k < wb.length; k++) {
                        assertEquals(wd[k], wb[k], 0f, p);
                        assertEquals(wr[k], wb[k], Math.abs(wr[k]) / 128, p); // bf16 rounding of the f32 reference
                    }
                }
            }
            float[] lb = b.logits(ids), ld = d.logits(ids);
            assertArrayEquals(ld, lb, 1e-4f);
        }
    }

    /** A copy of a folder with every F32 tensor rounded to BF16 and config.json's dtype set to bfloat16. */
    static Path toBf16(Path src, Path dst) throws Exception {
        Map<String, Tensor> replace = new java.util.HashMap<>();
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            for (String n : w.names()) {
                Tensor t = w.tensor(n);
                if (t.dtype() != DType.F32) continue;
                float[] v = TensorFloats.read(t);
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) h[i] = armor.runtime.kernels.HalfFloat.floatToBf16(v[i]);
                replace.put(n, new Tensor(n, DType.BF16, t.shape(), MemorySegment.ofArray(h)));
            }
        }
        return copy(src, dst, c -> c.put("dtype", "bfloat16"), replace);
    }

    // ---- export

    /** Export of what compressed-tensors wrote gives back its tensors byte for byte, and the same model. */
    @ParameterizedTest
    @ValueSource(strings = {"stories260K-2of4-ct-bitmask", "stories260K-2of4-ct-dense"})
    void exportWritesWhatCompressedTensorsWrote(String name, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("ct");
        int n = CompressedTensorsExport.export(SHARED.resolve("models/" + name), out,
                CompressedTensorsExport.Target.COMPRESSED_TENSORS, (d, t, p) -> {});
        assertEquals(35, n);
        JsonNode q = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("compressed-tensors", q.get("quant_method").asText());
        assertEquals("sparse-24-bitmask", q.get("sparsity_config").get("format").asText());
        assertEquals("[\"Linear\"]", q.get("sparsity_config").get("targets").toString());
        assertEquals("[\"lm_head\"]", q.get("sparsity_config").get("ignore").toString());
        try (CheckpointWeights ref = CheckpointWeights.open(BITMASK); CheckpointWeights got = CheckpointWeights.open(out)) {
            assertEquals(new java.util.TreeSet<>(ref.names()), new java.util.TreeSet<>(got.names()));
            for (String t : ref.names()) {
                Tensor a = ref.tensor(t), b = got.tensor(t);
                assertEquals(a.dtype(), b.dtype(), t);
                assertArrayEquals(a.shape(), b.shape(), t);
                assertEquals(-1, a.data().mismatch(b.data()), t + " bytes");
            }
        }
        try (Model m = Model.load(out)) {
            for (Linear l : projections(m)) assertEquals("2:4", l.kind());
            assertMatchesReference(m, name + " exported");
        }
    }

    /** armor's own magnitude 2:4 checkpoint → compressed-tensors → load: the same layers and the same logits. */
    @Test
    void armor24CheckpointRoundTripsThroughCompressedTensors(@TempDir Path tmp) throws Exception {
        Path stories = SHARED.resolve("models/stories260K-hf");
        Path native24 = tmp.resolve("native"), ct = tmp.resolve("ct"), back = tmp.resolve("dense");
        Conversions.magnitude24(stories, native24, (d, t, p) -> {});
        assertEquals(35, CompressedTensorsExport.export(native24, ct, CompressedTensorsExport.Target.COMPRESSED_TENSORS, (d, t, p) -> {}));
        assertFalse(new ObjectMapper().readTree(ct.resolve("config.json").toFile()).has("sparsity_config"));
        int[] ids = {1, 403, 407, 261, 378};
        try (Model a = Model.load(native24); Model b = Model.load(ct); CheckpointWeights cw = CheckpointWeights.open(ct)) {
            for (int i = 0; i < 5; i++) {
                for (String p : DecoderLayer.PROJECTIONS) {
                    float[] wa = ((Sparse24Linear) a.decoder().layer(i).linear(p)).denseWeight();
                    assertArrayEquals(wa, ((Sparse24Linear) b.decoder().layer(i).linear(p)).denseWeight());
                    // the bitmask, checked bit by bit against the dense weights: bit c%8 of byte c/8 is set iff kept
                    String prefix = "model.layers." + i + "." + p;
                    Tensor mask = cw.tensor(prefix + ".bitmask");
                    int rows = mask.dim(0), cols = wa.length / rows;
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            boolean bit = ((mask.data().get(ValueLayout.JAVA_BYTE, (long) r * mask.dim(1) + c / 8) >> (c % 8)) & 1) == 1;
                            if (wa[r * cols + c] != 0) assertTrue(bit, prefix + " row " + r + " col " + c);
                        }
                    }
                }
            }
            // same layers; the prefill kernels' parallel sums may round differently from one call to the next
            assertArrayEquals(a.logits(ids), b.logits(ids), 1e-5f);
        }
        // and compressed-tensors → dense gives plain weights equal to the 2:4 ones
        assertEquals(35, CompressedTensorsExport.export(ct, back, CompressedTensorsExport.Target.DENSE, (d, t, p) -> {}));
        assertFalse(new ObjectMapper().readTree(back.resolve("config.json").toFile()).has("quantization_config"));
        try (Model d = Model.load(back, SparseMode.OFF); Model a = Model.load(native24)) {
            // the dense and 2:4 kernels sum in different orders: equal up to rounding
            assertArrayEquals(a.logits(ids), d.logits(ids), 1e-4f);
            assertEquals("dense", d.decoder().layer(0).linear(DecoderLayer.DOWN).kind());
        }
    }

    @Test
    void armorLayersRefuseToExportAsCompressedTensors(@TempDir Path tmp) throws Exception {
        Path armor = tmp.resolve("armor");
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(SHARED.resolve("models/stories260K-hf"), armor)) {
            Tensor t = w.source().tensor("model.layers.0.self_attn.q_proj.weight");
            var core = Sparse24Core.byMagnitude(TensorFloats.read(t), 64, 64);
            float[] a = new float[64 * 4], b = new float[64 * 4];
            for (int k = 0; k < 16; k++) for (int i = 0; i < 4; i++) {
                a[k * 16 + i * 4 + i] = 1;
                b[k * 16 + i * 4 + i] = 1;
            }
            w.putArmor("model.layers.0.self_attn.q_proj", core, a, b, 4, DType.F32);
            w.finish(new SparsityConfig("armor-2:4", "armor", 4, null, null, null, SparsityConfig.VERSION));
        }
        String msg = assertThrows(CheckpointException.class, () -> CompressedTensorsExport.export(armor, tmp.resolve("x"),
                CompressedTensorsExport.Target.COMPRESSED_TENSORS, (d, t, p) -> {})).getMessage();
        assertEquals(armor + ": model.layers.0.self_attn.q_proj is an ARMOR layer (A'·C·B'), which compressed-tensors "
                + "cannot express; export ARMOR checkpoints with --format dense", msg);
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    // ---- bad input: one line naming the tensor or field and what was expected

    @Test
    void bitmaskThatIsNot24IsRejected(@TempDir Path tmp) throws Exception {
        Path dir = withTensor(tmp, DOWN0 + ".bitmask", (t, bytes) -> bytes[0] = (byte) 0x07); // group 0: bits 0,1,2
        assertEquals(dir + ": tensor " + DOWN0 + ".bitmask: row 0, group 0 (columns 0..3) has 3 bits set, expected exactly 2 (a 2:4 bitmask)",
                loadError(dir));
    }

    @Test
    void paddingBitsMustBeZero(@TempDir Path tmp) throws Exception {
        // down_proj has 172 columns: the last byte of each bitmask row holds columns 168..171 and four padding bits
        Path dir = withTensor(tmp, DOWN0 + ".bitmask", (t, bytes) -> bytes[21] |= (byte) 0x80);
        assertEquals(dir + ": tensor " + DOWN0 + ".bitmask: row 0 has padding bits set after column 171, expected zeros", loadError(dir));
    }

    @Test
    void shapeMismatchesAreRejected(@TempDir Path tmp) throws Exception {
        try (CheckpointWeights w = CheckpointWeights.open(BITMASK)) {
            Tensor c = w.tensor(DOWN0 + ".compressed");
            Tensor cut = new Tensor(c.name(), c.dtype(), new long[] {64, 85}, c.data().asSlice(0, 64L * 85 * 4));
            Path a = copy(BITMASK, tmp.resolve("a"), x -> x, Map.of(c.name(), cut));
            assertEquals(a + ": tensor " + DOWN0 + ".compressed has shape [64, 85], expected [64, 86] for the weight of "
                    + DOWN0 + ".shape = [64, 172]", loadError(a));
            Tensor m = w.tensor(DOWN0 + ".bitmask");
            Tensor cutMask = new Tensor(m.name(), m.dtype(), new long[] {32, 22}, m.data().asSlice(0, 32L * 22));
            Path b = copy(BITMASK, tmp.resolve("b"), x -> x, Map.of(m.name(), cutMask));
            assertEquals(b + ": tensor " + DOWN0 + ".bitmask has shape [32, 22], expected [64, 22] for the weight of "
                    + DOWN0 + ".shape = [64, cols]", loadError(b));
            // P.shape that disagrees with the model: the loader names the values against the projection's size
            Tensor s = new Tensor(DOWN0 + ".shape", DType.I64, new long[] {2, 1}, MemorySegment.ofArray(new long[] {64, 168}));
            Path d = copy(BITMASK, tmp.resolve("d"), x -> x, Map.of(s.name(), s));
            assertEquals(d + ": tensor " + DOWN0 + ".compressed has shape [64, 86], expected [64, 84] for the weight of "
                    + DOWN0 + ".shape = [64, 168]", loadError(d));
        }
    }

    @Test
    void unknownFormatIsRejected(@TempDir Path tmp) throws Exception {
        Path dir = copy(BITMASK, tmp.resolve("f"), c -> {
            ((ObjectNode) c.get("quantization_config").get("sparsity_config")).put("format", "sparse-bitmask");
            return c;
        }, Map.of());
        assertEquals(dir.resolve("config.json") + ": quantization_config.sparsity_config.format is \"sparse-bitmask\", "
                + "expected \"sparse-24-bitmask\" or \"dense\" (the 2:4 formats armor runs)", loadError(dir));
    }

    @Test
    void targetsMatchingNothingAreRejected(@TempDir Path tmp) throws Exception {
        Path dir = copy(DENSE, tmp.resolve("t"), c -> {
            ((ObjectNode) c.get("quantization_config").get("sparsity_config")).putArray("targets").add("re:.*attention\\.wq");
            return c;
        }, Map.of());
        assertEquals(dir.resolve("config.json") + ": quantization_config.sparsity_config.targets entry \"re:.*attention\\.wq\" "
                + "matches no module, expected a module name (e.g. model.layers.0.mlp.down_proj), a class name (Linear) "
                + "or a re: pattern matching one", loadError(dir));
    }

    @Test
    void unsupportedQuantizationIsRefusedAndInt8Accepted(@TempDir Path tmp) throws Exception {
        Path dir = copy(BITMASK, tmp.resolve("q"), c -> {
            ObjectNode q = (ObjectNode) c.get("quantization_config");
            q.put("format", "int-quantized");
            ObjectNode w = q.putObject("config_groups").putObject("group_0").putObject("weights");
            w.put("num_bits", 4).put("type", "int").put("strategy", "channel").put("symmetric", true);
            return c;
        }, Map.of());
        assertEquals(dir.resolve("config.json") + ": quantization_config declares compressed-tensors int-quantized (int4, channel) "
                + "weights, which armor does not support yet (it loads compressed-tensors checkpoints with F32/F16/BF16 weights, "
                + "symmetric int8 int-quantized, 4-bit int pack-quantized or fp8 float-quantized weights with channel or group scales, "
                + "dense or sparse-24-bitmask)", loadError(dir));
        // symmetric int8 with channel scales is a kind armor runs: the config is accepted (the float values then need scales)
        Path int8 = copy(BITMASK, tmp.resolve("q8"), c -> {
            ObjectNode q = (ObjectNode) c.get("quantization_config");
            q.put("format", "int-quantized");
            ObjectNode g = q.putObject("config_groups").putObject("group_0");
            g.putObject("weights").put("num_bits", 8).put("type", "int").put("strategy", "channel").put("symmetric", true);
            g.putObject("input_activations").put("num_bits", 8).put("type", "int").put("dynamic", true);
            return c;
        }, Map.of());
        String cfg = Files.readString(int8.resolve("config.json"));
        var parsed = CompressedTensorsConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(cfg), "c").orElseThrow();
        assertEquals("compressed-tensors sparse-24-bitmask 2:4, int8 weights (channel); its int8 activations run as float32 "
                + "(W8A8 emulated as W8A16)", parsed.describe());
    }

    @Test
    void targetsFollowCompressedTensorsMatching() {
        var ct = new CompressedTensorsConfig("c", null, "dense", "2:4", List.of("Linear", "re:model\\.n"), List.of("lm_head", "re:.*down"));
        var modules = CompressedTensorsConfig.modules(List.of("model.embed_tokens.weight", DOWN0 + ".weight",
                "model.layers.0.mlp.up_proj.weight", "model.norm.weight"), "Llama");
        assertEquals(Map.of("model.embed_tokens", "Embedding", DOWN0, "Linear", "model.layers.0.mlp.up_proj", "Linear",
                "model.norm", "LlamaRMSNorm", "lm_head", "Linear"), modules);
        assertTrue(ct.targeted("model.layers.0.mlp.up_proj", "Linear"));
        assertFalse(ct.targeted(DOWN0, "Linear"), "re: is re.match: .*down matches from the start");
        assertFalse(ct.targeted("lm_head", "Linear"));
        assertTrue(ct.targeted("model.norm", "LlamaRMSNorm"), "re: anchored at the start only");
        assertFalse(ct.targeted("model.embed_tokens", "Embedding"));
        ct.checkTargets(modules);
    }

    // ---- helpers

    static String loadError(Path dir) {
        return assertThrows(CheckpointException.class, () -> Model.load(dir).close()).getMessage();
    }

    interface ByteEdit {
        void edit(Tensor t, byte[] bytes);
    }

    static Path withTensor(Path tmp, String name, ByteEdit edit) throws Exception {
        try (CheckpointWeights w = CheckpointWeights.open(BITMASK)) {
            Tensor t = w.tensor(name);
            byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
            edit.edit(t, bytes);
            return copy(BITMASK, tmp.resolve("edited"), c -> c, Map.of(name, new Tensor(name, t.dtype(), t.shape(), MemorySegment.ofArray(bytes))));
        }
    }

    static Tensor f32(String name, long[] shape, float[] v) {
        return new Tensor(name, DType.F32, shape, MemorySegment.ofArray(v));
    }

    /** A copy of a model folder with config.json edited and some tensors replaced. */
    static Path copy(Path src, Path dst, UnaryOperator<ObjectNode> config, Map<String, Tensor> replace) throws Exception {
        Files.createDirectories(dst);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        Files.writeString(dst.resolve("config.json"), json.writeValueAsString(config.apply(cfg)));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json"))
            if (Files.exists(src.resolve(f))) Files.copy(src.resolve(f), dst.resolve(f));
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            List<Tensor> ts = new ArrayList<>();
            for (String n : w.names()) ts.add(replace.getOrDefault(n, w.tensor(n)));
            SafetensorsWriter.write(dst.resolve("model.safetensors"), ts, Map.of("format", "pt"));
        }
        return dst;
    }
}
