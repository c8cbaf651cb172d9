package armor.runtime.model;

/**
 * One independent sequence being decoded: its KV cache and how many tokens it holds (the next token's position).
 * Made by {@link Decoder#newSequence()}; {@link #free()} releases the cache (the server calls it when a request ends).
 */
public final class SequenceState {
    private final KVCache cache;
    private int length;
    private boolean freed;

    SequenceState(KVCache cache) {
        this.cache = cache;
    }

    /** Tokens already processed; the position of the next token. */
    public int length() {
        return length;
    }

    /** Forgets tokens after the first {@code n} (e.g. to reuse a shared prompt prefix). */
    public void truncate(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("truncate to " + n + ", expected 0.." + length);
        length = n;
    }

    public void free() {
        cache.free();
        freed = true;
    }

    public boolean isFreed() {
        return freed;
    }

    public long cacheBytes() {
        return cache.bytes();
    }

    KVCache cache() {
        return cache;
    }

    void advance(int n) {
        length += n;
    }
}
