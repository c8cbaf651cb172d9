package armor.cli;

import armor.runtime.model.Model;
import armor.server.AccessLog;
import armor.server.ModelServer;
import armor.server.ServerConfig;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    DeviceOption device;

    @Mixin
    ServerOptions server;

    @Mixin
    SparseOption sparse;

    @Override
    public Integer call() throws Exception {
        server.check();
        device.refuseCudaBeforeLoading(System.err);
        try (Model m = sparse.load(model, System.err)) {
            device.requireCpu(System.err);
            return serve(m, m.requireTokenizer(), model, server, System.err);
        }
    }

    /**
     * Starts the server, prints where it listens and a curl example, and blocks until Ctrl-C (exit code 0) or until
     * generation fails in a way it cannot go on after (1, so that a supervisor restarts the process).
     */
    static int serve(Model m, Tokenizer tok, Path folder, ServerOptions o, PrintStream err) throws InterruptedException {
        String id = o.servedName != null ? o.servedName : folder.toAbsolutePath().normalize().getFileName().toString();
        ServerConfig config = o.config();
        ModelServer server = ModelServer.start(m, tok, id, config, o.maxBatch, o.maxQueue, o.maxTokens,
                o.quiet ? AccessLog.NONE : line -> err.println("armor: " + line));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("armor: shutting down (running requests get " + o.graceSeconds + " s to finish)...");
            server.shutdown(Duration.ofSeconds(o.graceSeconds));
            stopped.countDown();
        }, "armor-shutdown"));
        String base = "http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + server.port();
        err.printf("armor: serving '%s' on %s (context %d, max batch %d, queue %d%s); Ctrl-C stops%n", id, base,
                m.config().maxPositions(), o.maxBatch, o.maxQueue, config.apiKey() != null ? ", API key required" : "");
        err.println("armor: try it:");
        System.out.println(curlExample(base, id, config.apiKey() != null));
        System.out.flush();
        server.awaitClose();
        var failure = server.failure();
        if (failure.isPresent()) {
            err.println("armor: generation failed and cannot go on, exiting: " + failure.get());
            return 1;
        }
        stopped.await();
        return 0;
    }

    static String curlExample(String base, String id, boolean withKey) {
        return "curl -s " + base + "/v1/chat/completions -H 'Content-Type: application/json'"
                + (withKey ? " -H \"Authorization: Bearer $ARMOR_API_KEY\"" : "")
                + " -d '{\"model\": \"" + id + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}],"
                + " \"max_tokens\": 64, \"temperature\": 0.7}'";
    }
}
