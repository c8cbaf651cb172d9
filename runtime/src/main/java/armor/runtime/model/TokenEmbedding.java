package armor.runtime.model;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.quant.Int8Matrix;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

/**
 * The token embedding {@code model.embed_tokens.weight} ({@code [vocab, hidden]}): a tensor in its stored float dtype,
 * or int8 with group scales ({@code model.embed_tokens.weight_scale}), in which case a tied LM head computes with the
 * same int8 matrix instead of a second copy.
 */
public final class TokenEmbedding {
    public static final String NAME = "model.embed_tokens.weight";

    private final Tensor floats;
    private final Int8Matrix int8;
    private final int hidden;

    private TokenEmbedding(Tensor floats, Int8Matrix int8, int hidden) {
        this.floats = floats;
        this.int8 = int8;
        this.hidden = hidden;
    }

    /** Reads and checks the embedding of a {@code vocab × hidden} model. */
    public static TokenEmbedding load(WeightSource w, int vocab, int hidden) {
        Tensor emb = w.tensor(NAME);
        if (emb.rank() != 2 || emb.dim(0) != vocab || emb.dim(1) != hidden) {
            throw new CheckpointException(w.origin() + ": tensor " + NAME + " has shape " + emb.shapeString()
                    + ", expected [" + vocab + ", " + hidden + "]");
        }
        if (Int8Tensors.isInt8(w, NAME)) return new TokenEmbedding(null, Int8Tensors.read(w, NAME, vocab, hidden, vocab, hidden), hidden);
        return new TokenEmbedding(emb, null, hidden);
    }

    /** The int8 matrix, or null when the embedding is stored in a float dtype. */
    public Int8Matrix int8() {
        return int8;
    }

    /** Row {@code token}, as floats, into {@code dst[off .. off+hidden)}. */
    public void row(int token, float[] dst, int off) {
        if (int8 == null) {
            TensorFloats.read(floats, (long) token * hidden, dst, off, hidden);
            return;
        }
        byte[] q = int8.values();
        int g = int8.groupSize(), gpr = int8.groupsPerRow(), base = token * hidden;
        for (int c = 0; c < hidden; c++) dst[off + c] = q[base + c] * int8.scales()[token * gpr + c / g];
    }

    /** Bytes read to embed one token. */
    public long bytesPerToken() {
        return int8 == null ? (long) hidden * floats.dtype().bytes() : hidden + 4L * int8.groupsPerRow();
    }
}
