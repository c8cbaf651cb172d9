package armor.server;

import armor.runtime.generate.GenerationFailure;
import armor.runtime.generate.SchedulerRefusal;
import armor.server.api.ApiException;
import armor.server.engine.ChoiceListener;
import armor.server.engine.Generation;
import armor.server.engine.TextLogprob;
import armor.server.metrics.ServerMetrics;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Answers one generation request: collects the choices into one JSON response, or streams them as server-sent
 * events in OpenAI's chunk format ending with {@code data: [DONE]}. Engine callbacks arrive on the scheduler thread;
 * cancellation and writability changes on the event loop; every entry point is synchronized.
 * <p>
 * Backpressure: while the connection is not writable (its unsent bytes passed the high water mark, see
 * {@link OutputLimits}) the request's sequences are paused, so a client that stops reading stops its generation;
 * a stream whose unsent bytes pass the per-connection cap is cancelled. The access log line is written once the
 * response's last write completed (or the client went away) and counts what the socket took, not what was
 * generated.
 */
final class GenerationResponder implements ChoiceListener {
    /** What the request asked for that shapes the response. */
    record Shape(ResponseFormat format, String model, boolean stream, boolean includeUsage, boolean logprobs) {}

    /** Who asked, for the access log: client address, method and path, the request's {@code user} field. */
    record Origin(String client, String request, String user, long startNanos, AccessLog log) {}

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final Shape shape;
    private final ServerMetrics metrics;
    private final String endpoint;
    private final Runnable onDone;
    private final Origin origin;
    private final OutputLimits limits;
    private final OutputBudget budget;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;

    private final List<Generation> generations = new ArrayList<>();
    private final List<ChoiceState> choices = new ArrayList<>();
    private int promptTokens;
    private int unfinished;
    private boolean headersSent;
    private boolean done;
    private boolean logged;
    private boolean paused;
    /** Bytes written to this connection that the socket has not taken yet. */
    private long queuedBytes;
    /** Body bytes and completion tokens whose writes completed: what was delivered, for the access log. */
    private long deliveredBytes;
    private int deliveredTokens;

    private static final class ChoiceState {
        final StringBuilder text = new StringBuilder();
        final List<TextLogprob> logprobs = new ArrayList<>();
        String finish;
        int completionTokens;
        /** Generated tokens whose text reached this responder (all of them once finished). */
        int shownTokens;
        int textOffset;
        boolean opened;
    }

