package armor.cli;

import armor.runtime.eval.Perplexity;
import armor.runtime.model.Model;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static armor.cli.CommandErrorsTest.oneLine;
import static armor.cli.RuntimeCommandsTest.SHARED;
import static armor.cli.RuntimeCommandsTest.STORIES;
import static armor.cli.RuntimeCommandsTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code armor quantize}, {@code prune --quantize int8}, and int8 folders through inspect, eval, generate and export. */
class QuantizeCommandTest {
    /** Calibration text: TinyStories, whose windows 0:16 of 128 tokens hold none of tinystories_sample.txt. */
    static final String TEXT = SHARED.resolve("data/tinystories/tinystories.txt").toString();

    static JsonNode config(Path dir) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    }

    static Set<String> listing(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /** Perplexity on the first 4 windows of 128 tokens of tinystories_sample.txt (a second or two). */
    static double perplexity(Path model) throws Exception {
        try (Model m = Model.load(model)) {
            int[] stream = m.requireTokenizer().encode(Files.readString(SHARED.resolve("data/tinystories/tinystories_sample.txt"))
                    .replace("<|endoftext|>", ""), true);
            return Perplexity.compute(m, stream, 128, 0, 4, null).perplexity();
        }
    }

    @Test
    void badInputIsOneUsageLineAndWritesNothing(@TempDir Path tmp) throws Exception {
        String out = tmp.resolve("out").toString();
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "3"), 2, "--bits 3, expected 8 or 4");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--method", "gptq"), 2,
                "--method gptq needs --calib FILE");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--method", "obq"), 2,
                "--method obq, expected rtn or gptq");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--calib", TEXT), 2,
                "--calib, --windows and --seq are for --method gptq");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--method", "gptq", "--calib", TEXT), 2,
                "GPTQ is for --bits 4");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--method", "gptq", "--calib", TEXT,
                "--group-size", "32"), 2, "tensor model.layers.0.mlp.down_proj.weight (172 input columns)");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--group-size", "32"), 2,
                "--group-size: tensor model.layers.0.mlp.down_proj.weight (172 input columns): group size 32 does not divide rows of 172 columns");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--bits", "4", "--embeddings", "int8"), 2,
                "--embeddings int8 with --bits 4, expected keep");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--zero-points"), 2, "--zero-points needs --bits 4");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--group-size", "32"), 2,
                "tensor model.layers.0.mlp.down_proj.weight (172 input columns)");
        oneLine(run("quantize", "--model", STORIES, "--out", out, "--embeddings", "fp8"), 2, "--embeddings fp8, expected int8 or keep");
        oneLine(run("prune", "--model", STORIES, "--method", "magnitude", "--out", out, "--quantize", "int5"), 2,
                "--quantize int5, expected int8 or int4");
        oneLine(run("prune", "--model", STORIES, "--method", "magnitude", "--out", out, "--quantize", "int4", "--group-size", "32"), 2,
                "tensor model.layers.0.mlp.down_proj.weight (172 input columns)");
        oneLine(run("prune", "--model", STORIES, "--method", "magnitude", "--out", out, "--quantize", "int8", "--zero-points"), 2,
                "--zero-points needs --quantize int4");
        oneLine(run("prune", "--model", STORIES, "--method", "magnitude", "--out", out, "--group-size", "64"), 2,
                "--group-size needs --quantize int8");
        oneLine(run("prune", "--model", STORIES, "--method", "magnitude", "--out", out, "--quantize", "int8", "--group-size", "32"), 2,
                "tensor model.layers.0.mlp.down_proj.weight (172 input columns)");
        assertEquals(Set.of(), listing(tmp), "nothing written, not even a temporary or work folder");

        Path int8 = tmp.resolve("int8");
        assertEquals(0, run("quantize", "--model", STORIES, "--out", int8.toString()).exit());
        oneLine(run("quantize", "--model", int8.toString(), "--out", out), 2, "has a quantization_config already");
        oneLine(run("quantize", "--model", int8.toString(), "--out", out, "--bits", "4"), 2, "has a quantization_config already");
        assertEquals(Set.of("int8"), listing(tmp));
    }

    @Test
    void fourBitFoldersServeEveryCommandAndStayCloseToTheFloatModel(@TempDir Path tmp) throws Exception {
        Path int4 = tmp.resolve("int4"), pruned = tmp.resolve("pruned"), int4s = tmp.resolve("int4-24");
        RuntimeCommandsTest.Run q = run("quantize", "--bits", "4", "--model", STORIES, "--out", int4.toString());
        assertEquals(0, q.exit(), q.err());
        assertTrue(q.out().contains("35 matrices as int4"), q.out());
        assertEquals("pack-quantized", config(int4).get("quantization_config").get("format").asText());
        assertEquals(0, run("prune", "--model", STORIES, "--method", "magnitude", "--out", pruned.toString()).exit());
        assertEquals(0, run("quantize", "--bits", "4", "--zero-points", "--model", pruned.toString(), "--out", int4s.toString()).exit());
        double dense = perplexity(Path.of(STORIES)), d4 = perplexity(int4), s24 = perplexity(pruned), s4 = perplexity(int4s);
        // stories260K is tiny and every weight matters: 4 bits per row cost a few percent, not a different model
        assertTrue(d4 > dense && d4 < dense * 1.25, "dense-int4 " + d4 + " against dense " + dense);
        assertTrue(s4 < s24 * 1.25, "2:4-int4 " + s4 + " against 2:4 " + s24);
        RuntimeCommandsTest.Run g = run("generate", "--model", int4s.toString(), "--prompt", "Once upon a time", "--max-tokens", "8",
                "--temperature", "0");
        assertEquals(0, g.exit(), g.err());
    }

    /**
     * GPTQ against round to nearest on the same model, scheme and text: the perplexity on held-out windows (not the
     * calibration windows) must come out lower, and the folder must be the one RTN writes but for the codes.
     */
    @Test
    void gptqBeatsRoundToNearestOnHeldOutText(@TempDir Path tmp) throws Exception {
        Path rtn = tmp.resolve("rtn"), gptq = tmp.resolve("gptq");
        assertEquals(0, run("quantize", "--bits", "4", "--model", STORIES, "--out", rtn.toString()).exit());
        RuntimeCommandsTest.Run q = run("quantize", "--bits", "4", "--method", "gptq", "--calib", TEXT, "--seq", "128",
                "--windows", "0:16", "--model", STORIES, "--out", gptq.toString());
        assertEquals(0, q.exit(), q.err());
        assertTrue(q.out().contains("35 matrices as int4 (GPTQ on 2048 calibration tokens"), q.out());
        assertTrue(q.err().contains("gptq: layer 5 of 5 done"), q.err());
        assertEquals("gptq", config(gptq).at("/quantization_config/armor/method").asText());
        try (CheckpointWeights a = CheckpointWeights.open(rtn); CheckpointWeights b = CheckpointWeights.open(gptq)) {
            assertEquals(Set.copyOf(a.names()), Set.copyOf(b.names()));
        }
        double dense = perplexity(Path.of(STORIES)), r = perplexity(rtn), g = perplexity(gptq); // windows 0:4
        assertTrue(g < r && g > dense, "dense " + dense + ", RTN " + r + ", GPTQ " + g);

        // ARMOR: a 4-bit core between int8 A' and B', GPTQ on the core's own input B'x
        Path armor = tmp.resolve("armor"), armor4 = tmp.resolve("armor4");
        assertEquals(0, run("prune", "--model", STORIES, "--method", "armor", "--iters", "50", "--calib", TEXT, "--seq", "128",
                "--windows", "0:16", "--out", armor.toString()).exit());
        RuntimeCommandsTest.Run qa = run("quantize", "--bits", "4", "--method", "gptq", "--calib", TEXT, "--seq", "128",
                "--windows", "0:16", "--zero-points", "--model", armor.toString(), "--out", armor4.toString());
        assertEquals(0, qa.exit(), qa.err());
        assertTrue(qa.out().contains("35 matrices as int4"), qa.out());
        RuntimeCommandsTest.Run i = run("inspect", "--model", armor4.toString(), "--no-tensors");
        assertEquals(0, i.exit(), i.err());
        assertTrue(i.out().contains("armor-int4"), i.out());
        double a = perplexity(armor), a4 = perplexity(armor4);
        assertTrue(a4 > a * 0.98 && a4 < a * 1.25, "ARMOR " + a + ", ARMOR-int4 " + a4);
    }

    /** {@code prune --quantize int4} is {@code prune} then {@code quantize --bits 4 --method gptq} on the same text, in one command. */
    @Test
    void pruneWithQuantizeInt4EqualsPruneThenGptq(@TempDir Path tmp) throws Exception {
        Path oneShot = tmp.resolve("one-shot"), pruned = tmp.resolve("pruned"), twoStep = tmp.resolve("two-step");
        String[] calib = {"--calib", TEXT, "--seq", "128", "--windows", "0:16"};
        RuntimeCommandsTest.Run p = run(concat(new String[] {"prune", "--model", STORIES, "--method", "wanda", "--out", oneShot.toString(),
                "--quantize", "int4", "--zero-points"}, calib));
        assertEquals(0, p.exit(), p.err());
        assertTrue(p.out().contains("35 matrices as int4 (GPTQ"), p.out());
        assertEquals(Set.of("one-shot"), listing(tmp), "the float model beside --out is gone");
        assertEquals(0, run(concat(new String[] {"prune", "--model", STORIES, "--method", "wanda", "--out", pruned.toString()}, calib)).exit());
        assertEquals(0, run(concat(new String[] {"quantize", "--bits", "4", "--method", "gptq", "--zero-points", "--model", pruned.toString(),
                "--out", twoStep.toString()}, calib)).exit());
        try (CheckpointWeights a = CheckpointWeights.open(oneShot); CheckpointWeights b = CheckpointWeights.open(twoStep)) {
            assertEquals(Set.copyOf(b.names()), Set.copyOf(a.names()));
            assertTrue(a.has("model.layers.4.mlp.down_proj.sparse_values_packed"));
            for (String n : a.names()) assertEquals(-1L, a.tensor(n).data().mismatch(b.tensor(n).data()), n);
        }
    }

    @Test
    void denseInt8FolderServesLikeTheDenseModel(@TempDir Path tmp) throws Exception {
        Path int8 = tmp.resolve("int8"), dense = tmp.resolve("dense");
        RuntimeCommandsTest.Run q = run("quantize", "--model", STORIES, "--out", int8.toString());
        assertEquals(0, q.exit(), q.err());
        assertTrue(q.err().contains("quantize: 36/36 tensors"), q.err()); // progress: 35 projections and the embedding
        assertEquals("channel", config(int8).at("/quantization_config/config_groups/group_0/weights/strategy").asText());

        double before = perplexity(Path.of(STORIES)), after = perplexity(int8);
        assertTrue(Math.abs(after / before - 1) < 0.005, "dense " + before + ", int8 " + after); // within 0.5 %
        assertNotEquals(before, after, "the int8 model is not the float one");

        RuntimeCommandsTest.Run g = run("generate", "--model", int8.toString(), "--prompt", "Once upon a time",
                "--temperature", "0", "--max-tokens", "40");
        assertEquals(0, g.exit(), g.err());
        // karpathy's greedy sample (../shared/DATA.md), as the float model writes it, for its first 40 tokens
        assertTrue(g.out().startsWith(", there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball."), g.out());

        RuntimeCommandsTest.Run i = run("inspect", "--model", int8.toString(), "--no-tensors");
        assertEquals(0, i.exit(), i.err());
        assertTrue(i.out().contains("strategy channel"), i.out());
        assertTrue(i.out().contains("dense-int8   35 linears, groups row (172) ×5, row (64) ×30"), i.out());
        assertTrue(i.out().contains("embedding   I8, group row (64)"), i.out());

        // export --dense: q·scale in float32 (the model's torch_dtype) computes what the int8 kernels compute
        RuntimeCommandsTest.Run e = run("export", "--dense", "--model", int8.toString(), "--output", dense.toString());
        assertEquals(0, e.exit(), e.err());
        assertFalse(config(dense).has("quantization_config"));
        try (CheckpointWeights w = CheckpointWeights.open(dense)) {
            for (String n : w.names()) assertEquals(DType.F32, w.tensor(n).dtype(), n);
        }
        assertEquals(after, perplexity(dense), 1e-4 * after);
    }

    @Test
    void pruneWithQuantizeEqualsPruneThenQuantize(@TempDir Path tmp) throws Exception {
        Path oneShot = tmp.resolve("one-shot"), pruned = tmp.resolve("pruned"), twoStep = tmp.resolve("two-step");
        assertEquals(0, run("prune", "--model", STORIES, "--method", "magnitude", "--out", oneShot.toString(),
                "--quantize", "int8").exit());
        assertEquals(0, run("prune", "--model", STORIES, "--method", "magnitude", "--out", pruned.toString()).exit());
        RuntimeCommandsTest.Run q = run("quantize", "--model", pruned.toString(), "--out", twoStep.toString());
        assertEquals(0, q.exit(), q.err());
        assertEquals(config(twoStep), config(oneShot));
        assertEquals("2:4", config(oneShot).at("/sparsity_config/format").asText());
        try (CheckpointWeights a = CheckpointWeights.open(oneShot); CheckpointWeights b = CheckpointWeights.open(twoStep)) {
            assertEquals(Set.copyOf(b.names()), Set.copyOf(a.names()));
            assertEquals(DType.I8, a.tensor("model.layers.4.mlp.down_proj.sparse_values").dtype());
            assertArrayEquals(new long[] {64, 1}, a.tensor("model.layers.4.mlp.down_proj.sparse_values_scale").shape());
            for (String n : a.names()) {
                assertEquals(b.tensor(n).dtype(), a.tensor(n).dtype(), n);
                assertArrayEquals(b.tensor(n).data().toArray(ValueLayout.JAVA_BYTE), a.tensor(n).data().toArray(ValueLayout.JAVA_BYTE), n);
            }
        }
        RuntimeCommandsTest.Run i = run("inspect", "--model", oneShot.toString(), "--no-tensors");
        assertTrue(i.out().contains("2:4-int8     35 linears"), i.out());
        assertTrue(perplexity(oneShot) < 1.01 * perplexity(pruned), "int8 2:4 within 1 % of its float version");
    }

    /**
     * The same for ARMOR: the pruner is deterministic (docs/pruner.md), so {@code --quantize int8} and a separate run
     * followed by {@code quantize} give the same bytes in every tensor (the int8 codes, their scales, A' and B').
     */
    @Test
    void armorPruneWithQuantizeEqualsPruneThenQuantize(@TempDir Path tmp) throws Exception {
        Path oneShot = tmp.resolve("one-shot"), pruned = tmp.resolve("pruned"), twoStep = tmp.resolve("two-step");
        String text = SHARED.resolve("data/tinystories/tinystories.txt").toString();
        String[] armor = {"--method", "armor", "--block", "4", "--iters", "30", "--calib", text, "--windows", "0:4", "--seq", "128"};
        RuntimeCommandsTest.Run p1 = run(concat(new String[] {"prune", "--model", STORIES, "--out", oneShot.toString(),
                "--quantize", "int8"}, armor));
        assertEquals(0, p1.exit(), p1.err());
        RuntimeCommandsTest.Run p2 = run(concat(new String[] {"prune", "--model", STORIES, "--out", pruned.toString()}, armor));
        assertEquals(0, p2.exit(), p2.err());
        RuntimeCommandsTest.Run q = run("quantize", "--model", pruned.toString(), "--out", twoStep.toString());
        assertEquals(0, q.exit(), q.err());
        assertEquals(config(twoStep), config(oneShot));
        assertEquals("armor-2:4", config(oneShot).at("/sparsity_config/format").asText());
        try (CheckpointWeights a = CheckpointWeights.open(oneShot); CheckpointWeights b = CheckpointWeights.open(twoStep)) {
            assertEquals(Set.copyOf(b.names()), Set.copyOf(a.names()));
            assertTrue(a.names().stream().anyMatch(n -> a.tensor(n).dtype() == DType.I8), "int8 tensors");
            for (String n : a.names()) {
                assertEquals(b.tensor(n).dtype(), a.tensor(n).dtype(), n);
                assertArrayEquals(b.tensor(n).data().toArray(ValueLayout.JAVA_BYTE), a.tensor(n).data().toArray(ValueLayout.JAVA_BYTE), n);
            }
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
