package armor.runtime.model;

import armor.runtime.config.Architecture;
import armor.runtime.config.ModelConfig;
import armor.runtime.config.RopeScaling;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RopeTest {
    static ModelConfig config(RopeScaling s) {
        return new ModelConfig(Architecture.LLAMA, 32, 64, 1, 2, 1, 16, 10, 512, 1e-5f, 10000.0, s, true,
                false, false, false, false, 1, List.of(2), "float32");
    }

    static float[] vector() {
        float[] v = new float[32];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i + 1);
        return v;
    }

    @Test
    void rotatesHalvesByPositionTimesFrequency() {
        Rope rope = new Rope(config(RopeScaling.NONE));
        float[] v = vector(), orig = vector();
        rope.apply(v, 0, 2, 5, rope.frequencies(5));
        // head 1, pair (i, i + 8): rotation by 5 / 10000^(2i/16)
        for (int i = 0; i < 8; i++) {
            double a = 5 / Math.pow(10000, 2.0 * i / 16);
            int x = 16 + i, y = x + 8;
            assertEquals(orig[x] * Math.cos(a) - orig[y] * Math.sin(a), v[x], 1e-5);
            assertEquals(orig[y] * Math.cos(a) + orig[x] * Math.sin(a), v[y], 1e-5);
        }
    }

    @Test
    void linearScalingDividesThePosition() {
        Rope scaled = new Rope(config(new RopeScaling("linear", 4, 1, 4, 512)));
        Rope plain = new Rope(config(RopeScaling.NONE));
        float[] a = vector(), b = vector();
        scaled.apply(a, 0, 2, 12, scaled.frequencies(12));
        plain.apply(b, 0, 2, 3, plain.frequencies(3));
        assertArrayEquals(b, a, 1e-5f);
    }

    @Test
    void dynamicScalingOnlyPastTheOriginalContext() {
        Rope dyn = new Rope(config(new RopeScaling("dynamic", 2, 1, 4, 512)));
        Rope plain = new Rope(config(RopeScaling.NONE));
        assertArrayEquals(plain.frequencies(511), dyn.frequencies(511));
        double[] f = dyn.frequencies(1023); // sequence of 1024 = 2× the original: base × (2·2 − 1)^(16/14)
        double base = 10000 * Math.pow(3, 16 / 14.0);
        for (int i = 0; i < 8; i++) assertEquals(1 / Math.pow(base, 2.0 * i / 16), f[i], 1e-12);
    }

    @Test
    void llama3ScalingKeepsHighAndDividesLowFrequencies() {
        // Meta's reference apply_scaling, written out independently
        RopeScaling s = new RopeScaling("llama3", 8, 1, 4, 64);
        double[] f = new Rope(config(s)).frequencies(0);
        for (int i = 0; i < 8; i++) {
            double freq = 1 / Math.pow(10000, 2.0 * i / 16);
            double wavelen = 2 * Math.PI / freq;
            double expected;
            if (wavelen < 64 / 4.0) expected = freq;
            else if (wavelen > 64 / 1.0) expected = freq / 8;
            else {
                double smooth = (64 / wavelen - 1) / (4 - 1);
                expected = (1 - smooth) * freq / 8 + smooth * freq;
            }
            assertEquals(expected, f[i], 1e-15, "frequency " + i);
        }
    }
}
