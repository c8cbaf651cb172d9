package armor.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import armor.runtime.config.ConfigReader;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.HalfFloat;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.CheckpointWeights;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The GPU path's host-side weight loading against the CPU runtime's layers of the same checkpoint. */
class HostLinearTest {
    private static final Path MODEL = Path.of(System.getProperty("armor.shared", "../shared"), "models", "tiny-qwen2-random");

    @Test
    void denseProjectionsComputeWhatTheCpuLayersCompute() {
        ModelConfig c = ConfigReader.read(MODEL);
        Random r = new Random(51);
        try (CheckpointWeights w = CheckpointWeights.open(MODEL)) {
            String[][] projections = {{"model.layers.0.self_attn.q_proj", "" + c.hiddenSize(), "" + c.qDim()},
                    {"model.layers.1.mlp.down_proj", "" + c.intermediateSize(), "" + c.hiddenSize()}};
            for (String[] p : projections) {
                int in = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
                HostLinear host = HostLinear.load(w, p[0], in, out);
                HostLinear.Dense dense = assertInstanceOf(HostLinear.Dense.class, host);
                Linear cpu = LinearLoader.load(w, p[0], in, out);
                float[] x = new float[in];
                for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
                float[] expected = new float[out];
                cpu.forward(x, expected, 1);
                for (int o = 0; o < out; o++) {
                    double y = dense.bias() == null ? 0 : dense.bias()[o];
                    for (int i = 0; i < in; i++) y += HalfFloat.bf16ToFloat(dense.weight()[o * in + i]) * x[i];
                    assertEquals(expected[o], y, 1e-3 * Math.max(1, Math.abs(expected[o])), p[0] + " output " + o);
                }
            }
            // Qwen2's q projection has a bias, and it must have come along.
            assertTrue(HostLinear.load(w, "model.layers.0.self_attn.q_proj", c.hiddenSize(), c.qDim()).bias() != null);
            CheckpointException wrong = assertThrows(CheckpointException.class,
                    () -> HostLinear.load(w, "model.layers.0.self_attn.q_proj", c.hiddenSize() + 1, c.qDim()));
            assertTrue(wrong.getMessage().contains("model.layers.0.self_attn.q_proj.weight has shape"), wrong.getMessage());
        }
    }
}
