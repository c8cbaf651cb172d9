package armor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.config.Architecture;
import armor.runtime.config.ModelConfig;
import armor.runtime.config.RopeScaling;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.model.Model;
import armor.runtime.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {
    /** A Qwen3 shape (q/k norm, untied head) with 2 layers: every tensor the decoder asks for exists. */
    private static final ModelConfig QWEN3 = new ModelConfig(Architecture.QWEN3, 64, 96, 2, 4, 2, 32, 50, 128,
            1e-6f, 1e6, RopeScaling.NONE, false, false, false, false, true, 1, List.of(2), "bfloat16");

    @Test
    void randomModelOfAGivenShapeRuns() {
        try (Model m = Model.of(QWEN3, new RandomWeights(QWEN3, DType.BF16, 7))) {
            float[] logits = m.logits(new int[] {1, 2, 3});
            assertEquals(3 * 50, logits.length);
            for (float v : logits) assertTrue(Float.isFinite(v));
            assertEquals(DType.BF16, m.weights().tensor("model.layers.1.self_attn.q_norm.weight").dtype());
            // seeded: same seed, same weights; another seed, other weights
            try (RandomWeights again = new RandomWeights(QWEN3, DType.BF16, 7);
                 RandomWeights other = new RandomWeights(QWEN3, DType.BF16, 8)) {
                for (String name : m.weights().names()) {
                    assertEquals(-1, m.weights().tensor(name).data().mismatch(again.tensor(name).data()), name);
                }
                String q = "model.layers.0.self_attn.q_proj.weight";
                assertNotEquals(-1, m.weights().tensor(q).data().mismatch(other.tensor(q).data()));
            }
        }
    }

    /** Projections are uniform in ±1/sqrt(fan-in): the bound holds and the spread fills it (variance 1/(3·fan-in)). */
    @Test
    void projectionsAreScaledByFanIn() {
        try (RandomWeights w = new RandomWeights(QWEN3, DType.F32, 3)) {
            float[] down = TensorFloats.read(w.tensor("model.layers.0.self_attn.o_proj.weight")); // 64 × 128 (q dim 4·32)
            double bound = 1 / Math.sqrt(128), sq = 0;
            for (float v : down) {
                assertTrue(Math.abs(v) <= bound, v + " outside ±" + bound);
                sq += v * v;
            }
            assertEquals(1.0 / (3 * 128), sq / down.length, 0.1 / (3 * 128));
            float[] norm = TensorFloats.read(w.tensor("model.norm.weight"));
            for (float v : norm) assertEquals(1f, v);
        }
    }
}
