package armor.cli;

import armor.bench.DecodeBenchmark;
import armor.bench.SparsifiedWeights;
import armor.pruner.armor.BlockRule;
import armor.pruner.calib.CalibrationSet;
import armor.pruner.recover.RecoveryJob;
import armor.pruner.run.PruneJob;
import armor.pruner.run.PruneMethod;
import armor.pruner.run.Pruner;
import armor.runtime.eval.Perplexity;
import armor.runtime.eval.TextCorpus;
import armor.runtime.kernels.Parallel;
import armor.runtime.model.DecoderLayer;
import armor.runtime.model.Model;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import armor.runtime.safetensors.CheckpointWeights;
import armor.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/**
 * {@code armor prune-serve}: prunes a dense model, compares it with the original and with magnitude 2:4 (the free
 * baseline, made in memory) on text it was not calibrated on, then serves the pruned checkpoint. The calibration text is tokenized as one stream and cut into windows: the
 * first ones calibrate, the last {@code --heldout} are only scored (the perplexity protocol of {@code armor eval ppl}).
 */
@Command(name = "prune-serve", mixinStandardHelpOptions = true,
        description = "Prune a model (ARMOR or a baseline), print a table of dense, magnitude 2:4 (computed in "
                + "memory) and the pruned model (held-out perplexity, weight bytes, decode tokens/s through the generation loop, "
                + "or 'too small to time' / 'too noisy to time' where it cannot be measured), then serve the "
                + "pruned model over the OpenAI-compatible API.")
