package armor.runtime.generate;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Continuous batching on one thread that owns the model. Each step is one pass over the weights that advances every
 * running sequence by one token and, in the same pass, feeds the next chunk of the prompts of sequences joining
 * from the queue (as many as free batch slots allow; long prompts take several steps, so running streams never
 * stall behind them); finished and cancelled sequences leave between steps, their KV caches freed.
 * The queue of waiting sequences is bounded; a full queue refuses new work ({@link SchedulerRefusal}).
 * <p>
 * A paused sequence ({@link SequenceHandle#pause}: its client is not taking the output) takes no step and leaves its
 * batch slot to others; it keeps its KV cache and counts against the queue bound instead (it waits, on its client),
 * so at most {@code maxBatch + maxQueue} sequences hold a cache, and a full queue refuses new work sooner.
 * <p>
 * This is the one generation loop: the server runs many sequences on it, {@link Generator} ({@code armor generate},
 * {@code armor chat}) one at a time.
 */
public final class BatchScheduler<S> implements AutoCloseable {
    private final BatchDecoder<S> decoder;
    private final int maxBatch;
    private final int maxQueue;
    private final int prefillChunk;
    private final SchedulerMetrics metrics;
    private final Thread thread;

    private final Object lock = new Object();
    private final ArrayDeque<Waiting> queue = new ArrayDeque<>(); // guarded by lock
    private boolean accepting = true;                             // guarded by lock
    private boolean stopped;                                      // guarded by lock
    private volatile int activeCount;
    private volatile int pausedCount;
    /** What ended the loop when it could not go on (null while it runs, and after a normal stop). */
    private volatile Throwable failure;
    private final List<java.util.function.Consumer<Throwable>> failureListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** @param cache a KV cache the caller keeps (holding {@code cached} prompt tokens), or null for a fresh one */
    private record Waiting(SequenceRequest request, SequenceHandle handle, long submittedNanos, Object cache,
                           int cached) {}

    private final class Running {
        final SequenceRequest request;
        final SequenceHandle handle;
        final long submittedNanos;
        final Sampler sampler;
        final S cache;
        /** Whether the scheduler made the cache (and frees it) or the submitter keeps it. */
        final boolean ownsCache;
        /** Prompt tokens the cache held when the sequence was submitted (0 for a fresh cache). */
        final int cached;
        int generated;
        /** Prompt tokens already fed to the model; the prompt goes in chunks across steps. */
        int prefilled;
        int lastToken;
        private boolean released;

        @SuppressWarnings("unchecked")
        Running(Waiting w) {
            this.request = w.request;
            this.handle = w.handle;
            this.submittedNanos = w.submittedNanos;
            this.sampler = new Sampler(w.request.sampling(), decoder.vocabSize(), w.request.prompt());
            this.ownsCache = w.cache == null;
            this.cache = ownsCache ? decoder.newSequence() : (S) w.cache;
            this.cached = w.cached;
            this.prefilled = w.cached;
        }

        /** Frees the KV cache once, whichever path (finish, cancel, error) gets here first; a kept one stays. */
        void release() {
            if (released) return;
            released = true;
            if (ownsCache) decoder.release(cache);
        }
    }

    /** Prompt tokens fed per step by default: long prompts go in chunks, so running streams keep flowing. */
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    public BatchScheduler(BatchDecoder<S> decoder, int maxBatch, int maxQueue, SchedulerMetrics metrics) {
        this(decoder, maxBatch, maxQueue, DEFAULT_PREFILL_CHUNK, metrics);
    }

    /**
     * @param prefillChunk prompt tokens (of all joining sequences together) fed to the model per step; a longer
     *                     prompt is prefilled over several steps while the running sequences go on decoding
     */
    public BatchScheduler(BatchDecoder<S> decoder, int maxBatch, int maxQueue, int prefillChunk,
                          SchedulerMetrics metrics) {
        if (maxBatch < 1 || maxQueue < 0 || prefillChunk < 1) {
            throw new IllegalArgumentException("maxBatch >= 1, maxQueue >= 0 and prefillChunk >= 1 required");
        }
        this.prefillChunk = prefillChunk;
        this.decoder = decoder;
        this.maxBatch = maxBatch;
        this.maxQueue = maxQueue;
        this.metrics = metrics;
        metrics.bindGauges(this::queueDepth, () -> activeCount);
        metrics.bindPausedGauge(() -> pausedCount);
        this.thread = Thread.ofPlatform().name("armor-scheduler").daemon(true).start(this::loop);
    }

    public int contextLength() {
        return decoder.contextLength();
    }

    public int vocabSize() {
        return decoder.vocabSize();
    }

    /** KV-cache bytes of one position of one sequence ({@link BatchDecoder#bytesPerPosition()}). */
    public long bytesPerPosition() {
        return decoder.bytesPerPosition();
    }

    public int queueDepth() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /** Sequences holding a batch slot (running or joining; paused ones not included). */
    public int activeCount() {
        return activeCount;
    }

    /** Sequences paused because their client is not taking their output (each still holds its KV cache). */
    public int pausedCount() {
        return pausedCount;
    }

    /** A handle changed (resumed, cancelled): the loop may have work again. */
    private void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /**
     * Whether the loop is alive and can take work: false once an error it cannot go on after ended it (the server's
     * {@code /health} answers 503 then, so a supervisor restarts the process).
     */
    public boolean healthy() {
        return failure == null && thread.isAlive();
    }

    /** What ended the loop, when {@link #healthy()} turned false because of an error. */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    /** Called once, on the scheduler thread, if the loop ends because of an error (after every client was told). */
    public void onFailure(java.util.function.Consumer<Throwable> listener) {
        failureListeners.add(listener);
        Throwable f = failure;
        if (f != null) listener.accept(f);
    }

    /**
     * Queues all sequences of one request, or none: a {@link SchedulerRefusal} when they do not fit in the queue
     * or the scheduler is stopping. The queue bound counts sequences waiting beyond the free batch slots.
     */
    public List<SequenceHandle> submit(List<SequenceRequest> requests) {
        List<Waiting> waiting = new ArrayList<>(requests.size());
        long now = System.nanoTime();
        for (SequenceRequest r : requests) waiting.add(new Waiting(r, new SequenceHandle(this::wake), now, null, 0));
        return enqueue(waiting);
    }

    /**
     * Queues one sequence that continues a KV cache the caller keeps (a chat reuses it from turn to turn):
     * {@code cache} holds the first {@code cached} tokens of the request's prompt, and only the rest is prefilled.
     * The scheduler does not free it; on finish it holds the prompt and every generated token that was fed back
     * (all but the last).
     */
    public SequenceHandle submit(S cache, int cached, SequenceRequest request) {
        if (cached < 0 || cached >= request.prompt().length) {
            throw new IllegalArgumentException("the cache holds " + cached + " of " + request.prompt().length
                    + " prompt tokens, expected at least one new token to prefill");
        }
        if (request.promptLogprobs()) {
            throw new IllegalArgumentException("prompt logprobs need the whole prompt prefilled, not a kept cache");
        }
        return enqueue(List.of(new Waiting(request, new SequenceHandle(this::wake), System.nanoTime(), cache, cached))).get(0);
    }

    private List<SequenceHandle> enqueue(List<Waiting> waiting) {
        List<SequenceHandle> handles = new ArrayList<>(waiting.size());
        synchronized (lock) {
            if (!accepting) {
                metrics.rejected();
                if (failure != null) {
                    throw new SchedulerRefusal(SchedulerRefusal.Reason.FAILED, "The server's generation loop failed ("
                            + failure + ") and is exiting; retry against another instance.");
                }
                throw new SchedulerRefusal(SchedulerRefusal.Reason.SHUTTING_DOWN,
                        "The server is shutting down; retry against another instance.");
            }
            int freeSlots = Math.max(0, maxBatch - activeCount);
            if (queue.size() + pausedCount + waiting.size() > maxQueue + freeSlots) {
                metrics.rejected();
                throw new SchedulerRefusal(SchedulerRefusal.Reason.QUEUE_FULL, "The server is busy: "
                        + (queue.size() + pausedCount) + " sequences are waiting (queued, or paused on clients not reading;"
                        + " --max-queue " + maxQueue + "). Retry shortly.");
            }
            for (Waiting w : waiting) {
                queue.addLast(w);
                handles.add(w.handle);
            }
            lock.notifyAll();
        }
        return handles;
    }

    private void loop() {
        List<Running> active = new ArrayList<>();     // decoding: each step feeds the token sampled last
        List<Running> prefilling = new ArrayList<>(); // joining: each step feeds the next chunk of the prompt
        try {
            run(active, prefilling);
        } catch (Throwable t) {
            fail(t instanceof LoopFailure f ? f.getCause() : t, active, prefilling);
        }
    }

    /**
     * The loop could not go on: every client still waiting is told (503, retry elsewhere), the scheduler stops
     * taking work and reports itself unhealthy, and the failure listeners (the server: exit non-zero) run.
     */
    private void fail(Throwable t, List<Running> active, List<Running> prefilling) {
        failure = t;
        synchronized (lock) {
            accepting = false;
            stopped = true;
        }
        try {
            System.err.println("armor: the generation loop failed and cannot go on: " + t);
            endAll(new SchedulerRefusal(SchedulerRefusal.Reason.FAILED,
                    "The server's generation loop failed (" + t + "); retry against another instance."),
                    active, prefilling);
        } finally {
            for (var l : failureListeners) {
                try {
                    l.accept(t);
                } catch (Throwable ignored) {
                    // one listener's failure must not keep the others from running
                }
            }
        }
    }

    private void run(List<Running> active, List<Running> prefilling) {
        while (true) {
            List<Waiting> admitted = new ArrayList<>();
            synchronized (lock) {
                // Handles change under this lock's notify (SequenceHandle.wake), so no resume or cancel is missed.
                while (!stopped && !canAdmit(active, prefilling) && !hasRunnable(active, prefilling)) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        stopped = true;
                    }
                }
                if (stopped) break;
                while (canAdmit(active, prefilling, admitted.size())) admitted.add(queue.pollFirst());
            }
            prefilling.addAll(admit(admitted, active));
            dropCancelled(active);
            dropCancelled(prefilling);
            if (running(active) > 0 || !prefilling.isEmpty()) step(active, prefilling);
            int paused = active.size() - running(active);
            pausedCount = paused;
            activeCount = active.size() - paused + prefilling.size();
        }
        // Stopped: whatever is left is cancelled, its cache freed, its client told.
        endAll(new SchedulerRefusal(SchedulerRefusal.Reason.SHUTTING_DOWN,
                "The server shut down before this request finished."), active, prefilling);
    }

    /** Active sequences that are not paused. */
    private int running(List<Running> active) {
        int n = 0;
        for (Running r : active) if (!r.handle.isPaused()) n++;
        return n;
    }

    /** Whether a queued sequence may join now: a free batch slot, and room for its cache beside the paused ones. */
    private boolean canAdmit(List<Running> active, List<Running> prefilling, int admitted) {
        return !queue.isEmpty()
                && running(active) + prefilling.size() + admitted < maxBatch
                && active.size() + prefilling.size() + admitted < maxBatch + maxQueue;
    }

    private boolean canAdmit(List<Running> active, List<Running> prefilling) {
        return canAdmit(active, prefilling, 0);
    }

    /** Whether a step or a clean-up is due: a running or joining sequence, or a cancelled one to free. */
    private boolean hasRunnable(List<Running> active, List<Running> prefilling) {
        if (!prefilling.isEmpty()) return true;
        for (Running r : active) if (!r.handle.isPaused() || r.handle.isCancelled()) return true;
        return false;
    }

    /** Ends every running and queued sequence with {@code error}, freeing their caches. */
    private void endAll(SchedulerRefusal error, List<Running> active, List<Running> prefilling) {
        for (List<Running> group : List.of(active, prefilling)) {
            for (Running r : group) {
                metrics.cancelled();
                endWith(r, error);
            }
        }
        active.clear();
        prefilling.clear();
        activeCount = 0;
        pausedCount = 0;
        List<Waiting> left;
        synchronized (lock) {
            left = new ArrayList<>(queue);
            queue.clear();
        }
        // Listeners are called outside the lock: they may take their own locks, which submitters hold while submitting.
        for (Waiting w : left) tell(w.request.listener(), error);
    }

    /**
     * A sequence failed with {@code t} (any throwable of its step: an OutOfMemoryError included): its cache is
     * freed and its client told, and the loop goes on, unless {@code t} is an error the process cannot be trusted
     * after ({@link GenerationFailure#survivable}), which is rethrown to end the loop.
     */
    private void fail(Running r, Throwable t) {
        endWith(r, GenerationFailure.of(t));
        if (!GenerationFailure.survivable(t)) throw new LoopFailure(t);
    }

    private void endWith(Running r, RuntimeException error) {
        try {
            r.release();
        } catch (Throwable ignored) {
            // a cache that cannot be freed is lost; its client is still told below
        }
        tell(r.request.listener(), error);
    }

    /** Tells a client its sequence failed; a listener that throws cannot stop the loop or the other clients. */
    private static void tell(SequenceListener listener, RuntimeException error) {
        try {
            listener.onError(error);
        } catch (Throwable ignored) {
            // nothing more can be done for that client
        }
    }

    /** Carries a non-survivable error of one step out of the loop, once its sequences were told. */
    private static final class LoopFailure extends RuntimeException {
        LoopFailure(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Sorts newly admitted sequences: cancelled ones end, those whose prompt tokens are scored are prefilled alone
     * (they need the logits of every position), and the rest are returned to join the next steps with their prompts.
     */
    private List<Running> admit(List<Waiting> admitted, List<Running> active) {
        List<Running> joining = new ArrayList<>();
        for (Waiting w : admitted) {
            if (w.handle.isCancelled()) {
                metrics.cancelled();
                w.request.listener().onFinish(FinishReason.CANCELLED, 0);
            } else if (w.request.promptLogprobs()) {
                Running r = start(w);
                if (r != null) active.add(r);
            } else {
                try {
                    joining.add(new Running(w));
                } catch (Throwable e) {
                    tell(w.request.listener(), GenerationFailure.of(e));
                    if (!GenerationFailure.survivable(e)) throw new LoopFailure(e);
                }
            }
        }
        return joining;
    }

    /** After prefill: counts the prompt, and samples the first token unless only the prompt was wanted. */
    private boolean firstToken(Running r, float[] logits) {
        metrics.promptTokens(r.request.prompt().length - r.cached);
        if (r.request.maxNewTokens() == 0) {
            finish(r, FinishReason.LENGTH);
            return false;
        }
        metrics.timeToFirstToken((System.nanoTime() - r.submittedNanos) / 1e9);
        return accept(r, logits);
    }

    /** Prefills one new sequence and samples its first token; returns null when it is already done. */
    private Running start(Waiting w) {
        SequenceRequest req = w.request;
        Running r = null;
        try {
            r = new Running(w);
            S cache = r.cache;
            float[] logits;
            if (req.promptLogprobs()) {
                int[] prompt = req.prompt();
                TokenLogprob[] per = new TokenLogprob[prompt.length];
                int top = Math.max(req.topLogprobs(), 0);
                logits = decoder.prefill(cache, prompt, (pos, lg) -> {
                    if (pos + 1 < prompt.length) per[pos + 1] = Sampler.logprob(lg, prompt[pos + 1], top);
                });
                req.listener().onPromptLogprobs(per);
            } else {
                logits = decoder.prefill(cache, req.prompt(), null);
            }
            return firstToken(r, logits) ? r : null;
        } catch (Throwable e) {
            if (r != null) {
                fail(r, e);
            } else {
                tell(req.listener(), GenerationFailure.of(e));
                if (!GenerationFailure.survivable(e)) throw new LoopFailure(e);
            }
            return null;
        }
    }

    /**
     * One pass over the weights for every running sequence (its last token) and for the next chunk of the joining
     * sequences' prompts (at most {@code prefillChunk} tokens in all, first come first served); then every running
     * sequence samples its next token, and every joining one whose prompt is now complete samples its first.
     */
    private void step(List<Running> all, List<Running> prefilling) {
        // Paused sequences sit this step out (they wait first in line for the next); at most maxBatch run, since
        // resumed ones may join the running ones.
        List<Running> active = new ArrayList<>(all.size());
        List<Running> resting = new ArrayList<>();
        for (Running r : all) {
            if (!r.handle.isPaused() && active.size() < maxBatch) active.add(r);
            else resting.add(r);
        }
        all.clear();
        all.addAll(resting);
        List<S> caches = new ArrayList<>(active.size() + prefilling.size());
        List<int[]> tokens = new ArrayList<>(active.size() + prefilling.size());
        for (Running r : active) {
            caches.add(r.cache);
            tokens.add(new int[] {r.lastToken});
        }
        List<Running> chunked = new ArrayList<>();
        int budget = prefillChunk;
        for (Running r : prefilling) {
            if (budget == 0) break;
            int[] prompt = r.request.prompt();
            int n = Math.min(budget, prompt.length - r.prefilled);
            caches.add(r.cache);
            tokens.add(r.prefilled == 0 && n == prompt.length ? prompt
                    : Arrays.copyOfRange(prompt, r.prefilled, r.prefilled + n));
            chunked.add(r);
            budget -= n;
        }
        long t0 = System.nanoTime();
        float[][] logits;
        try {
            logits = decoder.step(caches, tokens);
        } catch (Throwable e) {
            // The step's sequences fail together (their caches may hold part of the step); queued ones go on.
            prefilling.removeAll(chunked);
            List<Running> failed = new ArrayList<>(active);
            failed.addAll(chunked);
            active.clear();
            for (Running r : failed) endWith(r, GenerationFailure.of(e));
            if (!GenerationFailure.survivable(e)) throw new LoopFailure(e);
            return;
        }
        long nanos = System.nanoTime() - t0;
        if (chunked.isEmpty()) metrics.decodeStep(active.size(), nanos);
        else metrics.mixedStep(active.size() + chunked.size(), nanos);
        List<Running> still = new ArrayList<>(active.size() + chunked.size());
        for (int i = 0; i < active.size(); i++) {
            Running r = active.get(i);
            try {
                if (accept(r, logits[i])) still.add(r);
            } catch (Throwable e) {
                fail(r, e);
            }
        }
        for (int j = 0; j < chunked.size(); j++) {
            Running r = chunked.get(j);
            r.prefilled += tokens.get(active.size() + j).length;
            if (r.prefilled < r.request.prompt().length) continue; // more chunks to come
            prefilling.remove(r);
            try {
                if (firstToken(r, logits[active.size() + j])) still.add(r);
            } catch (Throwable e) {
                fail(r, e);
            }
        }
        all.addAll(still);
    }

    /** Samples from {@code logits}, reports the token; returns whether the sequence continues. */
    private boolean accept(Running r, float[] logits) {
        SequenceRequest req = r.request;
        long t0 = System.nanoTime();
        int token = r.sampler.sample(logits);
        metrics.sampled(System.nanoTime() - t0);
        r.generated++;
        r.lastToken = token;
        metrics.completionTokens(1);
        if (req.stopTokens().contains(token)) {
            finish(r, FinishReason.STOP);
            return false;
        }
        TokenLogprob lp = req.topLogprobs() >= 0 ? Sampler.logprob(logits, token, req.topLogprobs()) : null;
        if (!req.listener().onToken(token, lp)) {
            finish(r, FinishReason.STOP);
            return false;
        }
        // The sampled token still has to be fed to the model for the next one: it needs a free position.
        if (r.generated >= req.maxNewTokens() || req.prompt().length + r.generated >= decoder.contextLength()) {
            finish(r, FinishReason.LENGTH);
            return false;
        }
        return true;
    }

    private void finish(Running r, FinishReason reason) {
        r.release();
        r.request.listener().onFinish(reason, r.generated);
    }

    private void dropCancelled(List<Running> active) {
        active.removeIf(r -> {
            if (!r.handle.isCancelled()) return false;
            metrics.cancelled();
            r.release();
            r.request.listener().onFinish(FinishReason.CANCELLED, r.generated);
            return true;
        });
    }

    /**
     * Stops accepting work, lets queued and running sequences finish for up to {@code grace}, then cancels what is
     * left (their clients get a 503 error) and stops the thread.
     */
    public void shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (lock) {
            accepting = false;
        }
        while (System.nanoTime() < deadline && (queueDepth() > 0 || activeCount > 0)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
