package armor.runtime.model;

import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.AttentionKernels;
import armor.runtime.kernels.Parallel;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.linear.Linear;
import armor.runtime.linear.LinearLoader;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decoder-only transformer (Llama / Qwen2 / Qwen3): embedding, blocks of RMSNorm → GQA attention with RoPE →
 * residual → RMSNorm → SwiGLU MLP → residual, final RMSNorm, LM head.
 *
 * <p>One {@link #forward} serves prefill and batched decode alike: the tokens of all steps are stacked into rows,
 * every projection runs once over all rows (matrix-matrix), and attention runs per row against the row's own
 * sequence's KV cache (so rows of one prompt are causal among themselves, and rows of different sequences never
 * see each other).
 */
public final class Decoder {
    /**
     * Forward passes whose layers ran on one row, i.e. through the one-token (decode) kernels, process-wide. Those
     * kernels sum lanes with {@code reduceLanes(ADD)}, whose order depends on whether the JIT compiled them yet, so
     * pruning must never reach them (its output would differ between runs); the count makes that checkable
     * ({@code OneTokenKernelsTest} in the pruner). A LongAdder: one add per pass, no contention on the decode path.
     */
    private static final LongAdder ONE_ROW_PASSES = new LongAdder();

    /** How many forward passes so far ran their decoder layers on a single row. */
    public static long oneRowPasses() {
        return ONE_ROW_PASSES.sum();
    }

    private final ModelConfig config;
    private final TokenEmbedding embedding;
    private final DecoderLayer[] layers;
    private final float[] finalNorm;
    private final Rope rope;
    private final Linear lmHead;

    private Decoder(ModelConfig config, TokenEmbedding embedding, DecoderLayer[] layers, float[] finalNorm, Linear lmHead) {
        this.config = config;
        this.embedding = embedding;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.rope = new Rope(config);
    }

