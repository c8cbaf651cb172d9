package armor.runtime.cuda;

import armor.cuda.CusparseLtHandle;
import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.TensorFloats;
import armor.runtime.model.Rope;
import armor.runtime.safetensors.CheckpointException;
import armor.runtime.safetensors.WeightSource;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder (Llama / Qwen2 / Qwen3) on the GPU, the same computation as {@code armor.runtime.model.Decoder}:
 * embedding, blocks of RMSNorm → GQA attention with RoPE over a KV cache → residual → RMSNorm → SwiGLU → residual,
 * final RMSNorm, LM head. Weights are uploaded once; linear layers are dense (cuBLAS), 2:4 (cuSPARSELt) or ARMOR as
 * the checkpoint stores them; everything else runs as armor's CUDA kernels. Activations are float32 between kernels
 * and bf16 into the matrix products.
 *
 * <p>Sequences are slots {@code 0 … maxSequences-1} of a KV cache of {@code maxPositions} positions each; the caller
 * says which slot and position every token has, as the CPU decoder's steps do.
 */
public final class CudaDecoder implements AutoCloseable {
    private record Layer(DeviceBuffer inputNorm, DeviceBuffer postNorm, DeviceBuffer qNorm, DeviceBuffer kNorm,
                         CudaLinear[] linears, DeviceBuffer[] biases, DeviceBuffer kCache, DeviceBuffer vCache) {}

    private static final String[] PROJECTIONS = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
    private static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6;

    private final ModelConfig c;
    private final CudaContext cuda;
    private final CudaOps ops;
    private final CublasGemm gemm;
    private final Rope rope;
    private final Tensor embeddingTensor;
    private final DeviceBuffer embedding;
    private final List<Layer> layers = new ArrayList<>();
    private final DeviceBuffer finalNorm;
    private final CudaLinear lmHead;
    private final int maxSequences, maxPositions;
    /** Everything the constructor allocated (cuBLAS handle, buffers, layers), in order; closed in reverse. */
    private final List<AutoCloseable> owned = new ArrayList<>();
    private Workspace workspace;
    /** LM head output, {@code bucket(rows asked for) × vocab} floats; separate so a long prefill need not size it. */
    private DeviceBuffer logits;

    private CudaDecoder(ModelConfig c, CudaContext cuda, CusparseLtHandle sparse, WeightSource w, int maxSequences,
                        int maxPositions) {
        this.c = c;
        this.cuda = cuda;
        this.ops = new CudaOps(cuda);
        this.rope = new Rope(c);
        this.maxSequences = maxSequences;
        this.maxPositions = maxPositions;
        this.gemm = own(new CublasGemm(cuda));
        try {
            embeddingTensor = w.tensor("model.embed_tokens.weight");
            embedding = upload(w);
            buildLayers(w, sparse);
            finalNorm = vector(w, "model.norm.weight", c.hiddenSize());
            String head = c.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
            lmHead = own(upload(head, HostLinear.load(w, head, c.hiddenSize(), c.vocabSize()), sparse));
        } catch (RuntimeException e) {
            closeOwned(); // a failed load (bad tensor, out of memory, a core cuSPARSELt refuses) leaks nothing
            throw e;
        }
    }

    private DeviceBuffer upload(WeightSource w) {
        if (embeddingTensor.rank() != 2 || embeddingTensor.dim(0) != c.vocabSize() || embeddingTensor.dim(1) != c.hiddenSize()) {
            throw new CheckpointException(w.origin() + ": tensor model.embed_tokens.weight has shape "
                    + embeddingTensor.shapeString() + ", expected [" + c.vocabSize() + ", " + c.hiddenSize() + "]");
        }
        DeviceBuffer table = own(cuda.allocate(embeddingTensor.data().byteSize()));
        table.upload(embeddingTensor.data());
        return table;
    }