    GenerationResponder(ChannelHandlerContext ctx, boolean keepAlive, Shape shape, int choiceCount,
                        ServerMetrics metrics, String endpoint, Origin origin, OutputLimits limits, OutputBudget budget,
                        Runnable onDone) {
        this.origin = origin;
        this.limits = limits;
        this.budget = budget;
        this.ctx = ctx;
        this.keepAlive = keepAlive;
        this.shape = shape;
        this.metrics = metrics;
        this.endpoint = endpoint;
        this.onDone = onDone;
        this.id = shape.format().idPrefix() + HexFormat.of().formatHex(randomBytes());
        for (int i = 0; i < choiceCount; i++) choices.add(new ChoiceState());
        this.unfinished = choiceCount;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Called (under this object's lock) for each prompt once its choices are queued. */
    synchronized void started(Generation g) {
        generations.add(g);
        promptTokens += g.promptTokens();
        if (done) g.cancel();
        else if (paused) g.pause(true);
    }

    /**
     * The channel's writability may have changed (Netty's event, or our own write): pause the sequences while it is
     * not writable, resume them when it is. Reading the state under this lock each time means the last caller sees
     * the current state, so no resume is lost between a write on the scheduler thread and the event loop's drain.
     */
    synchronized void writabilityChanged() {
        boolean p = !done && !ctx.channel().isWritable();
        if (p == paused) return;
        paused = p;
        for (Generation g : generations) g.pause(p);
    }

    /** All prompts were queued: a streaming response can open now. */
    synchronized void allStarted() {
        if (done || !shape.stream()) return;
        HttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        resp.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        HttpUtil.setTransferEncodingChunked(resp, true);
        HttpUtil.setKeepAlive(resp, keepAlive);
        write(resp, 0, 0);
        headersSent = true;
    }

    /** Refused before anything was streamed (e.g. 429 on the second prompt): cancel what started, answer the error. */
    synchronized void failBeforeStart(ApiException e) {
        if (done) return;
        done = true;
        for (Generation g : generations) g.cancel();
        metrics.request(endpoint, e.status());
        logLine(e.status(), "");
        HttpReplies.error(ctx, keepAlive, e);
        onDone.run();
    }

    /** The client went away: stop generating, free the KV caches. */
    synchronized void cancel() {
        cancel("");
    }

    /**
     * The client took nothing for the idle time while its output waited: stop generating (the connection is
     * closed by the caller).
     */
    synchronized void stalled() {
        cancel(" stalled");
    }

    private void cancel(String note) {
        if (done) {
            if (!logged) logLine(499, note); // finished generating, but the client left before taking it all
            return;
        }
        done = true;
        for (Generation g : generations) g.cancel();
        metrics.request(endpoint, 499); // nginx's "client closed request"
        logLine(499, note);
    }

    @Override
    public synchronized void onText(int choice, String text, List<TextLogprob> logprobs, int tokens) {
        if (done) return;
        ChoiceState c = choices.get(choice);
        c.shownTokens += tokens;
        if (shape.stream()) {
            boolean first = !c.opened;
            c.opened = true;
            chunk(shape.format().chunkChoice(choice, text, shape.logprobs() ? logprobs : null, c.textOffset, null, first),
                    tokens);
            for (TextLogprob lp : logprobs) c.textOffset += lp.token().length();
        } else {
            c.text.append(text);
            c.logprobs.addAll(logprobs);
        }
    }

    @Override
    public synchronized void onFinish(int choice, String finishReason, int completionTokens, String text) {
        if (done) return;
        ChoiceState c = choices.get(choice);
        c.finish = finishReason;
        c.text.setLength(0);
        c.text.append(text); // exact, where the pieces could differ
        c.completionTokens = completionTokens;
        if (shape.stream()) {
            boolean first = !c.opened;
            c.opened = true;
            // The last chunk carries the tokens no text showed (held back, EOS).
            chunk(shape.format().chunkChoice(choice, first ? "" : null, shape.logprobs() ? List.of() : null,
                    c.textOffset, finishReason, first), Math.max(0, completionTokens - c.shownTokens));
        }
        if (--unfinished == 0) complete();
    }

    @Override
    public synchronized void onError(int choice, RuntimeException error) {
        if (done) return;
        done = true;
        for (Generation g : generations) g.cancel();
        ApiException e = error instanceof ApiException a ? a
                : error instanceof SchedulerRefusal r ? ApiException.of(r)
                : error instanceof GenerationFailure f ? new ApiException(500, "server_error", null, "internal_error",
                        f.getMessage())
                : new ApiException(500, "server_error", null, "internal_error", "Generation failed: " + error);
        metrics.request(endpoint, e.status());
        logLine(e.status(), "");
        if (headersSent) {
            event(HttpReplies.errorBody(e), 0);
            sseData("[DONE]", 0);
            endStream();
        } else {
            HttpReplies.error(ctx, keepAlive, e);
        }
        onDone.run();
    }

    private void complete() {
        done = true;
        int completionTokens = 0;
        for (ChoiceState c : choices) completionTokens += c.completionTokens;
        metrics.request(endpoint, 200);
        if (shape.stream()) {
            if (shape.includeUsage()) {
                ObjectNode last = envelope(true);
                last.putArray("choices");
                putUsage(last, completionTokens);
                event(last, 0);
            }
            sseData("[DONE]", 0);
            endStream().addListener(f -> logWhenSent(f.isSuccess()));
        } else {
            ObjectNode resp = envelope(false);
            ArrayNode arr = resp.putArray("choices");
            for (int i = 0; i < choices.size(); i++) {
                ChoiceState c = choices.get(i);
                arr.add(shape.format().choice(i, c.text.toString(), shape.logprobs() ? c.logprobs : null, 0, c.finish));
            }
            putUsage(resp, completionTokens);
            byte[] body = HttpReplies.bytes(resp);
            queued(body.length);
            int tokens = completionTokens;
            HttpReplies.send(ctx, keepAlive, 200, "application/json", body, null).addListener(f -> {
                synchronized (this) {
                    sent(body.length, tokens, f.isSuccess());
                    logWhenSent(f.isSuccess());
                }
            });
        }
        onDone.run();
    }

    /** The response's last write completed (or failed: the client left before taking it all). */
    private synchronized void logWhenSent(boolean success) {
        if (!logged) logLine(success ? 200 : 499, "");
    }

    /**
     * One line per request: {@code completion} counts the generated tokens, {@code delivered} and {@code bytes}
     * what the socket took (completion tokens and response body bytes), which is less when the client stopped
     * reading or left.
     */
    private void logLine(int status, String note) {
        logged = true;
        int completion = 0; // a cancelled choice never finishes here: count what it showed
        for (ChoiceState c : choices) completion += Math.max(c.completionTokens, c.shownTokens);
        origin.log().log(String.format(Locale.ROOT,
                "%s \"%s\" %d %.3fs prompt=%d completion=%d delivered=%d bytes=%d%s%s%s",
                origin.client(), origin.request(), status, (System.nanoTime() - origin.startNanos()) / 1e9, promptTokens,
                completion, deliveredTokens, deliveredBytes, shape.stream() ? " stream" : "", note,
                origin.user() == null ? "" : " user=" + quoted(origin.user())));
    }

    private static String quoted(String s) {
        return s.chars().allMatch(ch -> ch > ' ' && ch < 127 && ch != '"') ? s
                : '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("\\p{Cntrl}", "?") + '"';
    }

    private ObjectNode envelope(boolean chunk) {
        ObjectNode o = ResponseFormat.node();
        o.put("id", id);
        o.put("object", shape.format().object(chunk));
        o.put("created", created);
        o.put("model", shape.model());
        return o;
    }

    private void putUsage(ObjectNode o, int completionTokens) {
        ObjectNode u = o.putObject("usage");
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
    }

    private void chunk(ObjectNode choice, int tokens) {
        ObjectNode o = envelope(true);
        o.putArray("choices").add(choice);
        if (shape.includeUsage()) o.putNull("usage");
        event(o, tokens);
    }

    private void event(ObjectNode o, int tokens) {
        try {
            sseData(HttpReplies.JSON.writeValueAsString(o), tokens);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialize a chunk", e);
        }
    }

    private void sseData(String data, int tokens) {
        byte[] bytes = HttpReplies.utf8("data: " + data + "\n\n");
        write(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)), bytes.length, tokens);
        if (!done && queuedBytes > limits.perConnection()) {
            // Pausing keeps a stream near the high water mark; this far past it the client is not reading at all.
            cancel(" overflow");
            ctx.close();
        }
    }

    private io.netty.channel.ChannelFuture endStream() {
        var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        return f;
    }

    /** Writes one part of the response, counting its body bytes as queued until the socket takes them. */
    private void write(Object msg, int bytes, int tokens) {
        queued(bytes);
        ctx.writeAndFlush(msg).addListener(f -> {
            synchronized (this) {
                sent(bytes, tokens, f.isSuccess());
            }
            if (!f.isSuccess()) {
                cancel(); // the client is gone: its generation stops and its caches are freed
                ctx.close();
            }
        });
        writabilityChanged(); // a write from the scheduler thread pauses at once, before the next step
    }

    private void queued(long bytes) {
        queuedBytes += bytes;
        budget.add(bytes);
    }

    private void sent(long bytes, int tokens, boolean success) {
        queuedBytes -= bytes;
        budget.add(-bytes);
        if (success) {
            deliveredBytes += bytes;
            deliveredTokens += tokens;
        }
    }
}
