package armor.runtime.sparse;

import armor.runtime.config.ConfigReader;
import armor.runtime.eval.Perplexity;
import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.model.Model;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class SparseCheckpointTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");

    static JsonNode config(Path dir) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    }

    /** Brute force: keep w where fewer than two entries of its group of four are strictly larger in magnitude. */
    static float[] maskedByMagnitude(float[] w, int cols) {
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i += 4) {
            for (int k = 0; k < 4; k++) {
                int larger = 0;
                for (int j = 0; j < 4; j++) if (Math.abs(w[i + j]) > Math.abs(w[i + k])) larger++;
                if (larger < 2) out[i + k] = w[i + k];
            }
        }
        return out;
    }

    @Test
    void denseTo24ToDenseGivesExactlyTheMaskedWeights(@TempDir Path tmp) throws Exception {
        Path sparse = tmp.resolve("s24"), dense = tmp.resolve("dense");
        int converted = Conversions.magnitude24(STORIES, sparse, (d, t, p) -> {});
        assertEquals(5 * 7, converted);
        assertEquals("2:4", config(sparse).get("sparsity_config").get("format").asText());
        assertTrue(Files.exists(sparse.resolve("tokenizer.json")));
        assertEquals(35, Conversions.exportDense(sparse, dense, (d, t, p) -> {}));
        assertFalse(config(dense).has("sparsity_config"));

        Pattern proj = Conversions.PROJECTION;
        try (CheckpointWeights orig = CheckpointWeights.open(STORIES); CheckpointWeights out = CheckpointWeights.open(dense);
             CheckpointWeights mid = CheckpointWeights.open(sparse)) {
            assertEquals(orig.names(), out.names());
            for (String name : orig.names()) {
                Tensor a = orig.tensor(name), b = out.tensor(name);
                assertEquals(a.dtype(), b.dtype(), name);
                assertArrayEquals(a.shape(), b.shape(), name);
                float[] expected = TensorFloats.read(a);
                if (name.endsWith(".weight") && proj.matcher(name.substring(0, name.length() - 7)).matches()) {
                    expected = maskedByMagnitude(expected, a.dim(1));
                    assertFalse(mid.has(name), "pruned checkpoint still has " + name);
                    assertEquals(DType.U8, mid.tensor(name.replace(".weight", ".sparse_meta")).dtype());
                }
                assertArrayEquals(expected, TensorFloats.read(b), name);
            }
        }
    }

    @Test
    void converted24ModelMatchesItsDenseExportAndStillTellsStories(@TempDir Path tmp) throws Exception {
        Path sparse = tmp.resolve("s24"), dense = tmp.resolve("dense");
        Conversions.magnitude24(STORIES, sparse, (d, t, p) -> {});
        Conversions.exportDense(sparse, dense, (d, t, p) -> {});
        int[] prompt = {1, 403, 407, 261, 378}; // BOS "Once upon a time"
        try (Model s = Model.load(sparse); Model d = Model.load(dense); Model orig = Model.load(STORIES)) {
            float[] ls = s.logits(prompt), ld = d.logits(prompt);
            for (int i = 0; i < ls.length; i++) assertEquals(ld[i], ls[i], 1e-3f * (1 + Math.abs(ld[i])), "logit " + i);

            // magnitude 2:4 on every projection is too much for a 260K-parameter model (see docs/checkpoint-format.md)
            double pAll = perplexity(s), pDense = perplexity(orig);
            assertTrue(pAll > pDense, "pruning costs something: " + pAll + " vs " + pDense);
        }
        // the attention output path (v, o) pruned to 2:4 keeps the model telling stories
        Path vo = tmp.resolve("vo");
        assertEquals(10, Conversions.magnitude24(STORIES, vo, Pattern.compile("self_attn\\.[vo]_proj"), (d, t, p) -> {}));
        try (Model s = Model.load(vo)) {
            GenerationResult r = new Generator(s, s.requireTokenizer()).generate(prompt, SamplingParams.GREEDY, StopConditions.maxTokens(60), (id, piece) -> {});
            String text = r.text();
            Set<String> vocab = new HashSet<>();
            for (String w : Files.readString(SHARED.resolve("data/tinystories/tinystories.txt")).toLowerCase().split("[^a-z]+")) vocab.add(w);
            int known = 0, total = 0;
            for (String w : text.toLowerCase().split("[^a-z]+")) {
                if (w.isEmpty()) continue;
                total++;
                if (vocab.contains(w)) known++;
            }
            assertTrue(total >= 30, "too short: " + text);
            assertTrue(known >= 0.95 * total, "only " + known + "/" + total + " known words: " + text);
            assertTrue(perplexity(s) < 8, "perplexity " + perplexity(s)); // dense: 4.41 on these 5 stories
        }
    }

    static double perplexity(Model m) throws Exception {
        int[] stream = m.requireTokenizer().encode(Files.readString(SHARED.resolve("data/tinystories/tinystories_sample.txt")).replace("<|endoftext|>", ""), true);
        return Perplexity.compute(m, stream, 128, 0, Perplexity.windowCount(stream.length, 128), null).perplexity();
    }

    /** An ARMOR checkpoint (random A', B', bf16, Qwen2 with q/k/v biases) computes what its dense export computes. */
    @Test
    void armorCheckpointMatchesItsDenseExport(@TempDir Path tmp) throws Exception {
        Path src = SHARED.resolve("models/tiny-qwen2-random");
        Path armor = tmp.resolve("armor"), dense = tmp.resolve("dense");
        int b = 32;
        Random rnd = new Random(7);
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(src, armor, 64 << 10)) { // small shards: exercise the index
            for (String name : w.source().names()) {
                if (!name.endsWith(".weight") || !Conversions.PROJECTION.matcher(name.substring(0, name.length() - 7)).matches()) continue;
                Tensor t = w.source().tensor(name);
                int m = t.dim(0), n = t.dim(1);
                float[] a = new float[m * b], bb = new float[n * b];
                // near-identity blocks keep activations in range through the layers
                for (int i = 0; i < a.length; i++) a[i] = (i / b % b == i % b ? 1f : 0f) + (float) rnd.nextGaussian() * 0.05f;
                for (int i = 0; i < bb.length; i++) bb[i] = (i / b % b == i % b ? 1f : 0f) + (float) rnd.nextGaussian() * 0.05f;
                w.putArmor(name.substring(0, name.length() - 7), Sparse24Core.byMagnitude(TensorFloats.read(t), m, n), a, bb, b, t.dtype());
            }
            w.finish(new SparsityConfig(SparsityConfig.FORMAT_ARMOR, "armor", b, new SparsityConfig.Calibration("test", 1, 8), 10,
                    Map.of("model.layers.0.mlp.up_proj", new SparsityConfig.ProxyLoss(0.5, 0.25)), SparsityConfig.VERSION));
        }
        assertTrue(Files.exists(armor.resolve(CheckpointWeights.INDEX)), "sharded output has an index");
        JsonNode sc = config(armor).get("sparsity_config");
        assertEquals("armor-2:4", sc.get("format").asText());
        assertEquals(32, sc.get("block_size").asInt());
        assertEquals(0.25, SparsityConfig.fromJson(sc, "config.json").proxyLoss().get("model.layers.0.mlp.up_proj").after());
        ConfigReader.read(armor); // still an ordinary config for the runtime

        Conversions.exportDense(armor, dense, (d, t, p) -> {});
        int[] prompt = {1, 5, 77, 300, 12, 9};
        try (Model s = Model.load(armor); Model d = Model.load(dense)) {
            float[] ls = s.logits(prompt), ld = d.logits(prompt);
            double scale = 0;
            for (float v : ld) scale = Math.max(scale, Math.abs(v));
            // the export rounds A'·C·B' to bf16 once; the layer rounds A', B' and C separately
            for (int i = 0; i < ls.length; i++) assertEquals(ld[i], ls[i], 0.05 * scale, "logit " + i);
        }
    }

    @Test
    void corruptMetadataIsReportedWithTheTensorName(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bad");
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(STORIES, out)) {
            Tensor t = w.source().tensor("model.layers.2.mlp.down_proj.weight");
            Sparse24Core good = Sparse24Core.byMagnitude(TensorFloats.read(t), t.dim(0), t.dim(1));
            byte[] meta = good.meta().clone();
            meta[3 * Sparse24Core.metaCols(t.dim(1))] = (byte) 0x77; // row 3, groups 0 and 1: positions (3,1)
            w.putCore("model.layers.2.mlp.down_proj", new Sparse24Core(good.rows(), good.cols(), good.values(), meta), t.dtype());
            w.finish(SparsityConfig.magnitude24());
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Model.load(out).close());
        assertTrue(e.getMessage().contains("model.layers.2.mlp.down_proj.sparse_meta") && e.getMessage().contains("row 3, group 0"), e.getMessage());
    }

    @Test
    void existingTargetIsRefusedAndAbandonedWriteLeavesNoFolder(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("exists"));
        assertThrows(CheckpointException.class, () -> SparseCheckpointWriter.create(STORIES, tmp.resolve("exists")));
        try (SparseCheckpointWriter w = SparseCheckpointWriter.create(STORIES, tmp.resolve("never"))) {
            Tensor t = w.source().tensor("model.layers.0.mlp.up_proj.weight");
            w.putCore("model.layers.0.mlp.up_proj", Sparse24Core.byMagnitude(TensorFloats.read(t), t.dim(0), t.dim(1)), t.dtype());
        }
        try (var files = Files.list(tmp)) {
            assertEquals(Set.of("exists"), files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }
}
