package armor.runtime.model;

import java.util.List;
import armor.runtime.config.ModelConfig;
import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.Sampler;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories15M-hf (karpathy's real 15M TinyStories model: Llama-2 architecture, hidden 288, 6 layers, 32000-token
 * Llama-2 sentencepiece vocabulary, float32) against Hugging Face transformers' float32 CPU outputs in
 * ../shared/fixtures/stories15M-reference.json: the model every quality figure in docs/results.md is measured on.
 * For each prompt of the fixture: last-position logits, argmax at every position, 48 greedy ids and their text.
 */
class Stories15MReferenceTest {
    /** Largest allowed |runtime logit − transformers logit| at the last position, absolute (float32 on both sides). */
    static final double LOGIT_TOLERANCE = 1e-3;

    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));
    static JsonNode fixture;
    static Model model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        fixture = new ObjectMapper().readTree(SHARED.resolve("fixtures/stories15M-reference.json").toFile());
        assertEquals("stories15M-hf", fixture.get("model").asText());
        model = Model.load(SHARED.resolve("models/stories15M-hf"));
        tokenizer = model.requireTokenizer();
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static int[] ints(JsonNode n) {
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) a[i] = n.get(i).asInt();
        return a;
    }

    @Test
    void configIsStories15M() {
        ModelConfig c = model.config();
        assertEquals(32000, c.vocabSize());
        assertEquals(288, c.hiddenSize());
        assertEquals(6, c.numLayers());
    }

    @Test
    void tokenizerEncodesPromptsAsTransformers() {
        assertTrue(fixture.get("cases").size() >= 1);
        for (JsonNode c : fixture.get("cases")) {
            assertArrayEquals(ints(c.get("input_ids")), tokenizer.encode(c.get("prompt").asText(), true),
                    "input ids of '" + c.get("prompt").asText() + "'");
        }
    }

    @Test
    void logitsWithinToleranceAndArgmaxPerPosition() {
        int vocab = model.config().vocabSize();
        for (JsonNode c : fixture.get("cases")) {
            String prompt = c.get("prompt").asText();
            int[] ids = ints(c.get("input_ids"));
            float[] logits = model.logits(ids);

            JsonNode last = c.get("last_logits");
            assertEquals(vocab, last.size());
            double worst = 0;
            int off = (ids.length - 1) * vocab;
            for (int i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(logits[off + i] - last.get(i).asDouble()));
            assertTrue(worst <= LOGIT_TOLERANCE, "'" + prompt + "': max |logit diff| " + worst + " > " + LOGIT_TOLERANCE);

            int[] argmax = new int[ids.length];
            for (int t = 0; t < ids.length; t++) argmax[t] = Sampler.argmax(logits, t * vocab, vocab);
            assertArrayEquals(ints(c.get("argmax_per_position")), argmax, "'" + prompt + "': argmax per position");
        }
    }

    @Test
    void greedyIdsAndTextEqualTransformers() {
        for (JsonNode c : fixture.get("cases")) {
            String prompt = c.get("prompt").asText();
            int[] expected = ints(c.get("greedy_ids"));
            GenerationResult r = new Generator(model, tokenizer).generate(ints(c.get("input_ids")),
                    SamplingParams.GREEDY, new StopConditions(expected.length, List.of(), true), (id, piece) -> { });
            assertArrayEquals(expected, r.tokens(), "'" + prompt + "': greedy ids");

            String text = c.get("greedy_text").asText();
            assertEquals(text, tokenizer.decode(expected, true), "'" + prompt + "': decoded greedy text");
            // transformers decoded the generated ids alone, which drops the space of a first piece "▁x"; the
            // completion is decoded after its prompt and keeps it
            String completion = tokenizer.idToToken(expected[0]).startsWith("▁") ? " " + text : text;
            assertEquals(completion, r.text(), "'" + prompt + "': completion text");
        }
    }
}
