package armor.pruner.recover;

import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.ArmorLinear;
import armor.runtime.linear.DenseLinear;
import armor.runtime.linear.Linear;
import armor.runtime.linear.Sparse24Core;
import armor.runtime.linear.Sparse24Linear;
import armor.runtime.linear.WeightFormat;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.model.Rope;
import armor.runtime.model.TokenEmbedding;
import armor.runtime.safetensors.WeightSource;

import java.util.ArrayList;
import java.util.List;

/**
 * The pruned model as recovery trains it: float32 copies of its continuous parameters (the kept values of every 2:4
 * core, ARMOR's A' and B', the RMSNorm weights) with the masks fixed, and the embedding and LM head frozen. Its
 * forward pass computes what the runtime computes for the same checkpoint (tested against it); its backward pass
 * gives every parameter's gradient of a loss on the logits (tested against finite differences).
 */
final class StudentModel {
    /** Turns one projection of the loaded model into its trainable form. */
    interface ProjectionFactory {
        TrainableLinear of(String name, Linear linear);
    }

    private final ModelConfig c;
    private final float[] embedding, head, headT;
    private final Parameter finalNorm;
    private final StudentLayer[] layers;
    private final Rope rope;
    private int rows;
    private float[] xLast, xnLast, invLast;

    private StudentModel(ModelConfig c, float[] embedding, float[] head, float[] finalNorm, StudentLayer[] layers) {
        this.c = c;
        this.embedding = embedding;
        this.head = head;
        this.headT = new float[head.length];
        Gemm.transpose(head, headT, c.vocabSize(), c.hiddenSize());
        this.finalNorm = Parameter.of("model.norm.weight", finalNorm, null);
        this.layers = layers;
        this.rope = new Rope(c);
    }

    /** The student of a loaded 2:4 or ARMOR model (its dense projections, if any, train without a mask). */
    static StudentModel of(Model model) {
        return of(model, StudentModel::trainable);
    }

    static StudentModel of(Model model, ProjectionFactory factory) {
        ModelConfig c = model.config();
        WeightSource w = model.weights();
        float[] emb = TensorFloats.read(w.tensor(TokenEmbedding.NAME));
        float[] head = c.tieWordEmbeddings() ? emb : TensorFloats.read(w.tensor("lm_head.weight"));
        StudentLayer[] layers = new StudentLayer[c.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            DecoderLayer dl = model.decoder().layer(l);
            List<TrainableLinear> projections = new ArrayList<>();
            for (String name : DecoderLayer.PROJECTIONS) projections.add(factory.of(p + name, dl.linear(name)));
            layers[l] = new StudentLayer(c, l, read(w, p + "input_layernorm.weight"),
                    read(w, p + "post_attention_layernorm.weight"),
                    c.qkNorm() ? read(w, p + "self_attn.q_norm.weight") : null,
                    c.qkNorm() ? read(w, p + "self_attn.k_norm.weight") : null, projections);
        }
        return new StudentModel(c, emb, head, read(w, "model.norm.weight"), layers);
    }

    private static float[] read(WeightSource w, String name) {
        return TensorFloats.read(w.tensor(name));
    }

    /**
     * The trainable form of a float projection, by its structure in the {@link WeightFormat} table: dense weights train
     * without a mask, 2:4 cores keep their mask, ARMOR layers their block sizes. The trainable forms are the pruner's,
     * so this switch stays here rather than in the runtime's table (the runtime does not see the pruner); a structure's
     * float rows are all one runtime class ({@code DenseLinear}, {@code Sparse24Linear}, {@code ArmorLinear}), which each
     * case reads. Quantized weights are refused: their float values are not what the checkpoint would store.
     */
    static TrainableLinear trainable(String name, Linear linear) {
        WeightFormat format = linear.format();
        if (format.element().scaled())
            throw new IllegalArgumentException(name + ": a " + linear.kind()
                    + " projection cannot be trained, expected a float 2:4, ARMOR or dense one");
        int in = linear.inFeatures(), out = linear.outFeatures();
        return switch (format.structure()) {
            case DENSE -> {
                DenseLinear d = (DenseLinear) linear;
                yield new MaskedLinear(name, TensorFloats.read(d.weight()), null, d.bias(), in, out);
            }
            case TWO_FOUR -> {
                Sparse24Linear s = (Sparse24Linear) linear;
                Sparse24Core core = s.core().toCore();
                yield new MaskedLinear(name, core.toDense(), maskOf(core), s.bias(), in, out);
            }
            case ARMOR -> {
                ArmorLinear a = (ArmorLinear) linear;
                Sparse24Core core = a.core().toCore();
                yield new ArmorTrainableLinear(name, a.a().toFloats(), a.a().blockSize(), core.toDense(), maskOf(core),
                        a.b().toFloats(), a.b().blockSize(), a.bias(), in, out);
            }
        };
    }

