package armor.bench;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.model.Model;
import armor.runtime.safetensors.CheckpointWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The benchmarks time the generation loop users run, and prune-serve's rule for what cannot be timed. */
class GenerationLoopBenchTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K-hf");

    /**
     * Two models taking turns token by token produce, each, exactly the tokens that {@link Generator} produces for the
     * same prompt and seeded sampler: the benchmark's sequences are the generation loop's, sampler included (a
     * greedy loop of its own would give other tokens at temperature 1), and the turns do not disturb them.
     */
    @Test
    void benchSequencesAreTheGenerationLoopsTokensForTheSameSeed() {
        SamplingParams sampled = new SamplingParams(1f, 40, 0.95f, 0, 0, 0, 1.1f, 7);
        int[] prompt = {1, 403, 261, 378};
        try (Model dense = Model.load(STORIES); CheckpointWeights w = CheckpointWeights.open(STORIES);
             SparsifiedWeights sparse = new SparsifiedWeights(w, 0)) {
            Model pruned = Model.of(dense.config(), sparse);
            List<GenerationLoop.Sequence> seqs = GenerationLoop.run(List.of(dense, pruned), List.of(prompt, prompt), 40, sampled);
            StopConditions stop = new StopConditions(40, List.of(), true);
            int[] expectDense = new Generator(dense, null).generate(prompt, sampled, stop, (t, s) -> {}).tokens();
            int[] expectPruned = new Generator(pruned, null).generate(prompt, sampled, stop, (t, s) -> {}).tokens();
            assertArrayEquals(expectDense, seqs.get(0).tokens());
            assertArrayEquals(expectPruned, seqs.get(1).tokens());
            assertFalse(java.util.Arrays.equals(expectDense, expectPruned), "two different models, two different texts");
            for (GenerationLoop.Sequence s : seqs) {
                assertEquals(39, s.tokenSeconds().length, "one pass timed per token after the first");
                for (double t : s.tokenSeconds()) assertTrue(t > 0 && t < 10, "a pass of a 260K model: " + t);
                assertTrue(s.prefillSeconds() > 0);
            }
        }
    }

    /**
     * End of sequence does not end a benchmark's sequence: every round decodes the same number of tokens. stories260K
     * with its EOS id set to the fifth token it generates: {@link Generator} stops there, the benchmark goes on.
     */
    @Test
    void endOfSequenceIsIgnoredSoLengthsAreFixed(@TempDir Path tmp) throws Exception {
        int[] prompt = {1, 403, 261};
        int[] greedy;
        try (Model m = Model.load(STORIES)) {
            greedy = GenerationLoop.run(List.of(m), List.of(prompt), 12, KindComparison.SAMPLING).get(0).tokens();
        }
        int eos = greedy[4];
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            String name = f;
            if (f.endsWith(".json")) {
                Files.writeString(tmp.resolve(name), Files.readString(STORIES.resolve(name))
                        .replaceAll("\"eos_token_id\": *2", "\"eos_token_id\": " + eos));
            } else {
                Files.copy(STORIES.resolve(name), tmp.resolve(name));
            }
        }
        try (Model m = Model.load(tmp)) {
            GenerationResult stopped = new Generator(m, null).generate(prompt, KindComparison.SAMPLING,
                    StopConditions.maxTokens(12), (t, s) -> {});
            assertEquals(GenerationResult.StopReason.EOS, stopped.stopReason());
            int[] bench = GenerationLoop.run(List.of(m), List.of(prompt), 12, KindComparison.SAMPLING).get(0).tokens();
            assertArrayEquals(greedy, bench, "all 12 tokens, the EOS at the fifth included");
            assertArrayEquals(java.util.Arrays.copyOf(greedy, stopped.tokens().length), stopped.tokens());
            assertTrue(stopped.tokens().length <= 4);
        }
    }

    /** A sequence that cannot fit the context is refused before anything runs, naming the context length. */
    @Test
    void sequencesLongerThanTheContextAreRefused() {
        try (Model m = Model.load(STORIES)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> GenerationLoop.run(List.of(m), List.of(new int[16]), 500, KindComparison.SAMPLING));
            assertTrue(e.getMessage().contains("context length 512"), e.getMessage());
        }
    }

    /** The comparison's rounds, warm-up and prefill go through the loop; a prefill longer than the context is cut. */
    @Test
    void kindComparisonMeasuresEveryKindAndFitsThePrefillToTheContext() {
        try (Model m = Model.load(STORIES)) {
            List<String> log = new ArrayList<>();
            var s = new KindComparison.Settings(8, 8, 0, 8, 3, 600, 2);
            List<KindComparison.Result> r = KindComparison.measure(
                    List.of(new KindComparison.Variant("dense", m, 1)), s, log::add);
            assertEquals(511, r.get(0).prefillTokens(), "512 positions: 511 prompt tokens and one generated");
            assertTrue(log.stream().anyMatch(l -> l.contains("timing 511")), String.join("\n", log));
            assertTrue(log.stream().anyMatch(l -> l.startsWith("warm-up, rounds of 8 tokens per kind: 1 round, ")), String.join("\n", log));
            assertEquals(3, log.stream().filter(l -> l.startsWith("decode ")).count());
            assertTrue(r.get(0).decodeTokensPerSecond().min() > 0 && r.get(0).prefillTokensPerSecond().min() > 0);
        }
    }

    @Test
    void tooSmallAndTooNoisyRule() {
        assertEquals(DecodeBenchmark.Verdict.TOO_SMALL, DecodeBenchmark.verdict(0.2e-3, 2));
        assertEquals(DecodeBenchmark.Verdict.TOO_SMALL, DecodeBenchmark.verdict(0.999e-3, 50));
        assertEquals(DecodeBenchmark.Verdict.TIMED, DecodeBenchmark.verdict(1e-3, 20));
        assertEquals(DecodeBenchmark.Verdict.TIMED, DecodeBenchmark.verdict(0.1, 3));
        assertEquals(DecodeBenchmark.Verdict.TOO_NOISY, DecodeBenchmark.verdict(0.1, 20.5));
        assertEquals(DecodeBenchmark.Verdict.TOO_NOISY, DecodeBenchmark.verdict(0.1, Double.NaN));
        assertEquals("too small to time", DecodeBenchmark.Verdict.TOO_SMALL.phrase);
    }

    /** stories260K decodes a token in a fraction of a millisecond: too small to time, whatever the machine's load. */
    @Test
    void stories260KIsTooSmallToTime() {
        try (Model m = Model.load(STORIES)) {
            var r = DecodeBenchmark.run("dense", m, new KindComparison.Settings(16, 16, 1, 16, 7, 0, 0), l -> {});
            assertTrue(r.bestStepSeconds() < DecodeBenchmark.TOO_SMALL_SECONDS, "best step " + r.bestStepSeconds());
            assertEquals(DecodeBenchmark.Verdict.TOO_SMALL, r.verdict());
        }
    }
}
