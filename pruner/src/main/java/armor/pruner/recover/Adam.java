package armor.pruner.recover;

import armor.runtime.kernels.Parallel;

import java.util.List;

/**
 * Adam in float32 over the student's parameters, each moved relative to its own scale ({@link Parameter#scale}).
 * Masked positions get no gradient and no moment, so they stay exactly zero and the result stays 2:4.
 */
final class Adam {
    static final float BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;
    private final List<Parameter> parameters;
    private long step;

    Adam(List<Parameter> parameters) {
        this.parameters = parameters;
    }

    long step() {
        return step;
    }

    void restore(long step) {
        this.step = step;
    }

    /** One update with learning rate {@code lr}; clears the gradients. */
    void update(float lr) {
        step++;
        final float c1 = (float) (1 - Math.pow(BETA1, step)), c2 = (float) (1 - Math.pow(BETA2, step));
        for (Parameter p : parameters) {
            final float rate = lr * p.scale();
            final float[] w = p.value(), g = p.grad(), m = p.m(), v = p.v(), mask = p.mask();
            Parallel.forRange(w.length, 4096, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float gi = mask == null ? g[i] : g[i] * mask[i];
                    float mi = BETA1 * m[i] + (1 - BETA1) * gi;
                    float vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
                    m[i] = mi;
                    v[i] = vi;
                    w[i] -= rate * (mi / c1) / ((float) Math.sqrt(vi / c2) + EPS);
                    g[i] = 0f;
                }
            });
        }
    }
}
