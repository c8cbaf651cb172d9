package armor.cli;

import armor.runtime.generate.GenerationResult;
import armor.runtime.generate.Generator;
import armor.runtime.generate.SamplingParams;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code armor generate}: streams the generated text (only) to stdout; statistics go to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt; the generated text streams to stdout, statistics to stderr.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", description = "tokens to generate at most (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = off")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling threshold; 1 = off")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.0", description = "drop tokens below min-p × the top probability; 0 = off")
    float minP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", description = "penalise tokens already seen; 1 = off")
    float repetitionPenalty;

    @Option(names = "--seed", description = "random seed (default: random, printed to stderr)")
    Long seed;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = List.of();

    @Option(names = "--ignore-eos", description = "keep generating past end-of-sequence tokens")
    boolean ignoreEos;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : System.nanoTime();
        SamplingParams params = new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, s, maxTokens,
                stop, ignoreEos);
        PrintStream err = System.err;
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Model m = Model.load(model)) {
            device.requireCpu(err);
            Tokenizer tok = m.requireTokenizer();
            int[] ids = tok.encode(prompt, true);
            GenerationResult r = new Generator(m, tok).generate(ids, params, (id, text) -> {
                if (!text.isEmpty()) out.print(text);
            });
            out.println();
            out.flush();
            err.printf("armor: prompt %d tokens, %.1f tok/s; generated %d tokens, %.2f tok/s; stop: %s; seed %d%n",
                    r.promptTokens(), r.promptTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(),
                    r.stopReason().name().toLowerCase(), s);
        }
        return 0;
    }
}
