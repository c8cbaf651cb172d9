package armor.runtime.model;

import armor.runtime.config.ModelConfig;
import armor.runtime.config.RopeScaling;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: within each head, element {@code i} pairs with
 * {@code i + headDim/2}, rotated by {@code position × invFreq[i]}. The frequencies follow the config's scaling type
 * (computed as in transformers' {@code ROPE_INIT_FUNCTIONS}).
 */
public final class Rope {
    private final int headDim;
    private final double theta;
    private final RopeScaling scaling;
    private final int maxPositions;
    private final double[] invFreq;

    public Rope(ModelConfig config) {
        this.headDim = config.headDim();
        this.theta = config.ropeTheta();
        this.scaling = config.ropeScaling();
        this.maxPositions = config.maxPositions();
        this.invFreq = baseFrequencies(theta);
        switch (scaling.type()) {
            case "linear" -> {
                for (int i = 0; i < invFreq.length; i++) invFreq[i] /= scaling.factor();
            }
            case "llama3" -> llama3(invFreq, scaling);
            default -> { } // "default"; "dynamic" changes the base per forward, see frequencies()
        }
    }

    private double[] baseFrequencies(double base) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = 1.0 / Math.pow(base, (2.0 * i) / headDim);
        return f;
    }

    private static void llama3(double[] invFreq, RopeScaling s) {
        double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
        for (int i = 0; i < invFreq.length; i++) {
            double wavelen = 2 * Math.PI / invFreq[i];
            if (wavelen > lowWavelen) {
                invFreq[i] = invFreq[i] / s.factor();
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                invFreq[i] = (1 - smooth) * invFreq[i] / s.factor() + smooth * invFreq[i];
            }
        }
    }

    /**
     * The inverse frequencies for a forward pass whose largest position is {@code maxPosition}. Only "dynamic"
     * depends on it: past the original context the base grows as in transformers' dynamic NTK scaling (computed
     * from the pass's own length; transformers additionally keeps the largest length seen in module state).
     */
    public double[] frequencies(int maxPosition) {
        if (!scaling.type().equals("dynamic")) return invFreq;
        int original = scaling.originalMaxPositions() > 0 ? scaling.originalMaxPositions() : maxPositions;
        int seqLen = maxPosition + 1;
        if (seqLen <= original) return invFreq;
        double f = scaling.factor();
        double base = theta * Math.pow(f * seqLen / original - (f - 1), headDim / (headDim - 2.0));
        return baseFrequencies(base);
    }

    /** Rotates {@code heads} heads stored at {@code v[off ...]} for {@code position}. */
    public void apply(float[] v, int off, int heads, int position, double[] freq) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * freq[i];
            float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int a = off + h * headDim + i, b = a + half;
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * cos - x1 * sin;
                v[b] = x1 * cos + x0 * sin;
            }
        }
    }
}
