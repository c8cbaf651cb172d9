package armor.pruner.calib;

import armor.runtime.model.ActivationObserver;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.model.SequenceState;
import armor.runtime.model.Step;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects, from the runtime's forward pass, what the pruning methods need about the input of each projection:
 * the per-feature sum of squares {@code Σ_t x_tj²} (Wanda, NoWag-P, ARMOR) and optionally the full Gram matrix
 * {@code XᵀX} (SparseGPT), accumulated in double over all calibration tokens. Only the layers asked for are kept,
 * and only one accumulator per distinct input (q/k/v share one, gate/up another), so memory stays bounded by the
 * statistics, never the activations.
 */
public final class ActivationStatistics implements ActivationObserver {
    /** Accumulators of one distinct projection input. */
    public static final class Input {
        final int features;
        final double[] sumSq;
        final double[] gram; // features × features, lower triangle filled during accumulation; null when not wanted
        long tokens;

        Input(int features, boolean withGram) {
            this.features = features;
            this.sumSq = new double[features];
            this.gram = withGram ? new double[features * features] : null;
        }

        /** Per-feature sum of squares in double, as accumulated (a copy). */
        public double[] sums() {
            return sumSq.clone();
        }

        /** Per-feature sum of squares, as float. */
        public float[] sumOfSquares() {
            float[] out = new float[features];
            for (int j = 0; j < features; j++) out[j] = (float) sumSq[j];
            return out;
        }

        /** The full symmetric {@code XᵀX} (features × features). */
        public double[] gram() {
            if (gram == null) throw new IllegalStateException("Gram matrix was not collected");
            double[] g = gram.clone();
            for (int i = 0; i < features; i++) for (int j = 0; j < i; j++) g[j * features + i] = g[i * features + j];
            return g;
        }

        public long tokens() {
            return tokens;
        }
    }

    private final int firstLayer, endLayer;
    private final boolean withGram;
    private final Map<String, Input> inputs = new HashMap<>();

    /** Collects for layers {@code [firstLayer, endLayer)}. */
    public ActivationStatistics(int firstLayer, int endLayer, boolean withGram) {
        this.firstLayer = firstLayer;
        this.endLayer = endLayer;
        this.withGram = withGram;
    }

    /** Called after each calibration sample: {@code done} of {@code total}. */
    public interface Progress {
        void sample(int done, int total);
    }

    /**
     * Runs the model over {@code samples} (one sequence of at most {@code seq} tokens at a time, as the model stands:
     * the sequential methods call this with the layers before {@code from} already replaced) and collects the
     * statistics of layers {@code [from, to)}.
     */
    public static ActivationStatistics collect(Model model, List<int[]> samples, int seq, int from, int to, boolean gram,
                                               Progress progress) {
        ActivationStatistics stats = new ActivationStatistics(from, to, gram);
        for (int i = 0; i < samples.size(); i++) {
            SequenceState state = model.newSequence(seq);
            try {
                model.forward(List.of(Step.of(state, samples.get(i))), false, stats);
            } finally {
                state.free();
            }
            progress.sample(i + 1, samples.size());
        }
        return stats;
    }

    /** The projection whose input array {@code projection} shares (q/k/v → q, gate/up → gate). */
    public static String inputOf(String projection) {
        return switch (projection) {
            case DecoderLayer.K, DecoderLayer.V -> DecoderLayer.Q;
            case DecoderLayer.UP -> DecoderLayer.GATE;
            default -> projection;
        };
    }

    /** Layers after the last collected one need not run. */
    @Override
    public int lastLayer() {
        return endLayer - 1;
    }

    @Override
    public void observe(int layer, String projection, float[] x, int tokens) {
        if (layer < firstLayer || layer >= endLayer) return;
        if (!inputOf(projection).equals(projection)) return; // same array as an input already counted
        int n = x.length / tokens;
        Input in = inputs.computeIfAbsent(key(layer, projection), k -> new Input(n, withGram));
        in.tokens += tokens;
        for (int t = 0; t < tokens; t++) {
            int o = t * n;
            for (int j = 0; j < n; j++) in.sumSq[j] += (double) x[o + j] * x[o + j];
        }
        if (in.gram != null) accumulateGram(in.gram, x, tokens, n);
    }

    /** Lower triangle of XᵀX += over the rows of x, computed in float per row and summed in double. */
    private static void accumulateGram(double[] gram, float[] x, int tokens, int n) {
        for (int t = 0; t < tokens; t++) {
            int o = t * n;
            for (int i = 0; i < n; i++) {
                float xi = x[o + i];
                if (xi == 0f) continue;
                int g = i * n;
                for (int j = 0; j <= i; j++) gram[g + j] += (double) xi * x[o + j];
            }
        }
    }

    /** The statistics of the input of {@code projection} in {@code layer}; null when none were observed. */
    public Input input(int layer, String projection) {
        return inputs.get(key(layer, inputOf(projection)));
    }

    private static String key(int layer, String projection) {
        return layer + "/" + projection;
    }
}
