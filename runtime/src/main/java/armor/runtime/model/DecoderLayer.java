package armor.runtime.model;

import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

import java.util.List;

/** The weights of one transformer block: two RMSNorms, the seven projections, and Qwen3's q/k norms. */
public final class DecoderLayer {
    public static final String Q = "self_attn.q_proj", K = "self_attn.k_proj", V = "self_attn.v_proj",
            O = "self_attn.o_proj", GATE = "mlp.gate_proj", UP = "mlp.up_proj", DOWN = "mlp.down_proj";
    /** Projection names in forward order, as they appear in Hugging Face tensor names. */
    public static final List<String> PROJECTIONS = List.of(Q, K, V, O, GATE, UP, DOWN);

    final float[] inputNorm;
    final float[] postAttentionNorm;
    final float[] qNorm;
    final float[] kNorm;
    Linear q, k, v, o, gate, up, down;

    private DecoderLayer(float[] inputNorm, float[] postAttentionNorm, float[] qNorm, float[] kNorm) {
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
    }

    static DecoderLayer load(WeightSource w, ModelConfig c, int index) {
        String p = "model.layers." + index + ".";
        int h = c.hiddenSize();
        DecoderLayer layer = new DecoderLayer(vector(w, p + "input_layernorm.weight", h),
                vector(w, p + "post_attention_layernorm.weight", h),
                c.qkNorm() ? vector(w, p + "self_attn.q_norm.weight", c.headDim()) : null,
                c.qkNorm() ? vector(w, p + "self_attn.k_norm.weight", c.headDim()) : null);
        layer.q = projection(w, c, p, Q, h, c.qDim(), c.qkvBias());
        layer.k = projection(w, c, p, K, h, c.kvDim(), c.qkvBias());
        layer.v = projection(w, c, p, V, h, c.kvDim(), c.qkvBias());
        layer.o = projection(w, c, p, O, c.qDim(), h, c.oBias());
        layer.gate = projection(w, c, p, GATE, h, c.intermediateSize(), c.mlpBias());
        layer.up = projection(w, c, p, UP, h, c.intermediateSize(), c.mlpBias());
        layer.down = projection(w, c, p, DOWN, c.intermediateSize(), h, c.mlpBias());
        return layer;
    }

    private static Linear projection(WeightSource w, ModelConfig c, String prefix, String name, int in, int out,
                                     boolean biasExpected) {
        String full = prefix + name;
        if (biasExpected && !w.has(full + ".bias")) {
            throw new CheckpointException(w.origin() + ": missing tensor " + full + ".bias (the config of "
                    + c.architecture().hfName() + " says the projection has a bias)");
        }
        return LinearLoader.load(w, full, in, out);
    }

    static float[] vector(WeightSource w, String name, int size) {
        Tensor t = w.tensor(name);
        if (t.rank() != 1 || t.dim(0) != size) {
            throw new CheckpointException(w.origin() + ": tensor " + name + " has shape " + t.shapeString()
                    + ", expected [" + size + "]");
        }
        return TensorFloats.read(t);
    }

    /** The projection named e.g. "mlp.down_proj". */
    public Linear linear(String projection) {
        return switch (projection) {
            case Q -> q;
            case K -> k;
            case V -> v;
            case O -> o;
            case GATE -> gate;
            case UP -> up;
            case DOWN -> down;
            default -> throw new IllegalArgumentException("unknown projection " + projection + ", expected one of "
                    + PROJECTIONS);
        };
    }

    /** Swaps in another implementation of a projection (e.g. its pruned version); shapes must match. */
    public void setLinear(String projection, Linear replacement) {
        Linear old = linear(projection);
        if (replacement.inFeatures() != old.inFeatures() || replacement.outFeatures() != old.outFeatures()) {
            throw new IllegalArgumentException(projection + ": replacement is " + replacement.outFeatures() + "x"
                    + replacement.inFeatures() + ", expected " + old.outFeatures() + "x" + old.inFeatures());
        }
        switch (projection) {
            case Q -> q = replacement;
            case K -> k = replacement;
            case V -> v = replacement;
            case O -> o = replacement;
            case GATE -> gate = replacement;
            case UP -> up = replacement;
            case DOWN -> down = replacement;
            default -> throw new IllegalStateException("unreachable");
        }
    }

    long weightBytes() {
        long b = 0;
        for (String p : PROJECTIONS) b += linear(p).weightBytes();
        return b + 4L * (inputNorm.length + postAttentionNorm.length);
    }
}
