package armor.runtime.model;

import java.util.Arrays;

/**
 * Keys and values of one sequence, per layer, row-major by position ({@code kvDim} floats a position). Grows by
 * doubling up to the model's context length, so short sequences of long-context models stay small.
 */
public final class KVCache {
    private final int layers;
    private final int kvDim;
    private final int maxPositions;
    private float[][] keys;
    private float[][] values;
    private int capacity;

    KVCache(int layers, int kvDim, int maxPositions, int initialCapacity) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.maxPositions = maxPositions;
        allocate(Math.min(maxPositions, Math.max(1, initialCapacity)));
    }

    private void allocate(int cap) {
        float[][] k = new float[layers][], v = new float[layers][];
        for (int l = 0; l < layers; l++) {
            k[l] = keys == null ? new float[cap * kvDim] : Arrays.copyOf(keys[l], cap * kvDim);
            v[l] = values == null ? new float[cap * kvDim] : Arrays.copyOf(values[l], cap * kvDim);
        }
        keys = k;
        values = v;
        capacity = cap;
    }

    void ensureCapacity(int positions) {
        if (positions <= capacity) return;
        allocate((int) Math.min(maxPositions, Math.max(positions, 2L * capacity)));
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    int capacity() {
        return capacity;
    }

    /** Bytes held (keys and values of all layers). */
    public long bytes() {
        return keys == null ? 0 : 8L * layers * capacity * kvDim;
    }

    void free() {
        keys = null;
        values = null;
        capacity = 0;
    }
}
