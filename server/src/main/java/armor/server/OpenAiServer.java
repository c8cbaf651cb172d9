package armor.server;

import armor.server.api.ApiException;
import armor.server.api.RequestParser;
import armor.server.engine.Engine;
import armor.server.metrics.ServerMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI-compatible HTTP server: Netty with HTTP/1.1 keep-alive, a request body limit, and SSE streaming.
 * {@link #shutdown(Duration)} stops accepting connections, lets running generations finish for the grace period,
 * cancels the rest, and closes every connection.
 */
public final class OpenAiServer implements AutoCloseable {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Engine engine;
    private boolean closed;

    private OpenAiServer(ServerConfig config, Engine engine, ServerMetrics metrics, AccessLog accessLog)
            throws InterruptedException {
        this.engine = engine;
        RequestParser parser = new RequestParser(config.limits());
        OutputBudget budget = new OutputBudget(config.output().total());
        metrics.bindUnsentBytes(budget::queued);
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Past the high mark a connection turns unwritable and its sequences pause; below the low one they go on.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.output().lowWaterMark(), config.output().highWaterMark()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        // A fixed send buffer: what the kernel takes from a client that does not read stays small.
                        if (config.output().socketSendBuffer() > 0) {
                            ch.config().setSendBufferSize(config.output().socketSendBuffer());
                        }
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, config.idleSeconds(), TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, 16 * 1024, 16 * 1024))
                                .addLast(new JsonBodyLimit(config.maxBodyBytes(), metrics))
                                .addLast(new ApiHandler(config, engine, parser, metrics, accessLog, budget));
                    }
                });
        try {
            serverChannel = b.bind(new InetSocketAddress(config.host(), config.port())).sync().channel();
        } catch (Exception e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
    }

    /** Binds and starts serving; the engine is shut down with the server. */
    public static OpenAiServer start(ServerConfig config, Engine engine, ServerMetrics metrics) {
        return start(config, engine, metrics, AccessLog.NONE);
    }

    /** Binds and starts serving, with one access-log line per answered API request. */
    public static OpenAiServer start(ServerConfig config, Engine engine, ServerMetrics metrics, AccessLog accessLog) {
        try {
            return new OpenAiServer(config, engine, metrics, accessLog);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding", e);
        }
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public String host() {
        return ((InetSocketAddress) serverChannel.localAddress()).getHostString();
    }

    /** Blocks until the server channel closes (after {@link #shutdown}). */
    public void awaitClose() throws InterruptedException {
        serverChannel.closeFuture().sync();
    }

    public synchronized void shutdown(Duration grace) {
        if (closed) return;
        closed = true;
        serverChannel.close().awaitUninterruptibly();
        engine.shutdown(grace);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }

    /** Aggregates request bodies up to the limit; a larger one gets OpenAI's error JSON with 413, then the connection closes. */
    private static final class JsonBodyLimit extends HttpObjectAggregator {
        private final ServerMetrics metrics;
        private final int limit;

        JsonBodyLimit(int maxBytes, ServerMetrics metrics) {
            super(maxBytes, true);
            this.limit = maxBytes;
            this.metrics = metrics;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            metrics.request("other", 413);
            ApiException e = new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "The request body is larger than this server's limit of " + limit + " bytes.");
            HttpUtil.setKeepAlive(oversized, false);
            HttpReplies.json(ctx, false, 413, HttpReplies.errorBody(e), null);
            ctx.channel().config().setAutoRead(false);
            ctx.channel().closeFuture().addListener(ChannelFutureListener.CLOSE);
        }
    }
}
