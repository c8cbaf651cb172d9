package armor.runtime.model;

import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.DenseInt8Linear;
import armor.runtime.quant.Int8Tensors;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

/**
 * The token embedding {@code model.embed_tokens.weight} ({@code [vocab, hidden]}): a tensor in its stored float dtype,
 * or int8 with group scales ({@code model.embed_tokens.weight_scale}), held as a {@link DenseInt8Linear} so that a tied
 * LM head computes with the same int8 table instead of a second copy.
 */
public final class TokenEmbedding {
    public static final String NAME = "model.embed_tokens.weight";

    private final Tensor floats;
    private final DenseInt8Linear int8;
    private final int hidden;

    private TokenEmbedding(Tensor floats, DenseInt8Linear int8, int hidden) {
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
        if (Int8Tensors.isInt8(w, NAME))
            return new TokenEmbedding(null, new DenseInt8Linear(Int8Tensors.read(w, NAME, vocab, hidden, vocab, hidden), null), hidden);
        return new TokenEmbedding(emb, null, hidden);
    }

    /** The int8 table as a linear layer (the tied head), or null when the embedding is stored in a float dtype. */
    public DenseInt8Linear int8() {
        return int8;
    }

    /** Row {@code token}, as floats, into {@code dst[off .. off+hidden)}. */
    public void row(int token, float[] dst, int off) {
        if (int8 == null) {
            TensorFloats.read(floats, (long) token * hidden, dst, off, hidden);
            return;
        }
        int8.row(token, dst, off);
    }

    /** Bytes read to embed one token. */
    public long bytesPerToken() {
        return int8 == null ? (long) hidden * floats.dtype().bytes() : int8.weightBytes() / int8.outFeatures();
    }
}