    private void buildLayers(WeightSource w, CusparseLtHandle sparse) {
        long cacheBytes = 4L * maxSequences * maxPositions * c.kvDim();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            CudaLinear[] linears = new CudaLinear[PROJECTIONS.length];
            DeviceBuffer[] biases = new DeviceBuffer[PROJECTIONS.length];
            int[][] shapes = {{c.hiddenSize(), c.qDim()}, {c.hiddenSize(), c.kvDim()}, {c.hiddenSize(), c.kvDim()},
                    {c.qDim(), c.hiddenSize()}, {c.hiddenSize(), c.intermediateSize()},
                    {c.hiddenSize(), c.intermediateSize()}, {c.intermediateSize(), c.hiddenSize()}};
            for (int j = 0; j < PROJECTIONS.length; j++) {
                HostLinear host = HostLinear.load(w, p + PROJECTIONS[j], shapes[j][0], shapes[j][1]);
                linears[j] = own(upload(p + PROJECTIONS[j], host, sparse));
                biases[j] = host.bias() == null ? null : floats(host.bias());
            }
            layers.add(new Layer(vector(w, p + "input_layernorm.weight", c.hiddenSize()),
                    vector(w, p + "post_attention_layernorm.weight", c.hiddenSize()),
                    c.qkNorm() ? vector(w, p + "self_attn.q_norm.weight", c.headDim()) : null,
                    c.qkNorm() ? vector(w, p + "self_attn.k_norm.weight", c.headDim()) : null,
                    linears, biases, own(cuda.allocate(cacheBytes)), own(cuda.allocate(cacheBytes))));
        }
    }

    /**
     * Uploads a model: weights once (2:4 cores compressed on the device), KV caches for {@code maxSequences}
     * sequences of {@code maxPositions} positions.
     */
    public static CudaDecoder load(ModelConfig c, WeightSource w, CudaContext cuda, CusparseLtHandle sparse,
                                   int maxSequences, int maxPositions) {
        return new CudaDecoder(c, cuda, sparse, w, maxSequences, Math.min(maxPositions, c.maxPositions()));
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    private void closeOwned() {
        RuntimeException first = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        owned.clear();
        if (first != null) throw first;
    }

    private DeviceBuffer floats(float[] host) {
        DeviceBuffer b = own(cuda.allocate(4L * host.length));
        b.upload(host); // owned already: freed with the rest if this fails
        return b;
    }

    private DeviceBuffer vector(WeightSource w, String name, int size) {
        Tensor t = w.tensor(name);
        if (t.rank() != 1 || t.dim(0) != size) {
            throw new CheckpointException(w.origin() + ": tensor " + name + " has shape " + t.shapeString() + ", expected [" + size + "]");
        }
        return floats(TensorFloats.read(t));
    }

    /** The projection on the GPU; a shape or value the GPU layers refuse is reported with the projection's name. */
    private CudaLinear upload(String prefix, HostLinear host, CusparseLtHandle sparse) {
        try {
            return host.upload(cuda, gemm, ops, sparse);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + ": " + e.getMessage(), e);
        }
    }

    /** Activation buffers for up to a bucket of tokens; grown when a larger batch comes. */
    private final class Workspace implements AutoCloseable {
        final int rows;
        final DeviceBuffer x, xn, xb, q, k, v, att, gate, up, tmp, scratch, tokens, seqIds, positions, rowIndex, invFreq;
        final List<DeviceBuffer> all = new ArrayList<>();

        Workspace(int tokenCount) {
            try {
                rows = BatchBuckets.bucket(tokenCount);
                int h = c.hiddenSize(), widest = Math.max(Math.max(h, c.qDim()), c.intermediateSize());
                long scratchBytes = lmHead.scratchBytes(tokenCount);
                for (Layer l : layers) for (CudaLinear lin : l.linears()) scratchBytes = Math.max(scratchBytes, lin.scratchBytes(tokenCount));
                x = alloc(4L * rows * h);
                xn = alloc(4L * rows * h);
                xb = alloc(2L * rows * widest);
                q = alloc(4L * rows * c.qDim());
                k = alloc(4L * rows * c.kvDim());
                v = alloc(4L * rows * c.kvDim());
                att = alloc(4L * rows * c.qDim());
                gate = alloc(4L * rows * c.intermediateSize());
                up = alloc(4L * rows * c.intermediateSize());
                tmp = alloc(4L * rows * h);
                scratch = alloc(Math.max(1, scratchBytes));
                tokens = alloc(4L * rows);
                seqIds = alloc(4L * rows);
                positions = alloc(4L * rows);
                rowIndex = alloc(4L * rows);
                invFreq = alloc(4L * (c.headDim() / 2));
            } catch (RuntimeException e) {
                close(); // what was allocated before the failure
                throw e;
            }
        }

        private DeviceBuffer alloc(long bytes) {
            DeviceBuffer b = cuda.allocate(bytes);
            all.add(b);
            return b;
        }

        @Override
        public void close() {
            for (DeviceBuffer b : all) b.close();
        }
    }

    /**
     * Runs the tokens (token {@code i} in sequence slot {@code seqIds[i]} at {@code positions[i]}, each slot's
     * positions contiguous from 0 over the calls) and returns the logits of the rows {@code outputRows},
     * {@code vocabSize} floats each, in that order.
     */
    public float[] forward(int[] tokenIds, int[] seqIds, int[] positions, int[] outputRows) {
        int n = tokenIds.length;
        if (n == 0 || seqIds.length != n || positions.length != n) {
            throw new IllegalArgumentException("forward: " + n + " tokens, " + seqIds.length + " sequence ids, "
                    + positions.length + " positions");
        }
        int maxLength = 0;
        for (int i = 0; i < n; i++) {
            if (seqIds[i] < 0 || seqIds[i] >= maxSequences) throw new IllegalArgumentException("sequence slot " + seqIds[i] + " of " + maxSequences);
            if (positions[i] < 0 || positions[i] >= maxPositions) throw new IllegalArgumentException("position " + positions[i] + " past the cache's " + maxPositions);
            if (tokenIds[i] < 0 || tokenIds[i] >= c.vocabSize()) throw new IllegalArgumentException("token " + tokenIds[i] + " outside the vocabulary of " + c.vocabSize());
            maxLength = Math.max(maxLength, positions[i] + 1);
        }
        for (int row : outputRows) {
            if (row < 0 || row >= n) throw new IllegalArgumentException("output row " + row + " of " + n + " tokens");
        }
        if (outputRows.length == 0 || outputRows.length > n) {
            throw new IllegalArgumentException(outputRows.length + " output rows for " + n + " tokens");
        }
        if (workspace == null || workspace.rows < n) {
            if (workspace != null) workspace.close();
            workspace = null; // a failed allocation must not leave a closed workspace behind
            workspace = new Workspace(n);
        }
        Workspace ws = workspace;
        int h = c.hiddenSize(), heads = c.numHeads(), kvHeads = c.numKvHeads(), hd = c.headDim();
        float eps = c.rmsNormEps();
        ws.tokens.upload(tokenIds);
        ws.seqIds.upload(seqIds);
        ws.positions.upload(positions);
        double[] freq = rope.frequencies(maxLength - 1);
        float[] invFreq = new float[hd / 2];
        for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) freq[i];
        ws.invFreq.upload(invFreq);

        ops.embedding(ws.x, embedding, embeddingTensor.dtype(), ws.tokens, n, h);
        for (Layer l : layers) {
            ops.rmsnorm(ws.xn, ws.x, l.inputNorm(), n, h, eps);
            ops.toBf16(ws.xb, ws.xn, n * h);
            linear(l, Q, ws.xb, ws.q, n);
            linear(l, K, ws.xb, ws.k, n);
            linear(l, V, ws.xb, ws.v, n);
            if (l.qNorm() != null) {
                ops.rmsnorm(ws.q, ws.q, l.qNorm(), n * heads, hd, eps);
                ops.rmsnorm(ws.k, ws.k, l.kNorm(), n * kvHeads, hd, eps);
            }
            ops.rope(ws.q, ws.positions, ws.invFreq, n, heads, hd, hd);
            ops.rope(ws.k, ws.positions, ws.invFreq, n, kvHeads, hd, hd);
            ops.kvStore(l.kCache(), l.vCache(), ws.k, ws.v, ws.seqIds, ws.positions, n, c.kvDim(), maxPositions);
            ops.attention(ws.att, ws.q, l.kCache(), l.vCache(), ws.seqIds, ws.positions, n, heads, kvHeads, hd,
                    maxPositions, maxLength, (float) (1 / Math.sqrt(hd)));
            ops.toBf16(ws.xb, ws.att, n * c.qDim());
            linear(l, O, ws.xb, ws.tmp, n);
            ops.add(ws.x, ws.tmp, n * h);
            ops.rmsnorm(ws.xn, ws.x, l.postNorm(), n, h, eps);
            ops.toBf16(ws.xb, ws.xn, n * h);
            linear(l, GATE, ws.xb, ws.gate, n);
            linear(l, UP, ws.xb, ws.up, n);
            ops.siluMul(ws.gate, ws.gate, ws.up, n * c.intermediateSize());
            ops.toBf16(ws.xb, ws.gate, n * c.intermediateSize());
            linear(l, DOWN, ws.xb, ws.tmp, n);
            ops.add(ws.x, ws.tmp, n * h);
        }
        ops.rmsnorm(ws.xn, ws.x, finalNorm, n, h, eps);
        // Only the rows asked for go through the LM head: gather them (the f32 embedding kernel is a row gather).
        int r = outputRows.length;
        ws.rowIndex.upload(outputRows);
        ops.embedding(ws.x, ws.xn, DType.F32, ws.rowIndex, r, h);
        ops.toBf16(ws.xb, ws.x, r * h);
        long logitBytes = 4L * BatchBuckets.bucket(r) * c.vocabSize();
        if (logits == null || logits.bytes() < logitBytes) {
            if (logits != null) logits.close();
            logits = cuda.allocate(logitBytes);
        }
        lmHead.forward(ws.xb, logits, r, ws.scratch);
        cuda.synchronize();
        float[] host = new float[r * c.vocabSize()];
        logits.download(host);
        return host;
    }

    private void linear(Layer l, int which, DeviceBuffer x, DeviceBuffer y, int n) {
        l.linears()[which].forward(x, y, n, workspace.scratch);
        DeviceBuffer bias = l.biases()[which];
        if (bias != null) ops.addBias(y, bias, n, l.linears()[which].outFeatures());
    }

    @Override
    public void close() {
        if (workspace != null) workspace.close();
        workspace = null;
        if (logits != null) logits.close();
        logits = null;
        closeOwned();
    }
}
