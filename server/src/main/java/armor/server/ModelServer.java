package armor.server;

import armor.runtime.model.Model;
import armor.server.engine.CompletionEngine;
import armor.server.engine.RequestMemory;
import armor.server.metrics.ServerMetrics;
import armor.runtime.generate.BatchScheduler;
import armor.runtime.generate.ModelDecoder;
import armor.runtime.generate.StopPolicy;
import armor.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * A loaded model served over HTTP: the runtime decoder, the continuous-batching scheduler, the completion engine
 * and the Netty server, wired together. What {@code armor serve} and {@code armor prune-serve} start.
 */
public final class ModelServer implements AutoCloseable {
    private final OpenAiServer server;
    private final ServerMetrics metrics;
    private final String modelId;
    private final BatchScheduler<?> scheduler;
    private final Set<Integer> stopTokenIds;

    private ModelServer(OpenAiServer server, ServerMetrics metrics, String modelId, BatchScheduler<?> scheduler,
                        Set<Integer> stopTokenIds) {
        this.server = server;
        this.stopTokenIds = stopTokenIds;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.modelId = modelId;
    }

    /**
     * @param maxBatch sequences decoded together in one step
     * @param maxQueue sequences that may wait for a batch slot before requests are refused with 429
     * @param maxNewTokensDefault tokens generated when a request gives no max_tokens (also capped by the context)
     */
    public static ModelServer start(Model model, Tokenizer tokenizer, String modelId, ServerConfig config,
                                    int maxBatch, int maxQueue, int maxNewTokensDefault) {
        return start(model, tokenizer, modelId, config, maxBatch, maxQueue, maxNewTokensDefault, AccessLog.NONE);
    }

    /** As above, with one access-log line per answered API request. */
    public static ModelServer start(Model model, Tokenizer tokenizer, String modelId, ServerConfig config,
                                    int maxBatch, int maxQueue, int maxNewTokensDefault, AccessLog accessLog) {
        ServerMetrics metrics = new ServerMetrics();
        System.gc(); // what the loaded model really holds, not the garbage of loading it
        ModelDecoder probe = new ModelDecoder(model);
        RequestMemory memory = RequestMemory.fromHeap(probe.bytesPerPosition());
        // Scored prompts go through the model in passes whose logits take at most an eighth of a request's share.
        long logitFloats = Math.min(ModelDecoder.DEFAULT_LOGIT_FLOATS_PER_PASS, memory.limitBytes() / 8 / Float.BYTES);
        BatchScheduler<?> scheduler = new BatchScheduler<>(new ModelDecoder(model, logitFloats), maxBatch, maxQueue,
                metrics);
        Set<Integer> stops = StopPolicy.of(model.config(), tokenizer).tokenIds(); // the same as generate and chat
        CompletionEngine engine = new CompletionEngine(modelId, tokenizer, scheduler, stops, maxNewTokensDefault,
                memory);
        ModelServer server;
        try {
            server = new ModelServer(OpenAiServer.start(config, engine, metrics, accessLog), metrics, modelId,
                    scheduler, stops);
        } catch (RuntimeException e) {
            scheduler.close();
            throw e;
        }
        // A loop that cannot go on leaves a process that answers HTTP but never generates: close it, so that
        // awaitClose returns and the command exits non-zero (a supervisor restarts it). Not on the scheduler thread,
        // which the shutdown joins.
        scheduler.onFailure(t -> Thread.ofPlatform().name("armor-failed").start(() -> server.shutdown(Duration.ZERO)));
        return server;
    }

    /** The ids that end every sequence it serves ({@link StopPolicy}: the same as {@code generate} and {@code chat}). */
    public Set<Integer> stopTokenIds() {
        return stopTokenIds;
    }

    /** The error that ended generation, when the server closed itself because of one. */
    public Optional<Throwable> failure() {
        return scheduler.failure();
    }

    public int port() {
        return server.port();
    }

    public String host() {
        return server.host();
    }

    public String modelId() {
        return modelId;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public void awaitClose() throws InterruptedException {
        server.awaitClose();
    }

    public void shutdown(Duration grace) {
        server.shutdown(grace);
    }

    @Override
    public void close() {
        server.close();
    }
}
