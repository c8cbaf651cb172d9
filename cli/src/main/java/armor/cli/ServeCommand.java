package armor.cli;

import armor.runtime.model.Model;
import armor.server.ModelServer;
import armor.server.ServerConfig;
import armor.server.api.RequestLimits;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code armor serve}: the OpenAI-compatible HTTP server over one model folder, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, "
                + "/v1/models, /health, /metrics) until interrupted.")
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder (dense or pruned)")
    Path model;

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

    @Override
    public Integer call() throws Exception {
        ServeOptions.check(maxBatch, maxQueue, maxTokens, maxN, maxBodyBytes, port);
        try (Model m = Model.load(model)) {
            Tokenizer tok = m.requireTokenizer();
            String id = servedName != null ? servedName : model.toAbsolutePath().normalize().getFileName().toString();
            serve(m, tok, id, config(), maxBatch, maxQueue, maxTokens, graceSeconds, System.err);
        }
        return 0;
    }

    ServerConfig config() {
        String key = apiKey != null ? apiKey : System.getenv("ARMOR_API_KEY");
        return new ServerConfig(host, port, key == null || key.isEmpty() ? null : key, maxBodyBytes,
                new RequestLimits(maxN, maxTokens));
    }

    /** Starts the server, prints where it listens and a curl example, and blocks until Ctrl-C. */
    static void serve(Model m, Tokenizer tok, String id, ServerConfig config, int maxBatch, int maxQueue, int maxTokens,
                      int graceSeconds, PrintStream err) throws InterruptedException {
        ModelServer server = ModelServer.start(m, tok, id, config, maxBatch, maxQueue, maxTokens);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            err.println("armor: shutting down (running requests get " + graceSeconds + " s to finish)...");
            server.shutdown(Duration.ofSeconds(graceSeconds));
            stopped.countDown();
        }, "armor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        String base = "http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + server.port();
        err.printf("armor: serving '%s' on %s (context %d, max batch %d, queue %d%s); Ctrl-C stops%n", id, base,
                m.config().maxPositions(), maxBatch, maxQueue, config.apiKey() != null ? ", API key required" : "");
        err.println("armor: try it:");
        System.out.println(curlExample(base, id, config.apiKey() != null));
        System.out.flush();
        server.awaitClose();
        stopped.await();
    }

    static String curlExample(String base, String id, boolean withKey) {
        return "curl " + base + "/v1/chat/completions -H 'Content-Type: application/json'"
                + (withKey ? " -H \"Authorization: Bearer $ARMOR_API_KEY\"" : "")
                + " -d '{\"model\": \"" + id + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}],"
                + " \"max_tokens\": 64, \"temperature\": 0.7}'";
    }
}