    /** Builds the decoder from checkpoint tensors; each missing or misshapen tensor is named in the error. */
    public static Decoder load(ModelConfig c, WeightSource w) {
        requireLayerCount(c, w);
        TokenEmbedding emb = TokenEmbedding.load(w, c.vocabSize(), c.hiddenSize());
        DecoderLayer[] layers = new DecoderLayer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) layers[i] = DecoderLayer.load(w, c, i);
        float[] norm = DecoderLayer.vector(w, "model.norm.weight", c.hiddenSize());
        Linear head;
        if (c.tieWordEmbeddings() && emb.int8() != null) {
            head = emb.int8(); // one copy of the int8 table serves both
        } else if (c.tieWordEmbeddings()) {
            head = LinearLoader.load(w, "model.embed_tokens", c.hiddenSize(), c.vocabSize());
        } else {
            if (!w.has("lm_head.weight")) {
                throw new CheckpointException(w.origin() + ": missing tensor lm_head.weight "
                        + "(config.json has tie_word_embeddings false)");
            }
            head = LinearLoader.load(w, "lm_head", c.hiddenSize(), c.vocabSize());
        }
        return new Decoder(c, emb, layers, norm, head);
    }

    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile("model\\.layers\\.(\\d{1,6})\\..*");

    /**
     * The checkpoint must hold exactly the layers config.json names: with fewer a tensor is missing, with more the
     * extra layers would be silently skipped and the model would produce garbage.
     */
    private static void requireLayerCount(ModelConfig c, WeightSource w) {
        int stored = 0;
        for (String name : w.names()) {
            java.util.regex.Matcher m = LAYER.matcher(name);
            if (m.matches()) stored = Math.max(stored, Integer.parseInt(m.group(1)) + 1);
        }
        if (stored != c.numLayers()) {
            throw new CheckpointException(w.origin() + ": holds " + stored + " decoder layers (model.layers.0 to "
                    + (stored - 1) + "), but config.json field num_hidden_layers is " + c.numLayers()
                    + "; expected them to match");
        }
    }

    public ModelConfig config() {
        return config;
    }

    public int numLayers() {
        return layers.length;
    }

    public DecoderLayer layer(int index) {
        return layers[index];
    }

    public Linear lmHead() {
        return lmHead;
    }

    /** Bytes of weights read to decode one token (all projections and the LM head; one embedding row). */
    public long weightBytesPerToken() {
        long b = lmHead.weightBytes() + 4L * finalNorm.length + embedding.bytesPerToken();
        for (DecoderLayer l : layers) b += l.weightBytes();
        return b;
    }

    /** A new empty sequence whose KV cache starts with room for {@code expectedTokens} (it grows as needed). */
    public SequenceState newSequence(int expectedTokens) {
        return new SequenceState(new KVCache(layers.length, config.kvDim(), config.maxPositions(),
                Math.max(16, expectedTokens)));
    }

    /**
     * Runs the steps' tokens through the model and appends them to their sequences.
     *
     * @param allPositions logits for every token (rows in step order) instead of only each step's last token
     * @param observer     sees every projection's input, or null
     * @return logits, {@code vocabSize} floats per returned row; null when the observer's
     *         {@link ActivationObserver#lastLayer} ended the pass early
     */
    public float[] forward(List<Step> steps, boolean allPositions, ActivationObserver observer) {
        final int n = validate(steps);
        requireArrays(n, allPositions ? n : steps.size());
        final int hidden = config.hiddenSize(), qDim = config.qDim(), kvDim = config.kvDim();
        final int heads = config.numHeads(), kvHeads = config.numKvHeads(), inter = config.intermediateSize();
        final float eps = config.rmsNormEps();

        // Row bookkeeping: which sequence and position each stacked token belongs to.
        final int[] rowStep = new int[n];
        final int[] rowPos = new int[n];
        int maxPos = 0;
        for (int s = 0, i = 0; s < steps.size(); s++) {
            Step st = steps.get(s);
            st.sequence().cache().ensureCapacity(st.sequence().length() + st.tokens().length);
            for (int t = 0; t < st.tokens().length; t++, i++) {
                rowStep[i] = s;
                rowPos[i] = st.sequence().length() + t;
                maxPos = Math.max(maxPos, rowPos[i]);
            }
        }
        final double[] freq = rope.frequencies(maxPos);

        float[] x = new float[n * hidden];
        for (int s = 0, i = 0; s < steps.size(); s++) {
            for (int token : steps.get(s).tokens()) {
                embedding.row(token, x, i * hidden);
                i++;
            }
        }
        float[] xn = new float[n * hidden];
        float[] q = new float[n * qDim], k = new float[n * kvDim], v = new float[n * kvDim];
        float[] att = new float[n * qDim];
        float[] tmp = new float[n * hidden];
        float[] gate = new float[n * inter], up = new float[n * inter];

        if (n == 1) ONE_ROW_PASSES.increment();
        for (int l = 0; l < layers.length; l++) {
            DecoderLayer layer = layers[l];
            rmsNorm(x, xn, layer.inputNorm, n, hidden, eps);
            if (observer != null) {
                observer.observe(l, DecoderLayer.Q, xn, n);
                observer.observe(l, DecoderLayer.K, xn, n);
                observer.observe(l, DecoderLayer.V, xn, n);
            }
            layer.q.forward(xn, q, n);
            layer.k.forward(xn, k, n);
            layer.v.forward(xn, v, n);
            if (layer.qNorm != null) {
                rmsNorm(q, q, layer.qNorm, n * heads, config.headDim(), eps);
                rmsNorm(k, k, layer.kNorm, n * kvHeads, config.headDim(), eps);
            }
            for (int i = 0; i < n; i++) {
                rope.apply(q, i * qDim, heads, rowPos[i], freq);
                rope.apply(k, i * kvDim, kvHeads, rowPos[i], freq);
                KVCache cache = steps.get(rowStep[i]).sequence().cache();
                System.arraycopy(k, i * kvDim, cache.keys(l), rowPos[i] * kvDim, kvDim);
                System.arraycopy(v, i * kvDim, cache.values(l), rowPos[i] * kvDim, kvDim);
            }
            attention(l, steps, rowStep, rowPos, q, att, n);
            if (observer != null) observer.observe(l, DecoderLayer.O, att, n);
            layer.o.forward(att, tmp, n);
            for (int i = 0; i < x.length; i++) x[i] += tmp[i];

            rmsNorm(x, xn, layer.postAttentionNorm, n, hidden, eps);
            if (observer != null) {
                observer.observe(l, DecoderLayer.GATE, xn, n);
                observer.observe(l, DecoderLayer.UP, xn, n);
            }
            layer.gate.forward(xn, gate, n);
            layer.up.forward(xn, up, n);
            swiGlu(gate, up);
            if (observer != null) {
                observer.observe(l, DecoderLayer.DOWN, gate, n);
                if (l >= observer.lastLayer()) return null; // the observer has seen all it needs
            }
            layer.down.forward(gate, tmp, n);
            for (int i = 0; i < x.length; i++) x[i] += tmp[i];
        }
        for (Step st : steps) st.sequence().advance(st.tokens().length);

        int rows = allPositions ? n : steps.size();
        float[] selected = new float[rows * hidden];
        if (allPositions) {
            rmsNorm(x, selected, finalNorm, n, hidden, eps);
        } else {
            for (int s = 0, end = 0; s < steps.size(); s++) {
                end += steps.get(s).tokens().length;
                System.arraycopy(x, (end - 1) * hidden, selected, s * hidden, hidden);
            }
            rmsNorm(selected, selected, finalNorm, rows, hidden, eps);
        }
        float[] logits = new float[rows * config.vocabSize()];
        lmHead.forward(selected, logits, rows);
        return logits;
    }

    /** Every buffer of a pass is one Java array: refuses a pass whose largest would not fit an int index. */
    private void requireArrays(int rows, int logitRows) {
        long widest = Math.max(Math.max(config.hiddenSize(), config.qDim()), config.intermediateSize());
        long most = Math.max((long) rows * widest, (long) logitRows * config.vocabSize());
        if (most > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("forward: " + rows + " tokens (" + logitRows + " logit rows of "
                    + config.vocabSize() + ") in one pass need an array of " + most
                    + " floats, more than a Java array holds; expected fewer tokens per pass");
        }
    }

    private int validate(List<Step> steps) {
        if (steps.isEmpty()) throw new IllegalArgumentException("forward: no steps");
        Map<SequenceState, Boolean> seen = new IdentityHashMap<>();
        long n = 0;
        for (Step st : steps) {
            SequenceState seq = st.sequence();
            if (seq.isFreed()) throw new IllegalArgumentException("forward: sequence was freed");
            if (seen.put(seq, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("forward: the same sequence appears twice in one batch");
            }
            if (st.tokens().length == 0) throw new IllegalArgumentException("forward: a step has no tokens");
            for (int t : st.tokens()) {
                if (t < 0 || t >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
            int total = seq.length() + st.tokens().length;
            if (total > config.maxPositions()) {
                throw new IllegalArgumentException("sequence of " + total + " tokens (" + seq.length()
                        + " cached + " + st.tokens().length + " new) exceeds the context length "
                        + config.maxPositions() + " (max_position_embeddings in config.json)");
            }
            n += st.tokens().length;
        }
        if (n * Math.max(config.intermediateSize(), config.qDim()) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("forward: " + n + " tokens in one pass is too many; split the prompt");
        }
        return (int) n;
    }

    /** Causal grouped-query attention of every (row, head) against its own sequence's cache. */
    private void attention(int layer, List<Step> steps, int[] rowStep, int[] rowPos, float[] q, float[] att, int n) {
        final int heads = config.numHeads(), hd = config.headDim(), qDim = config.qDim(), kvDim = config.kvDim();
        final int group = heads / config.numKvHeads();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        int longest = 0;
        for (int i = 0; i < n; i++) longest = Math.max(longest, rowPos[i] + 1);
        Parallel.RangeBody units = (from, to) -> {
            float[] scores = null;
            for (int unit = from; unit < to; unit++) {
                int i = unit / heads, h = unit % heads;
                int len = rowPos[i] + 1;
                if (scores == null || scores.length < len) scores = new float[Math.max(len, 64)];
                KVCache cache = steps.get(rowStep[i]).sequence().cache();
                float[] keys = cache.keys(layer), values = cache.values(layer);
                int qo = i * qDim + h * hd, kvo = (h / group) * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) {
                    float s = AttentionKernels.dot(q, qo, keys, t * kvDim + kvo, hd) * scale;
                    scores[t] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int t = 0; t < len; t++) {
                    float e = (float) Math.exp(scores[t] - max);
                    scores[t] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int t = 0; t < len; t++) scores[t] *= inv;
                AttentionKernels.weightedSum(scores, 0, len, values, kvo, kvDim, att, i * qDim + h * hd, hd);
            }
        };
        // Short contexts of small models cost less than handing work to another thread.
        if ((long) n * heads * longest * hd < (1 << 15)) units.run(0, n * heads);
        else Parallel.forRange(n * heads, 1, units);
    }

    /** {@code out[r] = in[r] / rms(in[r]) * weight} for {@code rows} rows of {@code size}; in and out may alias. */
    static void rmsNorm(float[] in, float[] out, float[] weight, int rows, int size, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * size;
            float ss = 0;
            for (int i = 0; i < size; i++) ss += in[o + i] * in[o + i];
            float inv = (float) (1.0 / Math.sqrt(ss / size + eps));
            for (int i = 0; i < size; i++) out[o + i] = weight[i] * (in[o + i] * inv);
        }
    }

    /** {@code gate = silu(gate) * up}. */
    static void swiGlu(float[] gate, float[] up) {
        for (int i = 0; i < gate.length; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
