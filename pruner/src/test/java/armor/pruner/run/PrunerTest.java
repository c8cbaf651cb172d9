package armor.pruner.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.safetensors.SafetensorsWriter;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code armor prune} end to end on stories260K-hf, and its handling of bad input and crashes. */
class PrunerTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("models/stories260K-hf");
    static final Path TEXT = SHARED.resolve("data/tinystories/tinystories.txt");

    @TempDir
    Path tmp;

    /** The first few stories of tinystories.txt: tokenizing the whole file would dominate the test time. */
    Path text() throws IOException {
        Path t = tmp.resolve("calib.txt");
        if (!Files.exists(t)) Files.writeString(t, Files.readString(TEXT).substring(0, 4000));
        return t;
    }

    PruneJob job(PruneMethod m, Path out, int iters, int block) throws IOException {
        return new PruneJob(MODEL, m, m.needsData() ? text() : null, 2, 64, "0:2", iters, block, 0, out, 2);
    }

    @Test
    void magnitudeCheckpointKeepsTheTwoLargestOfEveryGroup() throws IOException {
        Path out = tmp.resolve("mag");
        Pruner.Summary s = Pruner.run(job(PruneMethod.MAGNITUDE, out, 0, 4), Reporter.SILENT);
        assertEquals(35, s.results().size());
        assertFalse(Files.exists(WorkFolder.pathFor(out)), "work folder removed after success");
        try (Model dense = Model.load(MODEL); Model pruned = Model.load(out)) {
            for (int l = 0; l < 5; l++) {
                for (String p : DecoderLayer.PROJECTIONS) {
                    String prefix = "model.layers." + l + "." + p;
                    float[] w = TensorFloats.read(dense.weights().tensor(prefix + ".weight"));
                    var lin = pruned.decoder().layer(l).linear(p);
                    assertEquals("2:4", lin.kind(), prefix);
                    float[] got = ((Sparse24Linear) lin).denseWeight();
                    int n = lin.inFeatures();
                    for (int i = 0; i < w.length; i++) {
                        int g = i & ~3;
                        int larger = 0;
                        for (int t = 0; t < 4; t++) if (Math.abs(w[g + t]) > Math.abs(w[i])) larger++;
                        assertEquals(larger < 2 ? w[i] : 0f, got[i], prefix + " entry " + i / n + "," + i % n);
                    }
                }
            }
        }
    }

    /**
     * Default block rule on stories260K: A and B get different block sizes (k_proj 32×64: 32 and 64; gate_proj
     * 172×64: 4 and 64). The runtime must compute exactly the product the pruner optimized.
     */
    @Test
    void armorCheckpointComputesTheOptimizedProductAndNeverEndsAboveNoWagP() throws IOException {
        Path out = tmp.resolve("armor");
        Pruner.Summary s = Pruner.run(job(PruneMethod.ARMOR, out, 40, 128), Reporter.SILENT);
        for (LinearResult r : s.results()) {
            assertTrue(r.lossAfter() <= r.lossBefore() * (1 + 1e-6), r.prefix() + ": " + r.lossAfter() + " > "
                    + r.lossBefore());
        }
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("sparsity_config");
        assertEquals("armor-2:4", cfg.get("format").asText());
        assertEquals(35, cfg.get("proxy_loss").size());
        try (Model pruned = Model.load(out)) {
            assertEquals("armor", pruned.decoder().layer(2).linear(DecoderLayer.DOWN).kind());
            Random rnd = new Random(3);
            for (LinearResult r : s.results()) {
                String[] parts = r.prefix().split("\\.", 4);
                var lin = pruned.decoder().layer(Integer.parseInt(parts[2])).linear(parts[3]);
                float[] w = r.reconstruct();
                int tokens = 3;
                float[] x = new float[tokens * r.cols()];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] y = new float[tokens * r.rows()];
                lin.forward(x, y, tokens);
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < r.rows(); i++) {
                        double e = 0, scale = 0;
                        for (int j = 0; j < r.cols(); j++) {
                            e += (double) w[i * r.cols() + j] * x[t * r.cols() + j];
                            scale += Math.abs(w[i * r.cols() + j] * x[t * r.cols() + j]);
                        }
                        assertEquals(e, y[t * r.rows() + i], 1e-4 * (1 + scale), r.prefix() + " row " + i);
                    }
                }
            }
            float[] logits = pruned.logits(new int[] {1, 403, 407, 261, 378});
            for (float v : logits) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void existingOutputIsRefusedAndLeftAlone() throws IOException {
        Path out = tmp.resolve("exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        var e = assertThrows(IllegalArgumentException.class,
                () -> Pruner.run(job(PruneMethod.MAGNITUDE, out, 0, 4), Reporter.SILENT));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }

    @Test
    void dimensionsNotDivisibleByFourAreRefusedNamingTheTensor() throws IOException {
        Path model = tinyModel(tmp.resolve("odd"), 6);
        Path out = tmp.resolve("odd-out");
        var e = assertThrows(IllegalArgumentException.class, () -> Pruner.run(
                new PruneJob(model, PruneMethod.MAGNITUDE, null, 1, 8, null, 0, 4, 0, out, 1), Reporter.SILENT));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("not divisible by 4"), e.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(WorkFolder.pathFor(out)));
    }

    @Test
    void crashMidRunLeavesNoCheckpointAndTheRerunResumes() throws IOException {
        Path out = tmp.resolve("crash");
        AtomicInteger finished = new AtomicInteger();
        Reporter crashing = new Reporter() {
            @Override
            public void info(String line) {
                if (line.contains("proxy loss") && finished.incrementAndGet() == 10) {
                    throw new IllegalStateException("simulated crash");
                }
            }

            @Override
            public void warn(String line) {}

            @Override
            public void progress(String task, long done, long total, String status) {}

            @Override
            public void progressDone() {}
        };
        assertThrows(IllegalStateException.class, () -> Pruner.run(job(PruneMethod.WANDA, out, 0, 4), crashing));
        assertFalse(Files.exists(out), "no checkpoint after a crash");
        try (var files = Files.list(tmp)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".crash.tmp")), "no temp folder left");
        }
        WorkFolder work = WorkFolder.open(out, Pruner.fingerprint(job(PruneMethod.WANDA, out, 0, 4)));
        java.util.Map<String, LinearResult> saved = new java.util.HashMap<>();
        for (int l = 0; l < 5; l++) {
            for (String p : DecoderLayer.PROJECTIONS) {
                String prefix = "model.layers." + l + "." + p;
                if (work.has(prefix)) saved.put(prefix, work.load(prefix));
            }
        }
        assertTrue(saved.size() >= 10, "saved before the crash: " + saved.size());
        Pruner.Summary resumed = Pruner.run(job(PruneMethod.WANDA, out, 0, 4), Reporter.SILENT);
        assertEquals(saved.size(), resumed.resumed());
        assertEquals(35, resumed.results().size());
        try (Model pruned = Model.load(out)) {
            for (LinearResult r : resumed.results()) {
                String[] parts = r.prefix().split("\\.", 4);
                float[] got = ((Sparse24Linear) pruned.decoder().layer(Integer.parseInt(parts[2])).linear(parts[3]))
                        .denseWeight();
                assertArrayEquals(r.values(), got, r.prefix());
                LinearResult before = saved.get(r.prefix());
                if (before != null) assertArrayEquals(before.values(), r.values(), "resumed " + r.prefix());
            }
        }
        assertFalse(Files.exists(WorkFolder.pathFor(out)));
        // a rerun with other arguments does not mix its results with a stale work folder
        Path other = tmp.resolve("other");
        assertThrows(IllegalStateException.class,
                () -> Pruner.run(job(PruneMethod.NOWAG_P, other, 0, 4), crashingAfter(3)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Pruner.run(job(PruneMethod.WANDA, other, 0, 4), Reporter.SILENT));
        assertTrue(e.getMessage().contains("other arguments"), e.getMessage());
    }

    /**
     * ARMOR's refit (the default): on layer 0, whose inputs are the dense model's in both runs, every projection's
     * full layer loss {@code tr(E XᵀX Eᵀ)} (computed here from the calibration inputs) ends below the block coordinate
     * descent's alone; a crash during the refit resumes to the same bytes as an uninterrupted run.
     */
    @Test
    void armorRefitLowersTheFullLayerLossAndResumesToTheSameBytes() throws IOException {
        PruneJob plainJob = new PruneJob(MODEL, PruneMethod.ARMOR, text(), 2, 64, "0:2", 40, 16, 0, tmp.resolve("plain"), 2,
                null, false);
        Pruner.Summary plain = Pruner.run(plainJob, Reporter.SILENT);
        Pruner.Summary refit = Pruner.run(job(PruneMethod.ARMOR, tmp.resolve("refit"), 40, 16), Reporter.SILENT);
        try (Model dense = Model.load(MODEL)) {
            var calib = armor.pruner.calib.CalibrationSet.forModel(dense, text(), "0:2", 2, 64, 0);
            var stats = armor.pruner.calib.ActivationStatistics.collect(dense, calib.samples(), 64, 0, 1, true,
                    (done, total) -> {});
            for (int i = 0; i < plain.results().size(); i++) {
                LinearResult a = plain.results().get(i), b = refit.results().get(i);
                if (!a.prefix().startsWith("model.layers.0.")) continue;
                String projection = a.prefix().substring("model.layers.0.".length());
                double[] gram = stats.input(0, projection).gram();
                float[] w = TensorFloats.read(dense.weights().tensor(a.prefix() + ".weight"));
                double before = layerLoss(w, a.reconstruct(), gram, a.rows(), a.cols());
                double after = layerLoss(w, b.reconstruct(), gram, a.rows(), a.cols());
                assertTrue(after < before, a.prefix() + ": " + before + " → " + after);
                assertArrayEquals(a.mask().patternBytes(), b.mask().patternBytes(), "the refit keeps the mask");
            }
        }
        Path out = tmp.resolve("crash");
        assertThrows(IllegalStateException.class,
                () -> Pruner.run(job(PruneMethod.ARMOR, out, 40, 16), crashingAfter(12, "refit:")));
        assertFalse(Files.exists(out));
        Pruner.run(job(PruneMethod.ARMOR, out, 40, 16), Reporter.SILENT);
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("refit").resolve(f.getFileName())), Files.readAllBytes(f),
                        f.getFileName() + " after the resumed refit");
            }
        }
    }

    /** {@code tr((W − Ŵ) G (W − Ŵ)ᵀ)} in double. */
    private static double layerLoss(float[] w, float[] wHat, double[] gram, int rows, int cols) {
        double s = 0;
        double[] e = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) e[j] = (double) w[r * cols + j] - wHat[r * cols + j];
            for (int i = 0; i < cols; i++) {
                double gi = 0;
                for (int j = 0; j < cols; j++) gi += gram[i * cols + j] * e[j];
                s += e[i] * gi;
            }
        }
        return s;
    }

    private static Reporter crashingAfter(int n) {
        return crashingAfter(n, "proxy loss");
    }

    /** A reporter that throws at the n-th line containing {@code marker}. */
    private static Reporter crashingAfter(int n, String marker) {
        AtomicInteger count = new AtomicInteger();
        return new Reporter() {
            @Override
            public void info(String line) {
                if (line.contains(marker) && count.incrementAndGet() == n) throw new IllegalStateException("crash");
            }

            @Override
            public void warn(String line) {}

            @Override
            public void progress(String task, long done, long total, String status) {}

            @Override
            public void progressDone() {}
        };
    }

    /** A one-layer Llama with hidden size {@code hidden} and random weights (no tokenizer). */
    static Path tinyModel(Path dir, int hidden) throws IOException {
        Files.createDirectories(dir);
        int inter = 8, vocab = 16, heads = hidden / 2;
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d,
                 "intermediate_size": %d, "num_hidden_layers": 1, "num_attention_heads": %d,
                 "num_key_value_heads": %d, "head_dim": %d, "vocab_size": %d, "max_position_embeddings": 64,
                 "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true, "torch_dtype": "float32",
                 "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}
                """.formatted(hidden, inter, heads, heads, hidden / heads, vocab));
        Random rnd = new Random(1);
        List<Tensor> t = new ArrayList<>();
        t.add(rand("model.embed_tokens.weight", rnd, vocab, hidden));
        t.add(ones("model.norm.weight", hidden));
        String p = "model.layers.0.";
        t.add(ones(p + "input_layernorm.weight", hidden));
        t.add(ones(p + "post_attention_layernorm.weight", hidden));
        for (String proj : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj")) {
            t.add(rand(p + proj + ".weight", rnd, hidden, hidden));
        }
        t.add(rand(p + "mlp.gate_proj.weight", rnd, inter, hidden));
        t.add(rand(p + "mlp.up_proj.weight", rnd, inter, hidden));
        t.add(rand(p + "mlp.down_proj.weight", rnd, hidden, inter));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), t, null);
        return dir;
    }

    private static Tensor rand(String name, Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * 0.1f;
        return new Tensor(name, DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(v));
    }

    private static Tensor ones(String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return new Tensor(name, DType.F32, new long[] {n}, MemorySegment.ofArray(v));
    }
}
