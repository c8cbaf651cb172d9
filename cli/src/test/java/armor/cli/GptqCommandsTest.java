package armor.cli;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
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
import java.util.regex.Pattern;

import static armor.cli.CommandErrorsTest.oneLine;
import static armor.cli.RuntimeCommandsTest.SHARED;
import static armor.cli.RuntimeCommandsTest.STORIES;
import static armor.cli.RuntimeCommandsTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A GPTQ folder (AutoGPTQ's v1 layout, written here from stories260K by this test's own round to nearest and packing:
 * the 64×64 attention projections; GPTQ cannot pack the 172-wide MLP, which stays float) through the commands:
 * generate, eval, inspect and export --dense run it as dense-int4 and agree with its float twin; quantize and prune
 * refuse it; a bad config is one line and writes nothing. The format's own checks are GptqCheckpointTest's.
 */
class GptqCommandsTest {
    static final String TEXT = SHARED.resolve("data/tinystories/tinystories_sample.txt").toString();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Pattern PROJECTION = Pattern.compile("model\\.layers\\.\\d+\\.(self_attn|mlp)\\.\\w+_proj");
    private static final int GROUP = 32;

    @TempDir
    static Path dir;
    static Path gptq, twin;

    static Tensor ints(String name, int[] v, long... shape) {
        MemorySegment m = MemorySegment.ofArray(new byte[4 * v.length]);
        for (int i = 0; i < v.length; i++) m.setAtIndex(INT, i, v[i]);
        return new Tensor(name, DType.I32, shape, m);
    }

    /**
     * Writes {@code out} (GPTQ v1, zero points, groups of 32, F16 scales, g_idx) and {@code twinOut} (float32:
     * {@code s·(q − zero)}); {@code config} edits the GPTQ folder's config.json.
     */
    static void write(Path out, Path twinOut, UnaryOperator<ObjectNode> config) throws Exception {
        List<Tensor> q = new ArrayList<>(), f = new ArrayList<>();
        try (CheckpointWeights w = CheckpointWeights.open(Path.of(STORIES))) {
            for (String n : w.names()) {
                Tensor t = w.tensor(n);
                String p = n.substring(0, n.length() - ".weight".length());
                if (!n.endsWith(".weight") || !PROJECTION.matcher(p).matches() || t.dim(0) % 8 != 0 || t.dim(1) % GROUP != 0) {
                    q.add(t.copyToHeap());
                    f.add(t.copyToHeap());
                    continue;
                }
                int rows = t.dim(0), cols = t.dim(1), groups = cols / GROUP;
                float[] v = TensorFloats.read(t), deq = new float[rows * cols];
                int[] qweight = new int[cols / 8 * rows], qzeros = new int[groups * rows / 8], gIdx = new int[cols];
                MemorySegment scales = MemorySegment.ofArray(new byte[2 * groups * rows]);
                for (int o = 0; o < rows; o++)
                    for (int g = 0; g < groups; g++) {
                        float lo = 0, hi = 0;
                        for (int c = g * GROUP; c < (g + 1) * GROUP; c++) {
                            lo = Math.min(lo, v[o * cols + c]);
                            hi = Math.max(hi, v[o * cols + c]);
                        }
                        short half = Float.floatToFloat16(hi > lo ? (hi - lo) / 15 : 1);
                        float s = Float.float16ToFloat(half);
                        int zero = Math.clamp(Math.round(-lo / s), 1, 15); // 1..15: v1 stores zero − 1 in 0..14
                        scales.setAtIndex(SHORT, (long) g * rows + o, half);
                        qzeros[g * (rows / 8) + o / 8] |= (zero - 1) << (4 * (o % 8));
                        for (int c = g * GROUP; c < (g + 1) * GROUP; c++) {
                            int code = Math.clamp(Math.round(v[o * cols + c] / s) + zero, 0, 15);
                            qweight[(c / 8) * rows + o] |= code << (4 * (c % 8));
                            deq[o * cols + c] = s * (code - zero);
                            gIdx[c] = c / GROUP;
                        }
                    }
                q.add(ints(p + ".qweight", qweight, cols / 8, rows));
                q.add(ints(p + ".qzeros", qzeros, groups, rows / 8));
                q.add(new Tensor(p + ".scales", DType.F16, new long[] {groups, rows}, scales));
                q.add(ints(p + ".g_idx", gIdx, cols));
                f.add(new Tensor(n, DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(deq)));
            }
        }
        folder(out, q, c -> {
            c.putObject("quantization_config").put("quant_method", "gptq").put("bits", 4).put("group_size", GROUP)
                    .put("desc_act", false).put("sym", false).put("checkpoint_format", "gptq");
            return config.apply(c);
        });
        folder(twinOut, f, c -> c);
    }