    /** 1 at the kept positions of the core, 0 elsewhere. */
    static float[] maskOf(Sparse24Core core) {
        int n = core.cols();
        float[] mask = new float[core.rows() * n];
        for (int r = 0; r < core.rows(); r++) {
            for (int g = 0; g < n / 4; g++) {
                int nib = core.nibble(r, g);
                mask[r * n + 4 * g + (nib & 3)] = 1f;
                mask[r * n + 4 * g + (nib >>> 2)] = 1f;
            }
        }
        return mask;
    }

    ModelConfig config() {
        return c;
    }

    StudentLayer layer(int l) {
        return layers[l];
    }

    int numLayers() {
        return layers.length;
    }

    Parameter finalNorm() {
        return finalNorm;
    }

    List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (StudentLayer l : layers) all.addAll(l.parameters());
        all.add(finalNorm);
        return all;
    }

    void refresh() {
        for (StudentLayer l : layers) for (TrainableLinear p : l.projections()) p.refresh();
    }

    /** Logits ({@code vocab} floats per token) for every token of {@code sequences}, all of one length, from position 0. */
    float[] forward(int[][] sequences) {
        int length = sequences[0].length, n = sequences.length * length, hdn = c.hiddenSize();
        float[] x = embed(sequences);
        double[] freq = rope.frequencies(length - 1);
        for (StudentLayer layer : layers) layer.forward(x, sequences.length, length, rope, freq);
        if (rows != n) {
            rows = n;
            xnLast = new float[n * hdn];
            invLast = new float[n];
        }
        xLast = x;
        RmsNorm.forward(x, xnLast, finalNorm.value(), invLast, n, hdn, c.rmsNormEps());
        float[] logits = new float[n * c.vocabSize()];
        Gemm.forward(xnLast, headT, logits, n, hdn, c.vocabSize());
        return logits;
    }

    /** The hidden states entering each block, and leaving the last one: {@code layers + 1} arrays (block-wise targets). */
    float[][] hiddenStates(int[][] sequences) {
        int length = sequences[0].length;
        float[] x = embed(sequences);
        double[] freq = rope.frequencies(length - 1);
        float[][] h = new float[layers.length + 1][];
        for (int l = 0; l < layers.length; l++) {
            h[l] = x.clone();
            layers[l].forward(x, sequences.length, length, rope, freq);
        }
        h[layers.length] = x;
        return h;
    }

    /**
     * Block-wise reconstruction of block {@code l}: runs it on {@code input} (the teacher's input to the block), adds
     * the gradient of {@code ‖y − target‖² / ‖target‖²} (the squared error relative to the target's energy, so that
     * every block weighs alike although the residual stream grows with depth) and returns that loss.
     */
    double reconstructBlock(int l, float[] input, float[] target, int sequences, int length) {
        float[] y = input.clone();
        layers[l].forward(y, sequences, length, rope, rope.frequencies(length - 1));
        double energy = 0, err = 0;
        for (int i = 0; i < y.length; i++) {
            energy += (double) target[i] * target[i];
            double d = y[i] - target[i];
            err += d * d;
        }
        float scale = (float) (2 / Math.max(energy, 1e-30));
        for (int i = 0; i < y.length; i++) y[i] = (y[i] - target[i]) * scale;
        layers[l].backward(y, sequences, length, rope, rope.frequencies(length - 1));
        return err / Math.max(energy, 1e-30);
    }

    private float[] embed(int[][] sequences) {
        int length = sequences[0].length, hdn = c.hiddenSize();
        float[] x = new float[sequences.length * length * hdn];
        for (int s = 0; s < sequences.length; s++) {
            if (sequences[s].length != length) throw new IllegalArgumentException("training batch: sequences of unequal length");
            for (int t = 0; t < length; t++) {
                System.arraycopy(embedding, sequences[s][t] * hdn, x, (s * length + t) * hdn, hdn);
            }
        }
        return x;
    }

    /** Adds every parameter's gradient for {@code dLogits}, the loss's gradient of the last {@link #forward}'s logits. */
    void backward(float[] dLogits, int sequences, int length) {
        int n = sequences * length, hdn = c.hiddenSize();
        float[] dxn = new float[n * hdn];
        Gemm.inputGradient(dLogits, head, dxn, n, hdn, c.vocabSize(), false);
        float[] dx = new float[n * hdn];
        RmsNorm.backward(dxn, xLast, finalNorm.value(), invLast, dx, finalNorm.grad(), n, hdn);
        double[] freq = rope.frequencies(length - 1);
        for (int l = layers.length - 1; l >= 0; l--) layers[l].backward(dx, sequences, length, rope, freq);
    }
}
