package armor.cli;

import armor.pruner.armor.BlockRule;
import armor.pruner.run.LinearResult;
import armor.pruner.run.PruneJob;
import armor.pruner.run.PruneMethod;
import armor.pruner.run.PrunePlan;
import armor.pruner.run.PruneUsageException;
import armor.pruner.run.Pruner;
import armor.pruner.run.RunStage;
import armor.runtime.config.ConfigReader;
import armor.runtime.kernels.Parallel;
import armor.runtime.quant.Int8Scheme;
import armor.runtime.quant.Int8SchemeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code armor prune}: a dense Hugging Face model folder to a 2:4 or ARMOR 2:4 checkpoint. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Prune a dense model to 2:4 with ARMOR or a baseline and write the checkpoint to --out. "
                + "A rerun with the same arguments resumes from the projections already done (work folder "
                + ".OUT.armor-work beside --out).",
                "Over several machines sharing that folder: --stage stats once, then --shard i/N on each machine, "
                + "then the same command without --shard assembles the checkpoint (byte-identical to a one-machine "
                + "run). Wanda and SparseGPT are sequential (layer ℓ is calibrated on the pruned layers before it) "
                + "and refuse --shard and --stage: run them on one machine. --plan estimates the time first. "
                + "See docs/scale-out.md."})