    static void folder(Path out, List<Tensor> tensors, UnaryOperator<ObjectNode> config) throws Exception {
        Path src = Path.of(STORIES);
        Files.createDirectories(out);
        ObjectMapper json = new ObjectMapper();
        Files.writeString(out.resolve("config.json"), json.writeValueAsString(config.apply((ObjectNode) json.readTree(src.resolve("config.json").toFile()))));
        for (String file : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json"})
            Files.copy(src.resolve(file), out.resolve(file));
        SafetensorsWriter.write(out.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    @BeforeAll
    static void folders() throws Exception {
        gptq = dir.resolve("gptq");
        twin = dir.resolve("twin");
        write(gptq, twin, c -> c);
    }

    static String greedy(Path model) {
        RuntimeCommandsTest.Run r = run("generate", "--model", model.toString(), "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "40", "--ignore-eos");
        assertEquals(0, r.exit(), r.err());
        return r.out();
    }

    @Test
    void generateAndEvalRunItAsDenseInt4LikeItsFloatTwin() {
        RuntimeCommandsTest.Run r = run("generate", "--model", gptq.toString(), "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "40", "--ignore-eos");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("armor: " + gptq + ": GPTQ checkpoint, 4-bit weights (group 32, zero points): 0 of 35 projections "
                + "run sparse; dense: 20 dense-int4 (model.layers.0.self_attn.q_proj, "), r.err());
        assertEquals(greedy(twin), r.out());

        RuntimeCommandsTest.Run ppl = run("eval", "compare", "--text", TEXT, "--windows", "0:2", "--seq", "128", twin.toString(), gptq.toString());
        assertEquals(0, ppl.exit(), ppl.err());
        List<String> rows = ppl.out().lines().filter(l -> l.startsWith("twin") || l.startsWith("gptq")).toList();
        assertEquals(2, rows.size(), ppl.out());
        assertTrue(rows.get(1).contains("dense-int4"), ppl.out());
        // the perplexity column: the same weights, summed in another order
        double a = Double.parseDouble(rows.get(0).split("\\s+")[2]), b = Double.parseDouble(rows.get(1).split("\\s+")[2]);
        assertEquals(a, b, 1e-4 * a, ppl.out());
    }

    @Test
    void inspectSaysGptqAndExportDenseWritesItsFloatWeights(@TempDir Path tmp) throws Exception {
        RuntimeCommandsTest.Run r = run("inspect", "--model", gptq.toString(), "--no-tensors");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("quantization  int4 GPTQ, with zero points, group size 32, F16 scales, checkpoint_format gptq "
                + "(stored zero points are zero - 1), desc_act false (quant_method gptq)\n"), r.out());
        assertTrue(Pattern.compile("\n  dense-int4 +20 linears, groups 32 ×20 ").matcher(r.out()).find(), r.out());

        Path dense = tmp.resolve("dense");
        r = run("export", "--dense", "--model", gptq.toString(), "--output", dense.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("wrote " + dense + ": 20 sparse or quantized weights written as dense weights\n", r.out());
        assertFalse(new ObjectMapper().readTree(dense.resolve("config.json").toFile()).has("quantization_config"));
        assertEquals(greedy(twin), greedy(dense));
    }

    /** bench on a GPTQ folder runs it as stored, as dense-int4 (it used to fail reading qweight without the GPTQ config). */
    @Test
    void benchRunsAGptqFolderAsStored(@TempDir Path tmp) {
        RuntimeCommandsTest.Run r = run("bench", "--model", gptq.toString(), "--tokens", "2", "--repetitions", "1", "--warmup", "1",
                "--prompt-tokens", "2", "--prefill-tokens", "4", "--prefill-repetitions", "1", "--bandwidth-mb", "8",
                "--json", tmp.resolve("b.json").toString(), "--chart", tmp.resolve("b.png").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains(": benchmarking it as stored (dense-int4)"), r.err());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("| dense-int4 |")).count(), r.out());
    }

    @Test
    void quantizeAndPruneRefuseAGptqFolderAndWriteNothing(@TempDir Path tmp) {
        Path out = tmp.resolve("out");
        oneLine(run("quantize", "--model", gptq.toString(), "--out", out.toString(), "--bits", "4"), 2,
                gptq.resolve("config.json") + ": has a quantization_config already, expected a model folder with float weights to quantize");
        oneLine(run("prune", "--model", gptq.toString(), "--method", "magnitude", "--out", out.toString()), 1,
                "model.layers.0.self_attn.q_proj has no dense weight (model.layers.0.self_attn.q_proj.weight); is the model already "
                        + "pruned or 4-bit? expected a dense model with float weights (armor export --dense writes one)");
        assertFalse(Files.exists(out));
    }

    @Test
    void aBadConfigIsOneLineAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("bits3"), out = tmp.resolve("out");
        write(bad, tmp.resolve("bits3-twin"), c -> {
            ((ObjectNode) c.get("quantization_config")).put("bits", 3);
            return c;
        });
        String expected = bad.resolve("config.json") + ": quantization_config.bits is 3, expected 4 (armor runs 4-bit GPTQ weights)";
        oneLine(run("generate", "--model", bad.toString(), "--prompt", "Once upon a time", "--max-tokens", "4"), 1, expected);
        oneLine(run("inspect", "--model", bad.toString()), 1, expected);
        oneLine(run("export", "--dense", "--model", bad.toString(), "--output", out.toString()), 1, expected);
        assertFalse(Files.exists(out));
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".out")), "no temporary folder left");
        }
    }
}
