package armor.pruner.recover;

/**
 * The MLP's gate: {@code h = silu(g) · u}, {@code silu(g) = g·σ(g)}. Backward: {@code du = dh · silu(g)},
 * {@code dg = dh · u · σ(g)·(1 + g·(1 − σ(g)))}.
 */
final class SwiGlu {
    private SwiGlu() {}

    static void forward(float[] g, float[] u, float[] h, int n) {
        for (int i = 0; i < n; i++) {
            float x = g[i];
            h[i] = x / (1f + (float) Math.exp(-x)) * u[i];
        }
    }

    /** Overwrites {@code dg} and {@code du}. */
    static void backward(float[] dh, float[] g, float[] u, float[] dg, float[] du, int n) {
        for (int i = 0; i < n; i++) {
            float x = g[i];
            float s = 1f / (1f + (float) Math.exp(-x));
            du[i] = dh[i] * x * s;
            dg[i] = dh[i] * u[i] * s * (1f + x * (1f - s));
        }
    }
}
