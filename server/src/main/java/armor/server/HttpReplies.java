package armor.server;

import armor.server.api.ApiException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** Complete (non-streamed) HTTP replies: JSON bodies, OpenAI error JSON, plain text. */
final class HttpReplies {
    static final ObjectMapper JSON = new ObjectMapper();

    private HttpReplies() {}

    static ObjectNode errorBody(ApiException e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return root;
    }

    static void json(ChannelHandlerContext ctx, boolean keepAlive, int status, Object body, Integer retryAfter) {
        send(ctx, keepAlive, status, "application/json", bytes(body), retryAfter);
    }

    static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialize a response", e);
        }
    }

    static void error(ChannelHandlerContext ctx, boolean keepAlive, ApiException e) {
        json(ctx, keepAlive, e.status(), errorBody(e), e.retryAfterSeconds());
    }

    static ChannelFuture send(ChannelHandlerContext ctx, boolean keepAlive, int status, String contentType, byte[] body,
                              Integer retryAfter) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), buf);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (retryAfter != null) resp.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfter);
        HttpUtil.setKeepAlive(resp, keepAlive);
        var f = ctx.writeAndFlush(resp);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        return f;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
