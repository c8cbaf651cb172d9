package armor.server.engine;

import armor.server.api.ApiException;

import java.util.Locale;

/**
 * The memory one request may take, and what a request would take: its KV caches (every choice holds the prompt and
 * its completion; a cache grows by doubling, so up to twice that) and its log-probability entries. A request over
 * the limit is refused with 400 before any work, instead of running the heap out in the middle of a step.
 *
 * @param bytesPerPosition KV-cache bytes of one position of one sequence
 * @param limitBytes       the most one request may need ({@link Long#MAX_VALUE}: no limit)
 */
public record RequestMemory(long bytesPerPosition, long limitBytes) {
    /** Bytes one log-probability entry holds besides its alternatives (a record, its arrays, the list slot). */
    static final long LOGPROB_ENTRY_BYTES = 96;
    /** Bytes one alternative of an entry holds (its token id and logprob). */
    static final long LOGPROB_ALTERNATIVE_BYTES = 8;

    public static final RequestMemory UNLIMITED = new RequestMemory(0, Long.MAX_VALUE);

    /**
     * The limit derived from the heap left once the model is loaded: half of it per request, the other half for
     * the requests that run beside it, the steps' activations and the server's buffers.
     */
    public static RequestMemory fromHeap(long bytesPerPosition) {
        Runtime rt = Runtime.getRuntime();
        if (rt.maxMemory() == Long.MAX_VALUE) return new RequestMemory(bytesPerPosition, Long.MAX_VALUE);
        long used = rt.totalMemory() - rt.freeMemory();
        return new RequestMemory(bytesPerPosition, Math.max(0, rt.maxMemory() - used) / 2);
    }

    /**
     * @param topLogprobs alternatives per entry, or -1 when the request asks for no log-probabilities
     */
    public long estimate(int promptTokens, int maxNewTokens, int n, boolean promptLogprobs, int topLogprobs, int ctx) {
        long positions = Math.min(ctx, 2L * (promptTokens + maxNewTokens));
        long bytes = n * positions * bytesPerPosition;
        if (topLogprobs >= 0) {
            long entry = LOGPROB_ENTRY_BYTES + LOGPROB_ALTERNATIVE_BYTES * topLogprobs;
            bytes += (long) n * maxNewTokens * entry;
            if (promptLogprobs) bytes += (long) n * promptTokens * entry;
        }
        return bytes;
    }

    /** Refuses (400, naming the field to change) a request that needs more than the limit. */
    void check(int promptTokens, int maxNewTokens, int n, boolean promptLogprobs, int topLogprobs, int ctx,
               String promptParam) {
        long need = estimate(promptTokens, maxNewTokens, n, promptLogprobs, topLogprobs, ctx);
        if (need <= limitBytes) return;
        String param = promptLogprobs && maxNewTokens == 0 ? promptParam : n > 1 ? "n" : "max_tokens";
        throw new ApiException(400, "invalid_request_error", param, "request_too_large", String.format(Locale.ROOT,
                "This request needs about %.1f MiB (KV caches of %d choice(s) over %d prompt + %d completion tokens"
                        + "%s), more than the %.1f MiB one request may use on this server (half the memory left after"
                        + " loading the model); send a shorter prompt, fewer tokens or fewer choices.",
                need / 1048576.0, n, promptTokens, maxNewTokens, topLogprobs >= 0 ? ", and their logprobs" : "",
                limitBytes / 1048576.0));
    }
}
