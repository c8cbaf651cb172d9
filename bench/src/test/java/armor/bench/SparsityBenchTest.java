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
    void layerBenchmarkTimesEveryProjectionOfTheShapeWithTheBytesOfEachKind() {
        ModelConfig config = ConfigReader.read(SHARED.resolve("models/tiny-llama3-random"));
        int block = 32;
        List<LayerBenchmark.Row> rows = LayerBenchmark.run(config, armor.runtime.tensor.DType.BF16,
                List.of("dense", "2:4", "armor"), block, 3, 1, 0, line -> {});
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                rows.stream().map(r -> r.projection().name()).toList());
        assertEquals(config.kvDim(), rows.get(1).projection().rows());
        assertEquals(config.intermediateSize(), rows.get(6).projection().cols());
        for (LayerBenchmark.Row r : rows) {
            long m = r.projection().rows(), n = r.projection().cols();
            assertEquals(2 * m * n, r.timings().get(0).bytes(), "dense bf16");
            assertEquals(m * n + m * n / 8, r.timings().get(1).bytes(), "2:4: half the values in bf16 plus 4 bits a group");
            assertEquals(r.timings().get(1).bytes() + 2L * (m + n) * block, r.timings().get(2).bytes(), "ARMOR adds A' and B'");
            for (LayerBenchmark.Timing t : r.timings()) assertTrue(t.microseconds() > 0);
        }
        assertTrue(LayerBenchmark.markdown(rows, 3).contains("| whole layer |"));
    }

    @Test
    void reportHasTableJsonAndChart(@TempDir Path tmp) throws Exception {
        KindComparison.Stat s = new KindComparison.Stat(10, 9, 11);
        BenchReport.Run run = new BenchReport.Run("test", "BF16", 2, 20, 18, 100, List.of(
                new KindComparison.Result("dense", s, new KindComparison.Stat(100, 90, 110), 512, 2_000_000_000L, 2_000_000_000L, 1_000_000_000L),
                new KindComparison.Result("2:4", new KindComparison.Stat(16, 15, 17), new KindComparison.Stat(150, 140, 160), 512, 1_000_000_000L, 1_100_000_000L, 1_000_000_000L)));
        String md = BenchReport.markdown(run);
        assertTrue(md.contains("| 2:4 | 16.00 | 6% | 150.0 | 7% | 1.000 GB | 1.100 GB | 17.6 | 88% | 300 | 300% | 1.60× | 1.50× |"), md);
        BenchReport.writeJson(run, tmp.resolve("r.json"));
        BenchReport.writeChart(run, tmp.resolve("r.png"));
        assertTrue(Files.readString(tmp.resolve("r.json")).contains("\"decode_ratio_to_dense\" : 1.6"));
        assertTrue(Files.readString(tmp.resolve("r.json")).contains("\"prefill_dense_equivalent_gflops\" : 300.0"));
        byte[] png = Files.readAllBytes(tmp.resolve("r.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    /** The FMA peak is a rate of real work: positive, and more threads never measure less than half of one. */
    @Test
    void fmaPeakIsPositiveOnOneAndAllThreads() {
        FmaPeak.Result r = FmaPeak.measure(1);
        assertTrue(r.oneThreadGflops() > 0.1 && Double.isFinite(r.oneThreadGflops()), "one thread: " + r);
        assertTrue(r.allThreadsGflops() > 0.5 * r.oneThreadGflops(), "all threads: " + r);
    }
}
