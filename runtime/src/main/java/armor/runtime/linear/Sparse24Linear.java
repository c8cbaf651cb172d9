package armor.runtime.linear;

/**
 * A linear layer whose weight is a 2:4 core: {@code y = C x + bias}, reading only the packed values and positions; the
 * core's storage ({@link SparseCore}) decides the element type and kernels.
 */
public final class Sparse24Linear implements Linear {
    private final SparseCore core;
    private final float[] bias;

    /** @param bias the {@code outFeatures} bias, or null */
    public Sparse24Linear(SparseCore core, float[] bias) {
        if (bias != null && bias.length != core.rows())
            throw new IllegalArgumentException("2:4 linear: bias has " + bias.length + " entries, expected " + core.rows());
        this.core = core;
        this.bias = bias;
    }

    public SparseCore core() {
        return core;
    }

    public float[] bias() {
        return bias;
    }

    /** The core with zeros at pruned positions. */
    @Override
    public float[] denseWeight() {
        return core.toCore().toDense();
    }

    @Override
    public int inFeatures() {
        return core.cols();
    }

    @Override
    public int outFeatures() {
        return core.rows();
    }

    @Override
    public void forward(float[] x, float[] y, int tokens) {
        core.multiply(x, y, tokens);
        if (bias != null) addBias(y, bias, tokens);
    }

    /** y_t += bias for each of the {@code tokens} rows of y (also the pruner's trainable linears). */
    public static void addBias(float[] y, float[] bias, int tokens) {
        int n = bias.length;
        for (int t = 0; t < tokens; t++) for (int i = 0; i < n; i++) y[t * n + i] += bias[i];
    }

    @Override
    public long weightBytes() {
        return core.bytes() + (bias == null ? 0 : 4L * bias.length);
    }

    @Override
    public WeightFormat format() {
        return core.format(Structure.TWO_FOUR);
    }
}
