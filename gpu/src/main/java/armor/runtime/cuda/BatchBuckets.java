package armor.runtime.cuda;

/**
 * Token counts rounded up to a few sizes, so that matmul plans (cuSPARSELt plans are built per shape, and
 * building one costs far more than a matmul) are made once per bucket and reused. Buckets are multiples of 8, the
 * dense-operand multiple cuSPARSELt wants for 16-bit types: 8, 16, 32, 64, 128, …, 2048, then multiples of 2048.
 * Activation buffers are sized to the bucket, and the padding rows are zero.
 */
public final class BatchBuckets {
    public static final int LARGEST_POWER = 2048;

    private BatchBuckets() {}

    public static int bucket(int tokens) {
        if (tokens <= 0) throw new IllegalArgumentException("batch of " + tokens + " tokens");
        if (tokens > LARGEST_POWER) return Math.multiplyExact((tokens + LARGEST_POWER - 1) / LARGEST_POWER, LARGEST_POWER);
        return Math.max(8, Integer.highestOneBit(tokens - 1) << 1);
    }
}
