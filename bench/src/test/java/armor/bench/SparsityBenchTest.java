package armor.bench;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.model.Model;
import armor.runtime.safetensors.CheckpointWeights;
import armor.runtime.sparse.Conversions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SparsityBenchTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    /** Parameter count of a Llama/Qwen2 config, counted from its shapes. */
    static long parameters(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize(), v = c.vocabSize();
        long layer = h * q + 2 * h * kv + q * h + 3 * h * inter + 2 * h + (c.qkvBias() ? q + 2 * kv : 0);
        return v * h * (c.tieWordEmbeddings() ? 1 : 2) + c.numLayers() * layer + h;
    }

    @Test
    void presetsHaveThePublishedParameterCounts() {
        // the counts the model cards / transformers report for these checkpoints
        assertEquals(1_235_814_400L, parameters(ModelPresets.config("llama-3.2-1b")));
        assertEquals(494_032_768L, parameters(ModelPresets.config("qwen2.5-0.5b")));
        assertEquals(1_543_714_304L, parameters(ModelPresets.config("qwen2.5-1.5b")));
        assertEquals(6_738_415_616L, parameters(ModelPresets.config("llama-2-7b")));
        assertThrows(IllegalArgumentException.class, () -> ModelPresets.config("gpt-2"));
    }

    /** The in-memory 2:4 variant is the same model as the magnitude checkpoint written by armor convert. */
    @Test
    void sparsifiedWeightsMatchTheConvertedCheckpoint(@TempDir Path tmp) throws Exception {
        Path src = SHARED.resolve("models/tiny-llama3-random"), conv = tmp.resolve("c");
        Conversions.magnitude24(src, conv, (d, t, p) -> {});
        ModelConfig config = ConfigReader.read(src);
        int[] prompt = {1, 17, 300, 42, 5};
        try (CheckpointWeights dense = CheckpointWeights.open(src); Model fromDisk = Model.load(conv)) {
            float[] expected = fromDisk.logits(prompt);
            try (SparsifiedWeights w = new SparsifiedWeights(dense, 0)) {
                assertArrayEquals(expected, Model.of(config, w).logits(prompt), 1e-5f);
            }
            try (SparsifiedWeights w = new SparsifiedWeights(dense, 32)) {
                Model armor = Model.of(config, w);
                assertTrue(armor.decoder().weightBytesPerToken() > fromDisk.decoder().weightBytesPerToken(), "A and B add bytes");
                float[] l = armor.logits(prompt);
                for (float x : l) assertTrue(Float.isFinite(x));
            }
        }
    }

    @Test
    void reportHasTableJsonAndChart(@TempDir Path tmp) throws Exception {
        KindComparison.Stat s = new KindComparison.Stat(10, 9, 11);
        BenchReport.Run run = new BenchReport.Run("test", "BF16", 2, 20, 18, List.of(
                new KindComparison.Result("dense", s, new KindComparison.Stat(100, 90, 110), 512, 2_000_000_000L, 2_000_000_000L),
                new KindComparison.Result("2:4", new KindComparison.Stat(16, 15, 17), new KindComparison.Stat(150, 140, 160), 512, 1_000_000_000L, 1_100_000_000L)));
        String md = BenchReport.markdown(run);
        assertTrue(md.contains("| 2:4 | 16.00 | 6% | 150.0 | 7% | 1.000 GB | 1.100 GB | 17.6 | 88% | 1.60× | 1.50× |"), md);
        BenchReport.writeJson(run, tmp.resolve("r.json"));
        BenchReport.writeChart(run, tmp.resolve("r.png"));
        assertTrue(Files.readString(tmp.resolve("r.json")).contains("\"decode_ratio_to_dense\" : 1.6"));
        byte[] png = Files.readAllBytes(tmp.resolve("r.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }
}
