package armor.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
    /** The documented order written out in scalars: halves folded (lane i + lane i + n/2) down to 4 lanes, then in order. */
    static float sequential(float[] v) {
        float[] x = v.clone();
        while (x.length > 4) {
            float[] h = new float[x.length / 2];
            for (int i = 0; i < h.length; i++) h[i] = x[i] + x[i + h.length];
            x = h;
        }
        float s = 0f;
        for (float e : x) s += e;
        return s;
    }

    @Test
    void sumsInLaneOrderForEveryWidth() {
        Random r = new Random(7);
        for (VectorSpecies<Float> s : java.util.List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128,
                FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            for (int trial = 0; trial < 2000; trial++) {
                float[] v = new float[s.length()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
                float got = Lanes.sum(FloatVector.fromArray(s, v, 0));
                assertEquals(Float.floatToIntBits(sequential(v)), Float.floatToIntBits(got), s + " trial " + trial);
            }
        }
    }

    @Test
    void theArrayFormSumsInTheSameOrder() {
        Random r = new Random(11);
        for (int n : new int[] {2, 4, 8, 16}) {
            for (int trial = 0; trial < 2000; trial++) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
                float[] stored = new float[n + 5]; // at an offset, with neighbours it must not touch
                java.util.Arrays.fill(stored, 7f);
                System.arraycopy(v, 0, stored, 3, n);
                float got = Lanes.sum(stored, 3, n);
                assertEquals(Float.floatToIntBits(sequential(v)), Float.floatToIntBits(got), n + " lanes, trial " + trial);
                assertEquals(7f, stored[2]);
                assertEquals(7f, stored[3 + n]);
            }
        }
    }

    @Test
    void theSameInInterpretedAndCompiledCode() {
        // the first calls run interpreted, later ones compiled by C2: reduceLanes(ADD) differs between the two,
        // Lanes.sum must not
        Random r = new Random(3);
        int n = 512;
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        float[] data = new float[n * s.length()];
        for (int i = 0; i < data.length; i++) data[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        float[] first = new float[n];
        for (int i = 0; i < n; i++) first[i] = Lanes.sum(FloatVector.fromArray(s, data, i * s.length()));
        float sink = 0;
        for (int rep = 0; rep < 400; rep++) {
            for (int i = 0; i < n; i++) sink += Lanes.sum(FloatVector.fromArray(s, data, i * s.length())) * 1e-30f;
        }
        for (int i = 0; i < n; i++) {
            assertEquals(first[i], Lanes.sum(FloatVector.fromArray(s, data, i * s.length())), "vector " + i);
        }
        assertTrue(Float.isFinite(sink));
    }
}
