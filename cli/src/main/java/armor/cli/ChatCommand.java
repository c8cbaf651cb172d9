package armor.cli;

import armor.runtime.chat.ChatSession;
import armor.runtime.generate.GenerationResult;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code armor chat}: one user turn per line of stdin, the reply streamed to stdout, statistics and notices to
 * stderr, so piped output is the replies alone. On a terminal (stdin and stdout) it prompts with {@code > } and
 * prints everything to stdout. The conversation goes through the model's chat template.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model: each line read from stdin is a user turn, the reply streams to stdout.",
                "The conversation is rendered with the model's chat template (plain text joined by newlines for "
                        + "base models without one); the KV cache is kept between turns.",
                "Commands: /reset forgets the conversation, /exit (or end of input) quits."})
public final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Option(names = "--system", description = "system message at the start of the conversation")
    String system;

    @Mixin
    SamplingFlags sampling;

    @Mixin
    DeviceOption device;

    @Mixin
    SparseOption sparse;

    @Override
    public Integer call() throws Exception {
        long seed = sampling.seedOrRandom();
        var params = sampling.params(seed);
        PrintStream err = System.err;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Console console = System.console();
        boolean interactive = console != null && console.isTerminal();
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // on a terminal, notices and statistics go with the replies through stdout: the launcher passes stderr
        // through a line-buffered filter, so they would reach the screen after the next "> " prompt
        PrintStream info = interactive ? out : err;
        device.refuseCudaBeforeLoading(err);
        try (Model m = sparse.load(model, err)) {
            device.requireCpu(err);
            Tokenizer tok = m.requireTokenizer();
            try (ChatSession chat = new ChatSession(m, tok, system, params, sampling.stopConditions())) {
                if (interactive) info.println("armor: chatting with " + model + " (seed " + seed + "); /reset, /exit");
                while (true) {
                    if (interactive) {
                        out.print("> ");
                        out.flush();
                    }
                    String line = in.readLine();
                    if (line == null || line.strip().equals("/exit")) break;
                    if (line.strip().equals("/reset")) {
                        chat.reset();
                        info.println("armor: conversation reset");
                        continue;
                    }
                    if (line.isBlank()) continue;
                    GenerationResult r;
                    try {
                        // on a terminal the reply streams; into a pipe it is written whole and exact, as generate does
                        r = chat.send(line, (id, text) -> {
                            if (interactive && !text.isEmpty()) out.print(text);
                        });
                    } catch (IllegalArgumentException e) {
                        info.println("armor: " + e.getMessage());
                        continue;
                    }
                    if (!interactive) out.print(r.text());
                    out.println();
                    out.flush();
                    info.printf("armor: prompt %d new tokens (%d reused), %.1f tok/s; generated %d tokens, %.2f tok/s; "
                                    + "stop: %s; seed %d%n", r.promptTokens(), chat.reusedLastTurn(),
                            r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(),
                            r.stopReason().name().toLowerCase(), seed);
                }
            }
        }
        return 0;
    }
}
