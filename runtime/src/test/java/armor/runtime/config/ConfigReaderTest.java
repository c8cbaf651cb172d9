package armor.runtime.config;

import armor.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigReaderTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    static ModelConfig parse(String json) throws Exception {
        return ConfigReader.parse("config.json", new ObjectMapper().readTree(json));
    }

    static String error(String json) throws Exception {
        JsonNode n = new ObjectMapper().readTree(json);
        return assertThrows(CheckpointException.class, () -> ConfigReader.parse("config.json", n)).getMessage();
    }

    static final String BASE = "\"hidden_size\":64,\"intermediate_size\":128,\"num_hidden_layers\":2,"
            + "\"num_attention_heads\":4,\"vocab_size\":100";

    @Test
    void olderStyleTopLevelRopeTheta() {
        ModelConfig c = ConfigReader.read(SHARED.resolve("models/stories260K-hf"));
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals("default", c.ropeScaling().type());
        assertEquals(8, c.headDim());
        assertEquals(4, c.numKvHeads());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(List.of(2), c.eosTokenIds());
    }

    @Test
    void newerStyleRopeParameters() {
        ModelConfig c = ConfigReader.read(SHARED.resolve("models/tiny-qwen2-random"));
        assertEquals(Architecture.QWEN2, c.architecture());
        assertEquals(1e6, c.ropeTheta());
        assertEquals(32, c.headDim()); // hidden / heads: no head_dim field
        assertTrue(c.qkvBias());
        assertFalse(c.oBias());
    }

    @Test
    void llama3ScalingAndUntiedHead() {
        ModelConfig c = ConfigReader.read(SHARED.resolve("models/tiny-llama3-random"));
        assertEquals("llama3", c.ropeScaling().type());
        assertEquals(8.0, c.ropeScaling().factor());
        assertEquals(256, c.ropeScaling().originalMaxPositions());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void qwen3HasQkNormsAndExplicitHeadDim() throws Exception {
        ModelConfig c = parse("{\"architectures\":[\"Qwen3ForCausalLM\"]," + BASE
                + ",\"head_dim\":32,\"num_key_value_heads\":2,\"rope_theta\":1000000,\"eos_token_id\":[5,6]}");
        assertTrue(c.qkNorm());
        assertFalse(c.qkvBias());
        assertEquals(32, c.headDim());
        assertEquals(128, c.qDim());
        assertEquals(List.of(5, 6), c.eosTokenIds());
    }

    @Test
    void ropeTypesInBothStyles() throws Exception {
        ModelConfig lin = parse("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE
                + ",\"rope_scaling\":{\"type\":\"linear\",\"factor\":2.0}}");
        assertEquals("linear", lin.ropeScaling().type());
        assertEquals(2.0, lin.ropeScaling().factor());
        ModelConfig dyn = parse("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE
                + ",\"max_position_embeddings\":512,\"rope_parameters\":{\"rope_type\":\"dynamic\",\"factor\":4.0,\"rope_theta\":5000}}");
        assertEquals("dynamic", dyn.ropeScaling().type());
        assertEquals(5000.0, dyn.ropeTheta());
        assertEquals(512, dyn.ropeScaling().originalMaxPositions());
    }

    @Test
    void unsupportedRopeType() throws Exception {
        String m = error("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE
                + ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4.0}}");
        assertTrue(m.contains("config.json") && m.contains("rope_scaling.rope_type yarn")
                && m.contains("expected one of default, linear, dynamic, llama3"), m);
    }

    @Test
    void unsupportedArchitecture() throws Exception {
        String m = error("{\"architectures\":[\"MistralForCausalLM\"]," + BASE + "}");
        assertTrue(m.contains("config.json") && m.contains("MistralForCausalLM") && m.contains("Qwen3ForCausalLM"), m);
    }

    @Test
    void missingAndBadFields() throws Exception {
        String m = error("{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":64}");
        assertTrue(m.contains("missing field num_attention_heads"), m);
        m = error("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE.replace("\"vocab_size\":100", "\"vocab_size\":-3") + "}");
        assertTrue(m.contains("vocab_size") && m.contains("-3") && m.contains("positive integer"), m);
        m = error("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE + ",\"num_key_value_heads\":3}");
        assertTrue(m.contains("not a multiple of num_key_value_heads 3"), m);
        m = error("{\"architectures\":[\"LlamaForCausalLM\"]," + BASE
                + ",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}}");
        assertTrue(m.contains("rope_scaling.low_freq_factor"), m);
    }

    @Test
    void slidingWindowAttentionIsRefused() throws Exception {
        String m = error("{\"architectures\":[\"Qwen2ForCausalLM\"]," + BASE + ",\"use_sliding_window\":true,\"sliding_window\":64}");
        assertTrue(m.contains("config.json") && m.contains("use_sliding_window") && m.contains("expected false"), m);
    }

    @Test
    void missingConfigFile() {
        String m = assertThrows(CheckpointException.class, () -> ConfigReader.read(Path.of("/nonexistent-dir"))).getMessage();
        assertTrue(m.contains("config.json") && m.contains("not found"), m);
    }
}
