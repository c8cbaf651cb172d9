package armor.bench;

import armor.runtime.config.ModelConfig;
import armor.runtime.kernels.Parallel;
import armor.runtime.safetensors.TensorMapWeights;
import armor.runtime.tensor.DType;
import armor.runtime.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;

/**
 * In-memory tensors of a given config with seeded random values, for benchmarks at real model shapes without
 * writing files. Projections get uniform values scaled by 1/sqrt(fan-in) (activations stay bounded through the
 * layers), norms get 1. Filled in parallel with a counter-based generator so the result does not depend on the
 * thread count.
 */
public final class RandomWeights extends TensorMapWeights implements AutoCloseable {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final DType dtype;
    private long seed;

    /** @param dtype F32, F16 or BF16 */
    public RandomWeights(ModelConfig c, DType dtype, long seed) {
        super(new LinkedHashMap<>());
        this.dtype = dtype;
        this.seed = seed;
        int h = c.hiddenSize(), inter = c.intermediateSize();
        matrix("model.embed_tokens.weight", c.vocabSize(), h, 1.0f);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            ones(p + "input_layernorm.weight", h);
            ones(p + "post_attention_layernorm.weight", h);
            matrix(p + "self_attn.q_proj.weight", c.qDim(), h, 0);
            matrix(p + "self_attn.k_proj.weight", c.kvDim(), h, 0);
            matrix(p + "self_attn.v_proj.weight", c.kvDim(), h, 0);
            matrix(p + "self_attn.o_proj.weight", h, c.qDim(), 0);
            matrix(p + "mlp.gate_proj.weight", inter, h, 0);
            matrix(p + "mlp.up_proj.weight", inter, h, 0);
            matrix(p + "mlp.down_proj.weight", h, inter, 0);
            if (c.qkvBias()) {
                for (String n : new String[]{"q_proj", "k_proj", "v_proj"}) {
                    int out = n.equals("q_proj") ? c.qDim() : c.kvDim();
                    vector(p + "self_attn." + n + ".bias", out, 0.02f);
                }
            }
            if (c.oBias()) vector(p + "self_attn.o_proj.bias", h, 0.02f);
            if (c.mlpBias()) {
                vector(p + "mlp.gate_proj.bias", inter, 0.02f);
                vector(p + "mlp.up_proj.bias", inter, 0.02f);
                vector(p + "mlp.down_proj.bias", h, 0.02f);
            }
            if (c.qkNorm()) {
                ones(p + "self_attn.q_norm.weight", c.headDim());
                ones(p + "self_attn.k_norm.weight", c.headDim());
            }
        }
        ones("model.norm.weight", h);
        if (!c.tieWordEmbeddings()) matrix("lm_head.weight", c.vocabSize(), h, 0);
    }

    private void matrix(String name, int rows, int cols, float scale) {
        fill(name, new long[]{rows, cols}, scale != 0 ? scale : (float) (1 / Math.sqrt(cols)));
    }

    private void vector(String name, int n, float scale) {
        fill(name, new long[]{n}, scale);
    }

    private void ones(String name, int n) {
        MemorySegment seg = arena.allocate((long) n * dtype.bytes(), 64);
        for (int i = 0; i < n; i++) put(seg, i, 1f);
        tensors.put(name, new Tensor(name, dtype, new long[]{n}, seg));
    }

    private void fill(String name, long[] shape, float scale) {
        long count = 1;
        for (long d : shape) count *= d;
        MemorySegment seg = arena.allocate(count * dtype.bytes(), 64);
        long s = seed++ * 0x9E3779B97F4A7C15L;
        int blocks = (int) ((count + 4095) / 4096);
        final long total = count;
        Parallel.forRange(blocks, 64, (from, to) -> {
            for (long i = (long) from * 4096, end = Math.min(total, (long) to * 4096); i < end; i++) {
                long z = mix(s + i);
                float u = ((z >>> 40) * 0x1.0p-24f) * 2f - 1f; // uniform in [-1, 1)
                put(seg, i, u * scale);
            }
        });
        tensors.put(name, new Tensor(name, dtype, shape, seg));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void put(MemorySegment seg, long i, float v) {
        switch (dtype) {
            case F32 -> seg.set(FLOAT, 4 * i, v);
            case BF16 -> seg.set(SHORT, 2 * i, (short) ((Float.floatToRawIntBits(v) + 0x8000) >>> 16));
            case F16 -> seg.set(SHORT, 2 * i, Float.floatToFloat16(v));
            default -> throw new IllegalArgumentException("random weights in " + dtype + ", expected F32, F16 or BF16");
        }
    }

    @Override
    public String origin() {
        return "random " + dtype + " weights";
    }

    @Override
    public void close() {
        arena.close();
    }
}