public final class PruneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "dense Hugging Face model folder")
    Path model;

    @Option(names = "--method", required = true, converter = MethodConverter.class,
            description = "armor, nowag-p, wanda, sparsegpt or magnitude")
    PruneMethod method;

    /** Lets picocli report an unknown method as bad usage (exit code 2). */
    static final class MethodConverter implements CommandLine.ITypeConverter<PruneMethod> {
        @Override
        public PruneMethod convert(String value) {
            try {
                return PruneMethod.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--calib", description = "calibration text: plain text, or JSON lines with a \"text\" field "
            + "(needed by every method but magnitude)")
    Path calib;

    @Option(names = "--samples", defaultValue = "128", description = "calibration samples (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--seq", description = "tokens per sample (default: the model's context, at most 2048)")
    Integer seqOption;

    @Option(names = "--windows", description = "calibrate on windows A:B of the text as one stream with one BOS, "
            + "cut into --seq windows (the perplexity protocol) instead of random samples")
    String windows;

    @Option(names = "--iters", defaultValue = "20000", description = "ARMOR iteration budget (default ${DEFAULT-VALUE})")
    int iters;

    @Mixin
    ArmorBlock block;

    @Option(names = "--seed", defaultValue = "0", description = "seed of sampling and ARMOR (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: physical cores)")
    Integer threads;

    @Option(names = "--out", required = true, description = "output folder (must not exist)")
    Path out;

    @Mixin
    QuantizeOptions quantize;

    @Option(names = "--plan", description = "print the projections, the cost measured in a short run here and the "
            + "estimated wall time on 1, 2, 4, ... shards of this machine's size; writes nothing")
    boolean plan;

    @Option(names = "--stage", paramLabel = "stats", description = "stats: only the calibration pass, saved in the "
            + "work folder for the shards (armor and nowag-p); with --shard i/N only chunk c of 8 samples for "
            + "c mod N = i (the last one to finish adds them up)")
    String stage;

    @Option(names = "--recover", description = "then train the pruned model against the dense one (armor recover, "
            + "with this command's --calib, --windows, --seq and --seed): needs --windows; --out gets the recovered model")
    boolean recover;

    @CommandLine.Mixin
    RecoveryOptions recovery;

    @Option(names = "--shard", paramLabel = "i/N", description = "prune only shard i of N (0 ≤ i < N): a fixed, "
            + "cost-balanced share of the projections; results go to the shared work folder. Not for wanda or "
            + "sparsegpt (sequential)")
    String shard;

    @Override
    public Integer call() throws Exception {
        if (samples < 1) throw usage("--samples " + samples + ", expected at least 1");
        // the paper calibrates on 2048-token samples; a model with a shorter context gets samples of its context
        int seq = seqOption != null ? seqOption
                : Files.isDirectory(model) ? Math.min(2048, ConfigReader.read(model).maxPositions()) : 2048;
        if (seq < 2) throw usage("--seq " + seq + ", expected at least 2");
        if (iters < 0) throw usage("--iters " + iters + ", expected 0 or more");
        if (method == PruneMethod.ARMOR) block.check(spec);
        if (method.needsData() && calib == null) throw usage("--method " + method.cliName() + " needs --calib FILE");
        if (threads != null && threads < 1) throw usage("--threads " + threads + ", expected at least 1");
        RunStage runStage = runStage();
        Int8Scheme int8 = quantize.scheme(spec);
        if (quantize.int4()) return pruneThenQuantize4(seq, runStage);
        if (recover) return pruneAndRecover(seq, runStage, out, int8);
        return prune(seq, runStage, out, int8);
    }

    /** {@code --quantize int4}: prune (and recover) in float beside --out, then 4-bit into --out ({@link FourBitOutput}). */
    private int pruneThenQuantize4(int seq, RunStage runStage) throws Exception {
        if (plan || runStage.kind() != RunStage.Kind.WHOLE)
            throw usage("--quantize int4 runs on one machine: drop --plan, --stage and --shard");
        if (Files.exists(out)) throw usage("--out " + out + " already exists; expected a new folder");
        FourBitOutput.check(spec, model, quantize);
        Path floatOut = FourBitOutput.floatFolder(out);
        if (FourBitOutput.floatDone(out)) {
            System.err.println("armor: " + floatOut + " already holds the float model; quantizing it");
        } else {
            int rc = recover ? pruneAndRecover(seq, runStage, floatOut, null) : prune(seq, runStage, floatOut, null);
            if (rc != 0) return rc;
        }
        FourBitOutput.finish(out, quantize, calib, windows, samples, seq, seed);
        return 0;
    }

    private int prune(int seq, RunStage runStage, Path dest, Int8Scheme int8) throws Exception {
        // auto needs the model's shapes; a missing model folder is reported by the pruner when it loads it
        int b = method == PruneMethod.ARMOR && Files.isDirectory(model)
                ? block.resolve(ConfigReader.read(model), System.err) : BlockRule.AUTO_MAX;
        PruneJob job = new PruneJob(model, method, calib, samples, seq, windows, iters, b, seed, dest,
                threads == null ? Parallel.threads() : threads, int8, block.refit);
        try {
            if (plan) {
                printPlan(Pruner.plan(job, new PruneReporter()));
                return 0;
            }
            Pruner.Summary s = Pruner.run(job, runStage, new PruneReporter());
            switch (runStage.kind()) {
                case STATS -> System.out.printf(Locale.ROOT, "%s: calibration statistics in %s (%.1f s); next: "
                        + "--shard i/N on each worker%n", runStage, s.out(), s.seconds());
                case SHARD -> {
                    printSummary(s);
                    System.out.printf(Locale.ROOT, "%s: %d projections in %s (%.1f s%s); assemble with the same "
                            + "command without --shard when every shard is done%n", runStage, s.results().size(),
                            s.out(), s.seconds(), s.resumed() > 0 ? ", " + s.resumed() + " resumed" : "");
                }
                case WHOLE -> printSummary(s);
            }
            return 0;
        } catch (PruneUsageException e) {
            throw usage(e.getMessage());
        } catch (Int8SchemeException e) { // checked before any pruning: nothing written
            throw QuantizeCommand.usage(spec, e);
        }
    }

    /**
     * {@code --recover}: prunes into the recovery work folder (kept there, so a rerun after a kill neither prunes nor
     * trains again what is done), then recovers into --out; the quantization, if any, applies to the recovered model.
     */
    private int pruneAndRecover(int seq, RunStage runStage, Path dest, Int8Scheme scheme) throws Exception {
        if (windows == null) throw usage("--recover needs --windows A:B: recovery trains on windows of --calib");
        if (calib == null) throw usage("--recover needs --calib FILE");
        if (plan || runStage.kind() != RunStage.Kind.WHOLE) throw usage("--recover runs on one machine: drop --plan, --stage and --shard");
        if (Files.exists(dest)) throw usage("--out " + dest + " already exists; expected a new folder");
        int[] w;
        try {
            w = armor.pruner.calib.CalibrationSet.parseWindows(windows);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Path pruned = armor.pruner.recover.Recovery.workFolder(dest).resolve("pruned");
        Files.createDirectories(pruned.getParent());
        if (!Files.exists(pruned)) {
            int b = method == PruneMethod.ARMOR ? block.resolve(ConfigReader.read(model), System.err) : BlockRule.AUTO_MAX;
            PruneJob job = new PruneJob(model, method, calib, samples, seq, windows, iters, b, seed, pruned,
                    threads == null ? Parallel.threads() : threads, null, block.refit);
            try {
                printSummary(Pruner.run(job, RunStage.whole(), new PruneReporter()));
            } catch (PruneUsageException e) {
                throw usage(e.getMessage());
            }
        } else {
            System.err.println("armor: " + pruned + " already holds the pruned model; recovering it");
        }
        return RecoverCommand.run(spec, RecoverCommand.job(spec, pruned, model, calib, w, seq, recovery, seed, dest, scheme));
    }

    private RunStage runStage() {
        if (plan && shard != null) throw usage("--shard with --plan: --plan estimates every shard count at once; "
                + "drop --shard");
        if (plan && stage != null) throw usage("--stage with --plan: --plan runs no stage; drop --stage");
        if (stage != null && !stage.equals("stats")) throw usage("--stage " + stage + ", expected stats");
        try {
            if (shard != null) {
                RunStage s = RunStage.parseShard(shard);
                return stage != null ? RunStage.statsShard(s.index(), s.count()) : s;
            }
        } catch (PruneUsageException e) {
            throw usage(e.getMessage());
        }
        return stage != null ? RunStage.stats() : RunStage.whole();
    }

    private static void printPlan(PrunePlan p) {
        System.out.printf(Locale.ROOT, "%-34s %11s %14s%n", "projection", "shape", "est. seconds");
        double total = 0;
        for (PrunePlan.Projection r : p.projections()) {
            System.out.printf(Locale.ROOT, "%-34s %11s %14.1f%n", r.prefix(), r.rows() + "×" + r.cols(), r.seconds());
            total += r.seconds();
        }
        System.out.printf(Locale.ROOT, "%d projections, %.1f s of work on one thread%n", p.projections().size(), total);
        System.out.println("measured: " + p.measured());
        if (p.statsSeconds() > 0) {
            System.out.printf(Locale.ROOT, "calibration pass: about %.1f s (once, --stage stats)%n", p.statsSeconds());
        }
        if (p.refitSeconds() > 0) {
            System.out.printf(Locale.ROOT, "refit after ARMOR: about %s (one calibration pass a layer; in the "
                    + "assembling run, on one machine; --no-refit skips it)%n", duration(p.refitSeconds()));
        }
        System.out.printf(Locale.ROOT, "estimated wall time with %d threads per machine:%n", p.threads());
        System.out.printf(Locale.ROOT, "%8s %14s %16s%n", "shards", "wall", "busiest shard");
        for (PrunePlan.Estimate e : p.estimates()) {
            System.out.printf(Locale.ROOT, "%8d %14s %16s%n", e.shards(), duration(e.seconds()),
                    duration(e.busiestShardSeconds()));
        }
        if (!p.shardable()) {
            System.out.println("(wanda and sparsegpt are sequential: one machine only, no --shard)");
        }
    }

    private static String duration(double s) {
        if (s < 120) return String.format(Locale.ROOT, "%.1f s", s);
        if (s < 7200) return String.format(Locale.ROOT, "%.1f min", s / 60);
        if (s < 172800) return String.format(Locale.ROOT, "%.1f h", s / 3600);
        return String.format(Locale.ROOT, "%.1f days", s / 86400);
    }

    private static String loss(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.6f", v);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static void printSummary(Pruner.Summary s) {
        System.out.printf(Locale.ROOT, "%-34s %11s %12s %12s %7s %8s%n", "projection", "shape", "loss before",
                "loss after", "iters", "seconds");
        double before = 0, after = 0;
        int n = 0;
        for (LinearResult r : s.results()) {
            System.out.printf(Locale.ROOT, "%-34s %11s %12s %12s %7d %8.2f%n", r.prefix(),
                    r.rows() + "×" + r.cols(), loss(r.lossBefore()), loss(r.lossAfter()), r.iterations(),
                    r.seconds());
            if (!Double.isNaN(r.lossAfter())) {
                before += r.lossBefore();
                after += r.lossAfter();
                n++;
            }
        }
        if (n > 0) {
            System.out.printf(Locale.ROOT, "%-34s %11s %12.6f %12.6f%n", "mean", "", before / n, after / n);
        }
        System.out.println("(loss before: NoWag-P's proxy loss on the same statistics, ARMOR's starting point)");
        if (s.overhead() > 0) {
            System.out.printf(Locale.ROOT, "A/B overhead: %.2f %% of the pruned projections' parameters%n",
                    100 * s.overhead());
        }
        System.out.printf(Locale.ROOT, "wrote %s in %.1f s%s%n", s.out(), s.seconds(),
                s.resumed() > 0 ? " (" + s.resumed() + " projections resumed)" : "");
    }
}
