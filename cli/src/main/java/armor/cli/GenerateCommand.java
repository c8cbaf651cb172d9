package armor.cli;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.StopConditions;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.Console;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code armor generate}: the generated text (only) to stdout, statistics to stderr. On a terminal the text streams
 * as it comes; into a pipe or file it is written once at the end, exact: the tokenizer's full decode of the
 * generated ids, which streamed pieces can miss where a byte-fallback run is not valid UTF-8.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text from a prompt; the generated text goes to stdout, statistics to stderr.",
                "On a terminal the text streams as it is generated; into a pipe or a file it is written at the end, "
                        + "exactly as the tokenizer decodes the generated ids (the server's completion text for the "
                        + "same seed and settings)."})
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Mixin
    SamplingFlags sampling;

    @Mixin
    DeviceOption device;

    @Mixin
    SparseOption sparse;

    @Override
    public Integer call() throws Exception {
        long s = sampling.seedOrRandom();
        SamplingParams params = sampling.params(s);
        StopConditions stop = sampling.stopConditions();
        Console console = System.console();
        boolean stream = console != null && console.isTerminal();
        PrintStream err = System.err;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        device.refuseCudaBeforeLoading(err);
        try (Model m = sparse.load(model, err)) {
            device.requireCpu(err);
            Tokenizer tok = m.requireTokenizer();
            int[] ids = tok.encode(prompt, true);
            GenerationResult r = new Generator(m, tok).generate(ids, params, stop, (id, text) -> {
                if (stream && !text.isEmpty()) out.print(text);
            });
            if (!stream) out.print(r.text());
            out.println();
            out.flush();
            err.printf("armor: prompt %d tokens, %.1f tok/s; generated %d tokens, %.2f tok/s; stop: %s; seed %d%n",
                    r.promptTokens(), r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(),
                    r.stopReason().name().toLowerCase(), s);
        }
        return 0;
    }
}
