package armor.server;

import armor.server.api.RequestLimits;

/**
 * How the HTTP side listens and what it accepts.
 *
 * @param host          address to bind; 127.0.0.1 unless the operator says otherwise
 * @param port          0 picks a free port (tests)
 * @param apiKey        when not null, every /v1 and /metrics request needs {@code Authorization: Bearer <apiKey>}
 * @param maxBodyBytes  larger request bodies are refused with 413
 * @param limits        per-request limits (n, max_tokens)
 * @param idleSeconds   a connection with no request in flight and no traffic for this long is closed (slow or
 *                      abandoned clients do not hold connections forever); a stream whose client took nothing
 *                      for this long while its output waited (its sequences paused) is cancelled and closed
 * @param output        how much unsent output the server holds per connection and in all
 */
public record ServerConfig(String host, int port, String apiKey, int maxBodyBytes, RequestLimits limits,
                           int idleSeconds, OutputLimits output) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;
    public static final int DEFAULT_IDLE_SECONDS = 120;

    public ServerConfig(String host, int port, String apiKey, int maxBodyBytes, RequestLimits limits) {
        this(host, port, apiKey, maxBodyBytes, limits, DEFAULT_IDLE_SECONDS, OutputLimits.DEFAULTS);
    }

    public ServerConfig(String host, int port, String apiKey, int maxBodyBytes, RequestLimits limits,
                        int idleSeconds) {
        this(host, port, apiKey, maxBodyBytes, limits, idleSeconds, OutputLimits.DEFAULTS);
    }

    public static ServerConfig loopback(int port) {
        return new ServerConfig(DEFAULT_HOST, port, null, DEFAULT_MAX_BODY_BYTES, RequestLimits.defaults());
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, key, maxBodyBytes, limits, idleSeconds, output);
    }

    public ServerConfig withMaxBodyBytes(int bytes) {
        return new ServerConfig(host, port, apiKey, bytes, limits, idleSeconds, output);
    }

    public ServerConfig withLimits(RequestLimits l) {
        return new ServerConfig(host, port, apiKey, maxBodyBytes, l, idleSeconds, output);
    }

    public ServerConfig withIdleSeconds(int seconds) {
        return new ServerConfig(host, port, apiKey, maxBodyBytes, limits, seconds, output);
    }

    public ServerConfig withOutput(OutputLimits o) {
        return new ServerConfig(host, port, apiKey, maxBodyBytes, limits, idleSeconds, o);
    }
}
