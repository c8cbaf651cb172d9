package armor.pruner.recover;

import java.util.List;

/**
 * A projection of the student with its trained parameters. {@link #forward} keeps what {@link #backward} needs (its
 * input and intermediates), so each forward must be followed by at most one backward over the same rows before the
 * next forward.
 */
interface TrainableLinear {
    int inFeatures();

    int outFeatures();

    /** {@code y[rows×out] = f(x[rows×in])}; {@code x} must stay unchanged until {@link #backward}. */
    void forward(float[] x, float[] y, int rows);

    /** Adds the parameters' gradients for {@code dy} and writes (or adds to) {@code dx}. */
    void backward(float[] dy, float[] dx, int rows, boolean accumulateDx);

    List<Parameter> parameters();

    /** Called after the optimizer moved the parameters: rebuilds derived copies (transposes). */
    void refresh();
}
