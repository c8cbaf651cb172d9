package armor.runtime.sparse;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.DenseInt4Linear;
import armor.runtime.linear.Linear;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.Int4Matrix;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
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
import java.util.function.UnaryOperator;

import static armor.runtime.sparse.Int4CheckpointTest.floats;
import static armor.runtime.sparse.Int4CheckpointTest.ints;
import static armor.runtime.sparse.Int4CheckpointTest.writeFolder;
import static org.junit.jupiter.api.Assertions.*;

/**
 * GPTQ checkpoints (AutoGPTQ's v1 and GPTQModel's v2 layout) made here from real float models: every projection whose
 * sizes GPTQ can pack is quantized by this test's own round to nearest and packed by this test's own reading of the
 * format (qweight along the input, qzeros along the output, v1 storing zero − 1), never by armor's code. The folder must
 * load as dense-int4 and compute the logits of its float32 twin (the test's own dequantized weights); bad tensors and
 * config fields are refused in one line naming them.
 */
class GptqCheckpointTest {
    static final Path STORIES = Int4CheckpointTest.STORIES;  // 64×64 attention; 172 MLP rows/columns, which GPTQ cannot pack
    static final Path STORIES15M = Int8CheckpointTest.SHARED.resolve("models/stories15M-hf"); // 288 / 768: every projection
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] PROMPT = CompressedTensorsQuantizedTest.PROMPT;
    /** "Once upon a time" in the Llama-2 vocabulary of stories15M, after BOS. */
    private static final int[] PROMPT_15M = {1, 9038, 2501, 263, 931};
    /**
     * Logits against the float twin: the same float32 weight values, summed in another order (the int4 kernel sums
     * {@code s·Σ q·x − s·z·Σ x} per group); relative to the largest logit, as stories15M's logits reach ~20.
     */
    private static final double RELATIVE_TOLERANCE = 2e-5;

    /**
     * One GPTQ layer as this test made it: unsigned codes {@code q[o·in + c]} in 0..15, scales {@code s[g·out + o]} (already
     * rounded to their stored dtype), true zeros {@code z[g·out + o]} in 0..16; {@code group} = inputs per group.
     */
    record Layer(int out, int in, int group, int[] q, float[] s, int[] z) {
        int groups() {
            return in / group;
        }

        /** W[o, c] = s[g, o]·(q[c, o] − z[g, o]), g = c / group: the format's definition, in float32. */
        float[] dequantized() {
            float[] w = new float[out * in];
            for (int o = 0; o < out; o++)
                for (int c = 0; c < in; c++) {
                    int g = (c / group) * out + o;
                    w[o * in + c] = s[g] * (q[o * in + c] - z[g]);
                }
            return w;
        }
    }

    static float rounded(float v, DType type) {
        return switch (type) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> Float.intBitsToFloat((Float.floatToRawIntBits(v) + 0x7fff + ((Float.floatToRawIntBits(v) >>> 16) & 1)) & 0xffff0000);
            default -> v;
        };
    }

    /**
     * Round to nearest per output row and group of inputs ({@code groupSize} -1: the whole row), GPTQ's grid: asymmetric
     * over [min(w, 0), max(w, 0)] with scale (max − min)/15 and zero round(−min/scale); symmetric with scale 2·max|w|/15 and
     * zero 8. The scale is rounded to {@code scaleType} first, and the codes made with the rounded scale.
     */
    static Layer rtn(float[] w, int out, int in, int groupSize, boolean sym, DType scaleType) {
        int group = groupSize == -1 ? in : groupSize, groups = in / group;
        int[] q = new int[out * in], z = new int[groups * out];
        float[] s = new float[groups * out];
        for (int o = 0; o < out; o++)
            for (int g = 0; g < groups; g++) {
                float lo = 0, hi = 0;
                for (int c = g * group; c < (g + 1) * group; c++) {
                    lo = Math.min(lo, w[o * in + c]);
                    hi = Math.max(hi, w[o * in + c]);
                }
                if (sym) hi = Math.max(-lo, hi);
                float scale = sym ? 2 * hi / 15 : (hi - lo) / 15;
                if (scale == 0) scale = 1;
                scale = rounded(scale, scaleType);
                int zero = sym ? 8 : Math.clamp(Math.round(-lo / scale), 0, 15);
                s[g * out + o] = scale;
                z[g * out + o] = zero;
                for (int c = g * group; c < (g + 1) * group; c++) q[o * in + c] = Math.clamp(Math.round(w[o * in + c] / scale) + zero, 0, 15);
            }
        return new Layer(out, in, group, q, s, z);
    }

    /** qweight: I32 [in/8, out], word [i, o] holds inputs 8i..8i+7 of output o, input 8i+j in bits 4j..4j+3. */
    static int[] qweight(Layer l) {
        int[] words = new int[l.in / 8 * l.out];
        for (int c = 0; c < l.in; c++)
            for (int o = 0; o < l.out; o++) words[(c / 8) * l.out + o] |= l.q[o * l.in + c] << (4 * (c % 8));
        return words;
    }

    /** qzeros: I32 [groups, out/8], word [g, k] holds outputs 8k..8k+7; v1 stores zero − 1 (zero 16 as 15), v2 the zero. */
    static int[] qzeros(Layer l, boolean v2) {
        int[] words = new int[l.groups() * l.out / 8];
        for (int g = 0; g < l.groups(); g++)
            for (int o = 0; o < l.out; o++) {
                int stored = v2 ? l.z[g * l.out + o] : l.z[g * l.out + o] - 1;
                assertTrue(stored >= 0 && stored <= 15, "a zero the format can store: " + stored);
                words[g * (l.out / 8) + o / 8] |= stored << (4 * (o % 8));
            }
        return words;
    }

    static Tensor halfs(String name, float[] v, DType type, long... shape) {
        if (type == DType.F32) return floats(name, v, shape);
        MemorySegment m = MemorySegment.ofArray(new byte[2 * v.length]);
        for (int i = 0; i < v.length; i++)
            m.setAtIndex(SHORT, i, type == DType.F16 ? Float.floatToFloat16(v[i]) : (short) (Float.floatToRawIntBits(rounded(v[i], type)) >>> 16));
        return new Tensor(name, type, shape, m);
    }

    /** How a test folder is quantized. */
    record Options(int groupSize, boolean sym, boolean v2, boolean gIdx, DType scaleType, boolean bias, boolean zero16) {}

    /** GPTQ's quantization_config as AutoGPTQ (v1) or GPTQModel (v2) write it. */
    static ObjectNode gptqConfig(ObjectNode cfg, Options o) {
        ObjectNode q = cfg.putObject("quantization_config");
        q.put("quant_method", "gptq").put("bits", 4).put("group_size", o.groupSize).put("damp_percent", 0.01)
                .put("desc_act", false).put("static_groups", false).put("sym", o.sym).put("true_sequential", true);
        if (o.v2) q.put("checkpoint_format", "gptq_v2");
        return cfg;
    }

    /**
     * Writes {@code gptq} ({@code src} with every projection GPTQ can pack as GPTQ tensors, the others kept) and
     * {@code twin} (the same with float32 weights: the test's own dequantization); {@code edit} may change the tensors of
     * {@code model.layers.1.self_attn.q_proj}, {@code config} the GPTQ folder's config.json. Returns the layers made.
     */
    static List<Layer> write(Path src, Path gptq, Path twin, Options o, UnaryOperator<List<Tensor>> edit,
                             UnaryOperator<ObjectNode> config) throws Exception {
        List<Tensor> q = new ArrayList<>(), f = new ArrayList<>();
        List<Layer> made = new ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        try (CheckpointWeights w = CheckpointWeights.open(src)) {
            for (String n : w.names()) {
                Tensor t = w.tensor(n);
                String p = n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : n;
                boolean packable = Conversions.PROJECTION.matcher(p).matches() && t.dim(0) % 8 == 0 && t.dim(1) % 8 == 0
                        && (o.groupSize == -1 || t.dim(1) % o.groupSize == 0);
                if (!packable) {
                    q.add(t.copyToHeap());
                    f.add(t.copyToHeap());
                    continue;
                }
                int out = t.dim(0), in = t.dim(1);
                float[] weight = TensorFloats.read(t);
                Layer l = rtn(weight, out, in, o.groupSize, o.sym, o.scaleType);
                if (o.zero16 && p.equals("model.layers.0.self_attn.q_proj")) {
                    // v1's stored 15 = zero 16 (what AutoGPTQ writes for a zero of 0): the first 8 rows of group 0
                    for (int r = 0; r < 8; r++) {
                        l.z[r] = 16;
                        for (int c = 0; c < l.group; c++) l.q[r * in + c] = Math.clamp(Math.round(weight[r * in + c] / l.s[r]) + 16, 0, 15);
                    }
                }
                made.add(l);
                List<Tensor> ts = new ArrayList<>();
                ts.add(ints(p + ".qweight", qweight(l), in / 8, out));
                ts.add(ints(p + ".qzeros", qzeros(l, o.v2), l.groups(), out / 8));
                ts.add(halfs(p + ".scales", l.s, o.scaleType, l.groups(), out));
                if (o.gIdx) {
                    int[] g = new int[in];
                    for (int c = 0; c < in; c++) g[c] = c / l.group;
                    ts.add(ints(p + ".g_idx", g, in));
                }
                float[] bias = new float[out];
                if (o.bias) {
                    for (int i = 0; i < out; i++) bias[i] = rounded((float) random.nextGaussian() * 0.05f, DType.F16);
                    ts.add(halfs(p + ".bias", bias, DType.F16, out));
                    f.add(floats(p + ".bias", bias, out));
                }
                q.addAll(p.equals("model.layers.1.self_attn.q_proj") ? edit.apply(ts) : ts);
                f.add(floats(n, l.dequantized(), out, in));
            }
        }
        writeFolder(src, gptq, q, c -> config.apply(gptqConfig(c, o)));
        writeFolder(src, twin, f, c -> c);
        return made;
    }

    static List<Layer> write(Path src, Path gptq, Path twin, Options o) throws Exception {
        return write(src, gptq, twin, o, t -> t, c -> c);
    }

    /** Asserts that every projection of the GPTQ folder is dense-int4 where the test packed it, dense elsewhere. */
    static void assertKinds(Model m, Path src) {
        for (int l = 0; l < m.decoder().numLayers(); l++)
            for (String name : DecoderLayer.PROJECTIONS) {
                String p = "model.layers." + l + "." + name;
                assertEquals(m.weights().has(p + ".qweight") ? "dense-int4" : "dense", m.decoder().layer(l).linear(name).kind(), p);
            }
    }

    /** Max |a − b| of the two folders' logits, relative to the largest |logit| of the twin. */
    static double relativeLogitError(Path gptq, Path twin, int[] prompt) {
        try (Model q = Model.load(gptq, SparseMode.AUTO); Model f = Model.load(twin, SparseMode.AUTO)) {
            assertKinds(q, gptq);
            float[] a = q.logits(prompt), b = f.logits(prompt);
            double max = 0, scale = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i] - b[i]));
                scale = Math.max(scale, Math.abs(b[i]));
            }
            return max / scale;
        }
    }

    static Int4Matrix loaded(Model m, int layer, String projection) {
        Linear l = m.decoder().layer(layer).linear(projection);
        return assertInstanceOf(DenseInt4Linear.class, l).weight();
    }

    @Test
    void gptqFoldersLoadAsDenseInt4WithTheLogitsOfTheirFloatTwins(@TempDir Path tmp) throws Exception {
        Options[] cases = {
                // AutoGPTQ's usual: v1, zero points, groups, g_idx in column order, F16 scales, biases; and zero 16
                new Options(32, false, false, true, DType.F16, true, true),
                new Options(-1, true, false, false, DType.F16, false, false),  // v1 symmetric (stored 7), one group per row
                new Options(32, false, true, false, DType.BF16, false, false), // GPTQModel v2 zeros, BF16 scales
                new Options(-1, true, true, true, DType.F32, true, false),     // v2 symmetric (stored 8), F32 scales
        };
        for (int i = 0; i < cases.length; i++) {
            Options o = cases[i];
            Path gptq = tmp.resolve("g" + i), twin = tmp.resolve("f" + i);
            List<Layer> made = write(STORIES, gptq, twin, o);
            assertEquals(4 * 5, made.size(), "q, k, v, o of 5 layers: the 172-wide MLP cannot be packed");
            double err = relativeLogitError(gptq, twin, PROMPT);
            assertTrue(err <= RELATIVE_TOLERANCE, o + ": relative logit error " + err);
            try (Model m = Model.load(gptq)) {
                Int4Matrix w = loaded(m, 0, "self_attn.q_proj");
                assertEquals(o.sym, w.symmetric(), o + ": all zeros 8 read as symmetric");
                if (o.zero16()) {
                    assertEquals(8, w.zero(0, 0), "v1 stored 15: zero 16, zero point 8");
                }
                String expected = "GPTQ checkpoint" + (o.v2 ? " (gptq_v2)" : "") + ", 4-bit weights ("
                        + (o.groupSize == -1 ? "one group per row" : "group " + o.groupSize) + ", " + (o.sym ? "symmetric" : "zero points") + "): "
                        + "0 of 35 projections run sparse; dense: 20 dense-int4 (";
                assertTrue(m.sparsity().worthSaying() && m.sparsity().summary().startsWith(expected), m.sparsity().summary());
            }
        }
    }

    /** A reading with v1 and v2 swapped, or zero 16 taken as 0, must fail the comparison: the test can see it. */
    @Test
    void theZeroConventionMatters(@TempDir Path tmp) throws Exception {
        Options v1 = new Options(32, false, false, false, DType.F16, false, true);
        write(STORIES, tmp.resolve("g"), tmp.resolve("f"), v1, t -> t, c -> {
            ((ObjectNode) c.get("quantization_config")).put("checkpoint_format", "gptq_v2"); // v1 tensors read as v2
            return c;
        });
        double err = relativeLogitError(tmp.resolve("g"), tmp.resolve("f"), PROMPT);
        assertTrue(err > 100 * RELATIVE_TOLERANCE, "v1 zeros read as v2 must change the logits: " + err);
    }

    @Test
    void stories15MEveryProjection(@TempDir Path tmp) throws Exception {
        Options o = new Options(32, false, false, true, DType.F16, false, true);
        Path gptq = keptOrTemp(tmp), twin = tmp.resolve("f");
        assertEquals(7 * 6, write(STORIES15M, gptq, twin, o).size());
        double err = relativeLogitError(gptq, twin, PROMPT_15M);
        assertTrue(err <= RELATIVE_TOLERANCE, "relative logit error " + err);

        // export --dense: plain float weights in the model dtype, no quantization_config, the same logits
        Path exported = tmp.resolve("dense");
        assertEquals(42, Conversions.exportDense(gptq, exported, (d, t, n) -> { }));
        assertFalse(new ObjectMapper().readTree(exported.resolve("config.json").toFile()).has("quantization_config"));
        try (CheckpointWeights w = CheckpointWeights.open(exported)) {
            for (String n : w.names()) assertFalse(n.endsWith("qweight") || n.endsWith("qzeros") || n.endsWith("scales") || n.endsWith("g_idx"), n);
            assertEquals(DType.F32, w.tensor("model.layers.0.mlp.down_proj.weight").dtype());
        }
        double exportedErr = relativeLogitError(exported, twin, PROMPT_15M);
        assertTrue(exportedErr <= 1e-5, "the export holds the twin's weights: " + exportedErr);

        // a GPTQ folder is quantized already: quantize refuses it before writing anything
        Path out = tmp.resolve("q4");
        Int8SchemeException e = assertThrows(Int8SchemeException.class, () -> Conversions.quantize4(gptq, out, 0, true, (d, t, n) -> { }));
        assertEquals(Int8SchemeException.Cause.ALREADY_QUANTIZED, e.reason());
        assertFalse(Files.exists(out));
    }

    /**
     * Older AutoGPTQ folders: config.json without quantization_config, the fields in quantize_config.json (no
     * quant_method). They load with their float twin's logits; export --dense leaves the file behind; quantize refuses
     * the folder; a wrong field is named in that file.
     */
    @Test
    void quantizeConfigJsonFoldersOfOlderAutoGptq(@TempDir Path tmp) throws Exception {
        Options o = new Options(32, false, false, true, DType.F16, true, true);
        Path gptq = tmp.resolve("g"), twin = tmp.resolve("f");
        write(STORIES, gptq, twin, o);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(gptq.resolve("config.json").toFile());
        ObjectNode q = (ObjectNode) cfg.remove("quantization_config");
        q.remove("quant_method");
        q.put("model_name_or_path", (String) null).put("model_file_base_name", "model");
        Files.writeString(gptq.resolve("config.json"), json.writeValueAsString(cfg));
        Files.writeString(gptq.resolve("quantize_config.json"), json.writeValueAsString(q));

        double err = relativeLogitError(gptq, twin, PROMPT);
        assertTrue(err <= RELATIVE_TOLERANCE, "relative logit error " + err);
        try (Model m = Model.load(gptq)) {
            assertTrue(m.sparsity().summary().startsWith("GPTQ checkpoint, 4-bit weights (group 32, zero points): "), m.sparsity().summary());
            assertEquals(8, loaded(m, 0, "self_attn.q_proj").zero(0, 0), "v1 (the file's default): stored 15 is zero 16");
        }
        Path exported = tmp.resolve("dense");
        assertEquals(20, Conversions.exportDense(gptq, exported, (d, t, n) -> { }));
        assertFalse(Files.exists(exported.resolve("quantize_config.json")), "the float copy declares no GPTQ weights");
        assertTrue(relativeLogitError(exported, twin, PROMPT) <= 1e-5);
        Path out = tmp.resolve("q4");
        Int8SchemeException e = assertThrows(Int8SchemeException.class, () -> Conversions.quantize4(gptq, out, 0, true, (d, t, n) -> { }));
        assertEquals(Int8SchemeException.Cause.ALREADY_QUANTIZED, e.reason());
        assertTrue(e.getMessage().contains("quantize_config.json: declares GPTQ weights"), e.getMessage());
        assertFalse(Files.exists(out));

        Files.writeString(gptq.resolve("quantize_config.json"), json.writeValueAsString(q.deepCopy().put("bits", 3)));
        CheckpointException bits = assertThrows(CheckpointException.class, () -> Model.load(gptq).close());
        assertTrue(bits.getMessage().endsWith("quantize_config.json: bits is 3, expected 4 (armor runs 4-bit GPTQ weights)"), bits.getMessage());
        Files.writeString(gptq.resolve("quantize_config.json"), json.writeValueAsString(q.deepCopy().put("quant_method", "awq")));
        CheckpointException awq = assertThrows(CheckpointException.class, () -> Model.load(gptq).close());
        assertTrue(awq.getMessage().endsWith("quantize_config.json: quant_method is \"awq\", expected \"gptq\" or none (the file AutoGPTQ writes)"),
                awq.getMessage());
    }

    /** The test's folder, kept at {@code -Darmor.gptq.keep=DIR} for running the CLI on it by hand; else a temporary one. */
    private static Path keptOrTemp(Path tmp) throws Exception {
        String keep = System.getProperty("armor.gptq.keep");
        if (keep == null || keep.isBlank()) return tmp.resolve("g");
        Path dir = Path.of(keep);
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        return dir;
    }

    /** The one-line message of loading a GPTQ stories260K folder edited as given. */
    private static String refusal(Path tmp, String name, UnaryOperator<List<Tensor>> edit, UnaryOperator<ObjectNode> config) throws Exception {
        Path dir = tmp.resolve(name);
        write(STORIES, dir, tmp.resolve(name + "-f"), new Options(32, false, false, true, DType.F16, false, false), edit, config);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Model.load(dir, SparseMode.AUTO).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static String refusal(Path tmp, String name, UnaryOperator<List<Tensor>> edit) throws Exception {
        return refusal(tmp, name, edit, c -> c);
    }

    private static String configRefusal(Path tmp, String name, String field, Object value) throws Exception {
        return refusal(tmp, name, t -> t, c -> {
            ObjectNode q = (ObjectNode) c.get("quantization_config");
            if (value instanceof Integer i) q.put(field, i);
            else if (value instanceof Boolean b) q.put(field, b);
            else q.put(field, (String) value);
            return c;
        });
    }

    @Test
    void badTensorsAndConfigFieldsAreRefusedInOneLine(@TempDir Path tmp) throws Exception {
        String p = "model.layers.1.self_attn.q_proj"; // 64×64, groups of 32
        String cfg = tmp + "/", m;
        m = refusal(tmp, "qweight", Int4CheckpointTest.replacing(".qweight", ints(p + ".qweight", new int[8 * 48], 8, 48)));
        assertTrue(m.contains("tensor " + p + ".qweight has shape [8, 48], expected [8, 64] ([in/8, out] for the projection's 64 inputs and 64 outputs)"), m);
        m = refusal(tmp, "scales", Int4CheckpointTest.replacing(".scales", halfs(p + ".scales", new float[3 * 64], DType.F16, 3, 64)));
        assertTrue(m.contains("tensor " + p + ".scales has shape [3, 64], expected [2, 64] ([groups, out]: quantization_config.group_size 32 of ")
                && m.contains("config.json makes 2 groups of the projection's 64 inputs)"), m);
        m = refusal(tmp, "qzeros", Int4CheckpointTest.replacing(".qzeros", ints(p + ".qzeros", new int[2 * 7], 2, 7)));
        assertTrue(m.contains("tensor " + p + ".qzeros is I32 [2, 7], expected I32 [2, 8] ([groups, out/8]"), m);
        int[] reordered = new int[64];
        for (int c = 0; c < 64; c++) reordered[c] = (c + 1) % 64 / 32; // column 31 in group 1: act-order
        m = refusal(tmp, "gidx", Int4CheckpointTest.replacing(".g_idx", ints(p + ".g_idx", reordered, 64)));
        assertTrue(m.contains("tensor " + p + ".g_idx puts column 31 in group 1, expected group 0 (g_idx[c] = c / 32): "
                + "activation reordering is not supported"), m);
        m = refusal(tmp, "noscales", ts -> ts.stream().filter(t -> !t.name().endsWith(".scales")).toList());
        assertTrue(m.contains("missing tensor " + p + ".scales (part of the GPTQ weight " + p + ".qweight)"), m);
        m = refusal(tmp, "both", ts -> {
            List<Tensor> out = new ArrayList<>(ts);
            float[] dense = new float[64 * 64];
            java.util.Arrays.fill(dense, 1f); // not 2:4, so that no view repacks it
            out.add(floats(p + ".weight", dense, 64, 64));
            return out;
        });
        assertTrue(m.contains(p + ".weight and " + p + ".qweight are present"), m);

        m = configRefusal(tmp, "bits", "bits", 3);
        assertTrue(m.endsWith("config.json: quantization_config.bits is 3, expected 4 (armor runs 4-bit GPTQ weights)") && m.startsWith(cfg), m);
        m = configRefusal(tmp, "descact", "desc_act", true);
        assertTrue(m.endsWith("config.json: quantization_config.desc_act is true, expected false: activation reordering (act-order) is not supported"), m);
        m = configRefusal(tmp, "format", "checkpoint_format", "marlin");
        assertTrue(m.endsWith("config.json: quantization_config.checkpoint_format is \"marlin\", expected \"gptq\" or \"gptq_v2\" (absent means \"gptq\")"), m);
        m = configRefusal(tmp, "group", "group_size", 64); // the tensors have groups of 32
        assertTrue(m.contains(".scales has shape [2, 64], expected [1, 64] ([groups, out]: quantization_config.group_size 64 of "), m);
        m = configRefusal(tmp, "group0", "group_size", 0);
        assertTrue(m.endsWith("quantization_config.group_size is 0, expected a positive number of input columns or -1 (one group per row)"), m);
        m = configRefusal(tmp, "method", "quant_method", "awq");
        assertTrue(m.endsWith("quantization_config.quant_method is \"awq\", expected \"compressed-tensors\" or \"gptq\" (the quantization_configs armor loads)"), m);
        // GPTQ tensors without a GPTQ config: the zero convention is unknown
        m = refusal(tmp, "noconfig", t -> t, c -> {
            c.remove("quantization_config");
            return c;
        });
        assertTrue(m.contains("tensor model.layers.0.self_attn.q_proj.qweight is a GPTQ weight, but config.json has no quantization_config "
                + "with quant_method \"gptq\""), m);
    }
}
