package armor.pruner.recover;

import armor.runtime.linear.Sparse24Linear;

import java.util.List;

/**
 * {@code y = (W ⊙ M) x + bias} with a fixed mask (a 2:4 core, or none for a dense projection). W is trained, the bias
 * is kept as it was. The pruned positions are zero in W and receive no update.
 */
final class MaskedLinear implements TrainableLinear {
    private final int in, out;
    private final Parameter weight;
    private final float[] wt;
    private final float[] bias;
    private float[] input;

    /** @param w {@code out × in} row-major, zero where {@code mask} is 0; mask null for a dense projection */
    MaskedLinear(String name, float[] w, float[] mask, float[] bias, int in, int out) {
        this.in = in;
        this.out = out;
        this.weight = Parameter.of(name, w, mask);
        this.wt = new float[w.length];
        this.bias = bias;
        refresh();
    }

    float[] weight() {
        return weight.value();
    }

    float[] mask() {
        return weight.mask();
    }

    float[] bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void forward(float[] x, float[] y, int rows) {
        input = x;
        Gemm.forward(x, wt, y, rows, in, out);
        if (bias != null) Sparse24Linear.addBias(y, bias, rows);
    }

    @Override
    public void backward(float[] dy, float[] dx, int rows, boolean accumulateDx) {
        Gemm.weightGradient(dy, input, weight.grad(), rows, in, out);
        Gemm.inputGradient(dy, weight.value(), dx, rows, in, out, accumulateDx);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight);
    }

    @Override
    public void refresh() {
        Gemm.transpose(weight.value(), wt, out, in);
    }

}
