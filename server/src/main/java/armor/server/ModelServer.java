package armor.server;

import armor.runtime.model.Model;
import armor.server.engine.CompletionEngine;
import armor.server.metrics.ServerMetrics;
import armor.runtime.generate.BatchScheduler;
import armor.runtime.generate.ModelDecoder;
import armor.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A loaded model served over HTTP: the runtime decoder, the continuous-batching scheduler, the completion engine
 * and the Netty server, wired together. What {@code armor serve} and {@code armor prune-serve} start.
 */
public final class ModelServer implements AutoCloseable {
    private final OpenAiServer server;
    private final ServerMetrics metrics;
    private final String modelId;

    private ModelServer(OpenAiServer server, ServerMetrics metrics, String modelId) {
        this.server = server;
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
        BatchScheduler<?> scheduler = new BatchScheduler<>(new ModelDecoder(model), maxBatch, maxQueue, metrics);
        Set<Integer> stops = new LinkedHashSet<>(model.config().eosTokenIds());
        tokenizer.eosTokenId().ifPresent(stops::add);
        CompletionEngine engine = new CompletionEngine(modelId, tokenizer, scheduler, stops, maxNewTokensDefault);
        try {
            return new ModelServer(OpenAiServer.start(config, engine, metrics, accessLog), metrics, modelId);
        } catch (RuntimeException e) {
            scheduler.close();
            throw e;
        }
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
