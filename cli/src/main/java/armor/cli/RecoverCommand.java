package armor.cli;

import armor.pruner.calib.CalibrationSet;
import armor.pruner.recover.Recovery;
import armor.pruner.recover.RecoveryJob;
import armor.pruner.run.PruneUsageException;
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

/** {@code armor recover}: trains an existing 2:4 or ARMOR checkpoint against its dense teacher. */
@Command(name = "recover", mixinStandardHelpOptions = true,
        description = {"Win back the quality pruning lost: train the pruned model's kept 2:4 values, ARMOR's A'/B' "
                + "and RMSNorm weights (masks fixed, so the result stays exactly 2:4; embedding and head frozen) to "
                + "match the dense teacher's next-token distributions (KL on the logits, Adam), on windows of --calib "
                + "and on text the teacher writes itself. Prints held-out perplexity before and after, writes the "
                + "loss curve as recovery-loss.png in --out. A rerun of the same command resumes (work folder "
                + ".OUT.recover-work beside --out). See docs/pruner.md."})
public final class RecoverCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "the pruned (2:4 or ARMOR, float) model folder")
    Path model;

    @Option(names = "--teacher", required = true, description = "the dense model it was pruned from")
    Path teacher;

    @Option(names = "--calib", required = true, description = "calibration text (plain text or JSON lines with \"text\")")
    Path calib;

    @Option(names = "--windows", defaultValue = "0:64",
            description = "train on windows A:B of --calib as one stream with one BOS (default ${DEFAULT-VALUE})")
    String windows;

    @Option(names = "--seq", defaultValue = "256", description = "tokens per window (default ${DEFAULT-VALUE})")
    int seq;

    @Option(names = "--seed", defaultValue = "0", description = "seed of data order and teacher text (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    QuantizeOptions quantize;

    @Option(names = "--out", required = true, description = "output folder (must not exist)")
    Path out;

    @Mixin
    RecoveryOptions recovery;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Int8Scheme scheme = quantize.scheme(spec);
        int[] w;
        try {
            w = CalibrationSet.parseWindows(windows);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!quantize.int4()) return run(spec, job(spec, model, teacher, calib, w, seq, recovery, seed, out, scheme));
        // --quantize int4: recover in float beside --out, then GPTQ on the same calibration windows into --out
        if (Files.exists(out)) throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " already exists; expected a new folder");
        FourBitOutput.check(spec, model, quantize);
        if (!FourBitOutput.floatDone(out)) {
            int rc = run(spec, job(spec, model, teacher, calib, w, seq, recovery, seed, FourBitOutput.floatFolder(out), null));
            if (rc != 0) return rc;
        }
        FourBitOutput.finish(out, quantize, calib, windows, 0, seq, seed);
        return 0;
    }

    static RecoveryJob job(CommandLine.Model.CommandSpec spec, Path model, Path teacher, Path calib, int[] w, int seq,
                           RecoveryOptions o, long seed, Path out, Int8Scheme scheme) {
        try {
            int[] h = o.heldOutWindows(w[1]);
            return new RecoveryJob(model, teacher, calib, w[0], w[1], seq, h[0], h[1], o.generated, o.steps, o.batch,
                    o.lr, o.objective(), seed, out, scheme);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    static int run(CommandLine.Model.CommandSpec spec, RecoveryJob job) throws Exception {
        Recovery.Summary s;
        try {
            s = Recovery.run(job, new PruneReporter());
        } catch (PruneUsageException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (Int8SchemeException e) {
            throw QuantizeCommand.usage(spec, e);
        }
        if (!Double.isNaN(s.heldOutBefore())) {
            System.out.printf(Locale.ROOT, "held-out perplexity: teacher %.4f, pruned %.4f, recovered %.4f (%+.1f %% vs teacher)%n",
                    s.heldOutTeacher(), s.heldOutBefore(), s.heldOutAfter(), 100 * (s.heldOutAfter() / s.heldOutTeacher() - 1));
        }
        if (!s.losses().isEmpty()) {
            System.out.printf(Locale.ROOT, "%s: %.5f at step 1, %.5f at step %d%n",
                    job.objective() == RecoveryJob.Objective.KL ? "KL to the teacher" : "block reconstruction error",
                    s.losses().get(0),
                    s.losses().get(s.losses().size() - 1), s.losses().size());
        }
        System.out.printf(Locale.ROOT, "wrote %s in %.1f s (training %.1f s%s); loss curve %s%n", s.out(), s.seconds(),
                s.trainSeconds(), s.resumedAt() > 0 ? ", resumed at step " + s.resumedAt() : "",
                s.out().resolve("recovery-loss.png"));
        return 0;
    }
}
