package armor.cli;

import armor.server.ServerConfig;
import armor.server.api.RequestLimits;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The HTTP server options shared by {@code serve} and {@code prune-serve} (a picocli mixin). */
public final class ServerOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--served-model-name", description = "model id clients must send (default: the folder name)")
    String servedName;

    @Option(names = "--host", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 exposes the server to the network)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--api-key", description = "require 'Authorization: Bearer KEY' on /v1 and /metrics "
            + "(default: the ARMOR_API_KEY environment variable, else no key)")
    String apiKey;

    @Option(names = "--max-batch", defaultValue = "8", description = "sequences decoded together per step (default ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-queue", defaultValue = "64",
            description = "sequences waiting for a batch slot before new requests get 429 (default ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--max-tokens", defaultValue = "4096",
            description = "largest max_tokens a request may ask for (default ${DEFAULT-VALUE}); also the default when "
                    + "a chat request gives none (capped by the context)")
    int maxTokens;

    @Option(names = "--max-n", defaultValue = "16", description = "largest n (choices per request) (default ${DEFAULT-VALUE})")
    int maxN;

    @Option(names = "--max-body-bytes", defaultValue = "4194304", description = "largest request body (default ${DEFAULT-VALUE})")
    int maxBodyBytes;

    @Option(names = "--shutdown-grace", defaultValue = "10",
            description = "seconds running requests get to finish on Ctrl-C before they are cancelled (default ${DEFAULT-VALUE})")
    int graceSeconds;

    @Option(names = "--idle-seconds", defaultValue = "" + ServerConfig.DEFAULT_IDLE_SECONDS,
            description = "close connections silent this long with no request in flight (default ${DEFAULT-VALUE})")
    int idleSeconds;

    @Option(names = "--quiet", description = "no access-log line per request on stderr")
    boolean quiet;

    /** Checks the ranges (bad usage, exit code 2); each failure names the option and what is accepted. */
    void check() {
        if (maxBatch < 1 || maxBatch > 1024) throw bad("--max-batch " + maxBatch + ", expected 1..1024");
        if (maxQueue < 0) throw bad("--max-queue " + maxQueue + ", expected >= 0");
        if (maxTokens < 1) throw bad("--max-tokens " + maxTokens + ", expected >= 1");
        if (maxN < 1 || maxN > 128) throw bad("--max-n " + maxN + ", expected 1..128");
        if (maxBodyBytes < 1024) throw bad("--max-body-bytes " + maxBodyBytes + ", expected >= 1024");
        if (port < 0 || port > 65535) throw bad("--port " + port + ", expected 0..65535");
        if (idleSeconds < 1) throw bad("--idle-seconds " + idleSeconds + ", expected >= 1");
        if (graceSeconds < 0) throw bad("--shutdown-grace " + graceSeconds + ", expected >= 0");
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    ServerConfig config() {
        String key = apiKey != null ? apiKey : System.getenv("ARMOR_API_KEY");
        return new ServerConfig(host, port, key == null || key.isEmpty() ? null : key, maxBodyBytes,
                new RequestLimits(maxN, maxTokens), idleSeconds);
    }
}
