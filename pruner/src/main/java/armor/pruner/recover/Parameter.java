package armor.pruner.recover;

/**
 * One trained tensor of the student: its float32 values, the gradient summed over a step, Adam's two moments, and,
 * for a 2:4 core, the fixed mask (1 kept, 0 pruned) that keeps pruned positions at exactly zero.
 *
 * @param scale the tensor's RMS when training started: Adam moves each value by about {@code lr × scale} a step,
 *              so one learning rate suits norms near 1, weights near 0.02 and A'/B' blocks with scalings folded in
 */
record Parameter(String name, float[] value, float[] grad, float[] m, float[] v, float[] mask, float scale) {
    static Parameter of(String name, float[] value, float[] mask) {
        double ss = 0;
        long n = 0;
        for (int i = 0; i < value.length; i++) {
            if (mask != null && mask[i] == 0f) continue;
            ss += (double) value[i] * value[i];
            n++;
        }
        float rms = n == 0 ? 1f : (float) Math.sqrt(ss / n);
        return new Parameter(name, value, new float[value.length], new float[value.length], new float[value.length],
                mask, rms > 0 ? rms : 1f);
    }

    void zeroGrad() {
        java.util.Arrays.fill(grad, 0f);
    }
}