public final class PruneServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "dense Hugging Face model folder")
    Path model;

    @Option(names = "--method", defaultValue = "armor", description = "armor, nowag-p, wanda, sparsegpt or magnitude (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--calib", required = true, description = "calibration text: plain text, or JSON lines with a \"text\" field")
    Path calib;

    @Option(names = "--samples", defaultValue = "32", description = "calibration windows at most (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--seq", defaultValue = "256", description = "tokens per window (default ${DEFAULT-VALUE}; capped by the context)")
    int seq;

    @Option(names = "--heldout", defaultValue = "8", description = "last windows kept out of calibration and scored (default ${DEFAULT-VALUE})")
    int heldout;

    @Option(names = "--iters", defaultValue = "2000", description = "ARMOR iteration budget (default ${DEFAULT-VALUE})")
    int iters;

    @Mixin
    ArmorBlock block;

    @Option(names = "--seed", defaultValue = "0", description = "seed of ARMOR (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", description = "checkpoint folder (default: <model folder name>-<method>-2of4 here); "
            + "an existing complete checkpoint there is served without pruning again")
    Path out;

    @Option(names = "--recover", description = "then recover the pruned model against the dense one (armor recover "
            + "on the calibration windows; written beside the checkpoint as <out>-recovered), add it to the table and "
            + "serve it")
    boolean recover;

    @picocli.CommandLine.Mixin
    RecoveryOptions recovery;

    @Option(names = "--no-serve", description = "stop after the comparison table")
    boolean noServe;

    @Mixin
    QuantizeOptions quantize;

    @Mixin
    ServerOptions server;

    @Override
    public Integer call() throws Exception {
        server.check();
        PruneMethod m;
        try {
            m = PruneMethod.parse(method);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (samples < 1) throw new ParameterException(spec.commandLine(), "--samples " + samples + ", expected at least 1");
        if (heldout < 1) throw new ParameterException(spec.commandLine(), "--heldout " + heldout + ", expected at least 1");
        if (m == PruneMethod.ARMOR) block.check(spec);
        Int8Scheme int8 = quantize.scheme(spec);
        if (quantize.int4())
            throw new ParameterException(spec.commandLine(), "--quantize int4: prune-serve compares int8 or float kinds; run "
                    + "armor prune --quantize int4, then armor serve on its folder");
        if (recover && int8 != null) {
            throw new ParameterException(spec.commandLine(), "--recover with --quantize: recovery trains float weights; "
                    + "run prune-serve --recover, then armor quantize on the recovered folder");
        }
        if (int8 != null && Files.isDirectory(model)) { // before the dense model is measured, not after
            try (CheckpointWeights w = CheckpointWeights.open(model)) {
                int8.check(w);
            } catch (Int8SchemeException e) {
                throw QuantizeCommand.usage(spec, e);
            }
        }
        Path dir = model.toAbsolutePath().normalize();
        Path target = out != null ? out : Path.of("pruned", dir.getFileName() + "-" + m.cliName() + "-2of4" + (int8 != null ? "-int8" : ""));

        Measured before, naive = null;
        HeldOut split;
        int b;
        PruneServeIdentity identity;
        boolean reuse;
        try (Model dense = Model.load(model)) {
            Tokenizer tok = dense.requireTokenizer();
            int window = Math.min(seq, dense.config().maxPositions());
            split = HeldOut.of(calib, tok, dense.config().bosTokenId(), window, samples, heldout);
            System.err.printf("armor: %s: %d windows of %d tokens; calibrating on windows %s, scoring windows %s%n",
                    calib, split.scored().to(), window, split.calibration(), split.scored());
            b = m == PruneMethod.ARMOR ? block.resolve(dense.config(), System.err) : BlockRule.AUTO_MAX;
            identity = PruneServeIdentity.of(dir, m, calib, split.calibration().toString(), split.seq(), iters, b, block.refit, seed, quantize.quantize,
                    quantize.groupSize, split.scored().toString());
            reuse = identity.reuse(target, out != null, System.err); // before any measuring
            before = measure("dense", dense, split);
            if (m != PruneMethod.MAGNITUDE) {
                // the baseline any 2:4 method must beat, free to compute: magnitude 2:4 of the same weights, in memory
                try (Model magnitude = Model.of(dense.config(), new SparsifiedWeights(dense.weights(), 0))) {
                    naive = measure("magnitude 2:4", magnitude, split);
                }
            }
        }

        if (!reuse) {
            PruneJob job = new PruneJob(model, m, calib, samples, split.seq(), split.calibration().toString(), iters, b, seed,
                    target, Parallel.threads(), int8, block.refit);
            try {
                Pruner.run(job, new PruneReporter());
                identity.write(target); // what the folder was made from, for the next run to compare
            } catch (Int8SchemeException e) { // checked before any pruning: nothing written
                throw QuantizeCommand.usage(spec, e);
            }
        }

        String label = (m == PruneMethod.ARMOR ? "armor 2:4 (b=" + b + (block.refit ? "" : ", --no-refit") + ")"
                : m.cliName() + " 2:4") + (int8 != null ? " int8" : "");
        List<String> heads = new ArrayList<>(List.of("dense"));
        List<Measured> cols = new ArrayList<>(List.of(before));
        if (naive != null) {
            heads.add("magnitude 2:4");
            cols.add(naive);
        }
        heads.add(label);
        try (Model pruned = Model.load(target)) {
            cols.add(measure("pruned", pruned, split));
        }
        Path served = target;
        if (recover) {
            served = recovered(target, reuse, split);
            heads.add(label + " + recovery");
            try (Model r = Model.load(served)) {
                cols.add(measure("recovered", r, split));
            }
        }
        printTable(heads, cols, split);
        if (noServe) return 0;
        try (Model model = Model.load(served)) {
            return ServeCommand.serve(model, model.requireTokenizer(), served, server, System.err);
        }
    }

    /** Name of the file in a recovered folder that records the recovery job that made it. */
    private static final String RECOVERY_JOB = "armor-recovery-job.txt";

    /**
     * The recovered model of {@code target} at {@code <target>-recovered}: reused when the pruned checkpoint was and
     * the folder records the same recovery job; remade when it is one this command made for another job; refused when
     * something else is there.
     */
    private Path recovered(Path target, boolean prunedReused, HeldOut split) throws Exception {
        Path dest = target.resolveSibling(target.getFileName() + "-recovered");
        Windows w = split.calibration();
        RecoveryJob job = RecoverCommand.job(spec, target, model, calib, new int[] {w.from(), w.to()}, split.seq(), recovery, seed,
                dest, null);
        job = new RecoveryJob(job.pruned(), job.teacher(), job.calib(), job.windowFrom(), job.windowTo(), job.seq(), 0, 0,
                job.generated(), job.steps(), job.batch(), job.lr(), job.objective(), job.seed(), job.out(), null); // prune-serve scores it
        Path record = dest.resolve(RECOVERY_JOB);
        if (Files.exists(dest)) {
            if (!Files.isRegularFile(record)) {
                throw new ParameterException(spec.commandLine(), dest + " exists and was not made by prune-serve --recover; "
                        + "move it away or choose another --out");
            }
            if (prunedReused && Files.readString(record).equals(job.fingerprint())) {
                System.err.println("armor: " + dest + " already holds the recovered model of these settings; reusing it");
                return dest;
            }
            System.err.println("armor: " + dest + " was recovered with other settings or from another checkpoint; recovering again");
            try (var walk = Files.walk(dest)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        RecoverCommand.run(spec, job);
        Path tmp = Files.createTempFile(dest, "." + RECOVERY_JOB, ".tmp");
        Files.writeString(tmp, job.fingerprint());
        Files.move(tmp, record, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return dest;
    }

    /** Which windows calibrate and which are scored. */
    record HeldOut(int[] stream, int seq, Windows calibration, Windows scored) {

        static HeldOut of(Path file, Tokenizer tok, int bos, int seq, int samples, int heldout) throws IOException {
            int[] stream = CalibrationSet.oneStream(tok, TextCorpus.read(file), bos);
            int total = stream.length / seq;
            if (total < 2) {
                throw new IllegalArgumentException(file + ": " + stream.length + " tokens make " + total
                        + " windows of " + seq + "; expected at least 2 (one to calibrate, one held out), lower --seq");
            }
            int held = Math.min(heldout, total / 2);
            int scoreFrom = total - held;
            return new HeldOut(stream, seq, new Windows(0, Math.min(samples, scoreFrom)), new Windows(scoreFrom, total));
        }
    }

    /**
     * @param decodeTokensPerSecond NaN when it could not be measured
     * @param speed                 whether it was measured, or why not ({@link DecodeBenchmark#verdict})
     */
    record Measured(double perplexity, long weightBytes, double decodeTokensPerSecond, DecodeBenchmark.Verdict speed,
                    String kinds) {}

    private static Measured measure(String label, Model m, HeldOut split) {
        System.err.printf("armor: %s: perplexity on %d held-out windows...%n", label, split.scored().count());
        Perplexity.Result ppl = Perplexity.compute(m, split.stream(), split.seq(), split.scored().from(), split.scored().to(), null);
        System.err.printf("armor: %s: decode speed...%n", label);
        DecodeBenchmark.Result speed = DecodeBenchmark.run(label, m, DecodeBenchmark.DEFAULT,
                line -> System.err.println("armor: " + label + ": " + line));
        DecodeBenchmark.Verdict verdict = speed.verdict();
        System.err.printf(Locale.ROOT, "armor: %s: decode %.1f tok/s ± %.0f%%, %.3f ms a token in the best round: %s%n",
                label, speed.tokensPerSecond().median(), speed.tokensPerSecond().spreadPercent(),
                speed.bestStepSeconds() * 1e3, switch (verdict) {
                    case TIMED -> "timed";
                    case TOO_SMALL -> String.format(Locale.ROOT, "under %.0f ms a token, %s (the loop's fixed cost and "
                            + "the machine's noise, not the weights)", DecodeBenchmark.TOO_SMALL_SECONDS * 1e3, verdict.phrase);
                    case TOO_NOISY -> String.format(Locale.ROOT, "rounds spread over ± %.0f %%, %s (the machine's load "
                            + "changed)", DecodeBenchmark.TOO_NOISY_PERCENT, verdict.phrase);
                });
        return new Measured(ppl.perplexity(), m.decoder().weightBytesPerToken(),
                verdict == DecodeBenchmark.Verdict.TIMED ? speed.tokensPerSecond().median() : Double.NaN, verdict, kinds(m));
    }

    /** The kinds of the model's projections, e.g. "dense" or "armor". */
    private static String kinds(Model m) {
        Set<String> k = new TreeSet<>();
        for (int l = 0; l < m.decoder().numLayers(); l++) {
            for (String p : DecoderLayer.PROJECTIONS) k.add(m.decoder().layer(l).linear(p).kind());
        }
        return String.join("+", k);
    }

    /**
     * Dense, magnitude 2:4 (unless that is the method), the method and its recovered model side by side: each row's value and, for the
     * pruned models, its change against dense.
     */
    private static void printTable(List<String> heads, List<Measured> cols, HeldOut split) {
        StringBuilder t = new StringBuilder("\n").append(String.format(Locale.ROOT, "%-40s", ""));
        for (String h : heads) t.append(String.format(Locale.ROOT, " %28s", h));
        t.append('\n').append(String.format(Locale.ROOT, "%-40s", "projection kinds"));
        for (Measured c : cols) t.append(String.format(Locale.ROOT, " %28s", c.kinds()));
        t.append('\n');
        row(t, "perplexity (" + (split.scored().count()) + " held-out windows of " + split.seq() + ")",
                cols, Measured::perplexity, "%.4f");
        row(t, "weight bytes read per token", cols, c -> (double) c.weightBytes(), "%.0f");
        row(t, "decode tokens/s (batch 1)", cols, Measured::decodeTokensPerSecond, "%.1f", c -> c.speed().phrase);
        System.out.println(t);
        System.out.flush();
    }

    private static void row(StringBuilder t, String label, List<Measured> cols, ToDoubleFunction<Measured> value,
                            String format) {
        row(t, label, cols, value, format, c -> "");
    }

    /** @param missing what a cell says when its value is NaN (not measured) */
    private static void row(StringBuilder t, String label, List<Measured> cols, ToDoubleFunction<Measured> value,
                            String format, java.util.function.Function<Measured, String> missing) {
        t.append(String.format(Locale.ROOT, "%-40s", label));
        double base = value.applyAsDouble(cols.get(0));
        for (int i = 0; i < cols.size(); i++) {
            double v = value.applyAsDouble(cols.get(i));
            if (Double.isNaN(v)) {
                t.append(String.format(Locale.ROOT, " %28s", missing.apply(cols.get(i))));
                continue;
            }
            String cell = String.format(Locale.ROOT, format, v);
            if (i > 0 && !Double.isNaN(base)) cell += String.format(Locale.ROOT, " (%+.1f%%)", 100 * (v / base - 1));
            t.append(String.format(Locale.ROOT, " %28s", cell));
        }
        t.append('\n');
    }
}
