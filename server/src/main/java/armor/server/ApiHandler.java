package armor.server;

import armor.server.api.ApiException;
import armor.server.api.ChatCompletionRequest;
import armor.server.api.CompletionRequest;
import armor.server.api.GenerationParams;
import armor.server.api.PromptInput;
import armor.server.api.RequestParser;
import armor.server.engine.Engine;
import armor.server.metrics.ServerMetrics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One connection's request handler: routing, API key, parsing, and handing generation to the engine. Requests on a
 * keep-alive connection are answered in order; one that arrives while another is still generating waits its turn.
 */
final class ApiHandler extends ChannelInboundHandlerAdapter {
    private final ServerConfig config;
    private final Engine engine;
    private final RequestParser parser;
    private final ServerMetrics metrics;
    private final AccessLog accessLog;
    private final OutputBudget budget;
    private final long created = System.currentTimeMillis() / 1000;

    private GenerationResponder inFlight;                        // event-loop confined
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();

    ApiHandler(ServerConfig config, Engine engine, RequestParser parser, ServerMetrics metrics, AccessLog accessLog,
               OutputBudget budget) {
        this.accessLog = accessLog;
        this.budget = budget;
        this.config = config;
        this.engine = engine;
        this.parser = parser;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (inFlight != null) {
            waiting.addLast(req);
            return;
        }
        try {
            handle(ctx, req);
        } finally {
            req.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (inFlight != null) inFlight.cancel();
        inFlight = null;
        while (!waiting.isEmpty()) waiting.pollFirst().release();
        ctx.fireChannelInactive();
    }

    /** The client took output (writable) or stopped taking it: the in-flight response resumes or pauses. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (inFlight != null) inFlight.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * No traffic for the idle time (no read, no write completed): close, unless a response is still being generated
     * and can be written. One whose output waits on a client that took nothing all that time is cancelled (its KV
     * caches freed) and the connection closed.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof IdleStateEvent)) {
            ctx.fireUserEventTriggered(evt);
        } else if (inFlight == null && waiting.isEmpty()) {
            ctx.close();
        } else if (inFlight != null && !ctx.channel().isWritable()) {
            inFlight.stalled();
            inFlight = null;
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (inFlight != null) inFlight.cancel();
        inFlight = null;
        ctx.close();
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        String path = new QueryStringDecoder(req.uri()).path();
        String endpoint = endpointLabel(path);
        try {
            if (!req.decoderResult().isSuccess()) {
                keepAlive = false;
                throw ApiException.invalid(null, "Malformed HTTP request: " + req.decoderResult().cause());
            }
            route(ctx, req, path, endpoint, keepAlive);
        } catch (ApiException e) {
            metrics.request(endpoint, e.status());
            logRefused(ctx, req, e.status());
            HttpReplies.error(ctx, keepAlive, e);
        } catch (RuntimeException e) {
            ApiException wrapped = new ApiException(500, "server_error", null, "internal_error",
                    "Internal error: " + e);
            metrics.request(endpoint, 500);
            logRefused(ctx, req, 500);
            HttpReplies.error(ctx, keepAlive, wrapped);
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req, String path, String endpoint, boolean keepAlive) {
        HttpMethod m = req.method();
        switch (path) {
            case "/health", "/v1/health" -> {
                requireMethod(m, HttpMethod.GET, path);
                // A failed generation loop is a dead server for a probe, even though HTTP still answers.
                boolean healthy = engine.healthy();
                ObjectNode o = HttpReplies.JSON.createObjectNode().put("status", healthy ? "ok" : "failed");
                engine.failure().ifPresent(why -> o.put("error", why));
                metrics.request(endpoint, healthy ? 200 : 503);
                HttpReplies.json(ctx, keepAlive, healthy ? 200 : 503, o, null);
            }
            case "/metrics" -> {
                requireMethod(m, HttpMethod.GET, path);
                authorize(req);
                metrics.request(endpoint, 200);
                HttpReplies.send(ctx, keepAlive, 200, "text/plain; version=0.0.4; charset=utf-8",
                        HttpReplies.utf8(metrics.render()), null);
            }
            case "/v1/models" -> {
                requireMethod(m, HttpMethod.GET, path);
                authorize(req);
                ObjectNode o = HttpReplies.JSON.createObjectNode().put("object", "list");
                o.putArray("data").add(modelCard());
                metrics.request(endpoint, 200);
                HttpReplies.json(ctx, keepAlive, 200, o, null);
            }
            case "/v1/chat/completions" -> {
                requireMethod(m, HttpMethod.POST, path);
                authorize(req);
                ChatCompletionRequest r = parser.parseChat(body(req));
                checkModel(r.model());
                var shape = new GenerationResponder.Shape(ResponseFormat.CHAT, r.model(), r.stream(), r.includeUsage(),
                        r.params().wantsLogprobs());
                start(ctx, keepAlive, endpoint, shape, List.of(new PromptInput.Chat(r.messages())), r.params(),
                        origin(ctx, req, r.user()));
            }
            case "/v1/completions" -> {
                requireMethod(m, HttpMethod.POST, path);
                authorize(req);
                CompletionRequest r = parser.parseCompletion(body(req));
                checkModel(r.model());
                var shape = new GenerationResponder.Shape(ResponseFormat.TEXT, r.model(), r.stream(), r.includeUsage(),
                        r.params().wantsLogprobs());
                start(ctx, keepAlive, endpoint, shape, r.prompts(), r.params(), origin(ctx, req, r.user()));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(m, HttpMethod.GET, path);
                    authorize(req);
                    checkModel(path.substring("/v1/models/".length()));
                    metrics.request(endpoint, 200);
                    HttpReplies.json(ctx, keepAlive, 200, modelCard(), null);
                    return;
                }
                throw new ApiException(404, "invalid_request_error", null, "unknown_url",
                        "Invalid URL (" + m + " " + path + "). This server has /v1/chat/completions, /v1/completions, "
                                + "/v1/models, /health and /metrics.");
            }
        }
    }

    private void start(ChannelHandlerContext ctx, boolean keepAlive, String endpoint, GenerationResponder.Shape shape,
                       List<PromptInput> prompts, GenerationParams params, GenerationResponder.Origin origin) {
        int n = params.n();
        if (budget.exhausted()) {
            // Admission counts bytes too: clients that do not read already hold this much of the server's memory.
            throw new ApiException(429, "rate_limit_exceeded", null, "output_buffers_full", "The server is busy: "
                    + budget.queued() + " bytes of responses wait for clients to read them (limit " + budget.limit()
                    + "). Retry shortly.", 1);
        }
        GenerationResponder responder = new GenerationResponder(ctx, keepAlive, shape, prompts.size() * n, metrics,
                endpoint, origin, config.output(), budget, () -> ctx.executor().execute(() -> finished(ctx)));
        inFlight = responder;
        // Holding the responder's lock while queueing keeps engine callbacks from overtaking the response headers.
        synchronized (responder) {
            try {
                for (int p = 0; p < prompts.size(); p++) {
                    responder.started(engine.generate(prompts.get(p), params, p * n, responder));
                }
            } catch (ApiException e) {
                responder.failBeforeStart(e);
                return;
            } catch (RuntimeException e) {
                responder.failBeforeStart(new ApiException(500, "server_error", null, "internal_error",
                        "Internal error: " + e));
                return;
            }
            responder.allStarted();
        }
    }

    private GenerationResponder.Origin origin(ChannelHandlerContext ctx, FullHttpRequest req, String user) {
        return new GenerationResponder.Origin(client(ctx), req.method() + " " + req.uri(), user, System.nanoTime(),
                accessLog);
    }

    private void logRefused(ChannelHandlerContext ctx, FullHttpRequest req, int status) {
        accessLog.log(client(ctx) + " \"" + req.method() + " " + req.uri() + "\" " + status);
    }

    private static String client(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getHostString() + ":" + a.getPort() : String.valueOf(ctx.channel().remoteAddress());
    }

    /** The in-flight response is complete: serve the next request that waited on this connection. */
    private void finished(ChannelHandlerContext ctx) {
        inFlight = null;
        while (inFlight == null && !waiting.isEmpty() && ctx.channel().isActive()) {
            FullHttpRequest next = waiting.pollFirst();
            try {
                handle(ctx, next);
            } finally {
                next.release();
            }
        }
    }

    private ObjectNode modelCard() {
        ObjectNode card = HttpReplies.JSON.createObjectNode();
        card.put("id", engine.modelId());
        card.put("object", "model");
        card.put("created", created);
        card.put("owned_by", "armor");
        card.put("max_model_len", engine.contextLength());
        return card;
    }

    private void checkModel(String model) {
        if (!model.equals(engine.modelId())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + model + "' does not exist; this server serves '" + engine.modelId() + "'.");
        }
    }

    private JsonNode body(FullHttpRequest req) {
        return RequestParser.parseJsonObject(ByteBufUtil.getBytes(req.content()));
    }

    private void authorize(FullHttpRequest req) {
        if (config.apiKey() == null) return;
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String expected = "Bearer " + config.apiKey();
        if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", h == null
                    ? "Missing API key: send 'Authorization: Bearer <key>'."
                    : "Incorrect API key provided.");
        }
    }

    private static void requireMethod(HttpMethod actual, HttpMethod expected, String path) {
        if (!actual.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "Method " + actual + " is not allowed on " + path + "; use " + expected + ".");
        }
    }

    private static String endpointLabel(String path) {
        return switch (path) {
            case "/health", "/v1/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
    }
}
