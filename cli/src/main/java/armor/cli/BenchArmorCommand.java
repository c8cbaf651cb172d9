package armor.cli;

import armor.bench.ArmorIterationBench;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor bench-armor}: ARMOR optimizer iterations/s on one random matrix. */
@Command(name = "bench-armor", mixinStandardHelpOptions = true,
        description = "ARMOR optimizer speed: iterations/s (one Adam step + one discrete 2:4 step) on a random "
                + "matrix. PyTorch on a 2-core machine: 0.17 it/s for 4096x4096, b=128.")
public final class BenchArmorCommand implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "4096", description = "d_out (default ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--cols", defaultValue = "4096", description = "d_in (default ${DEFAULT-VALUE})")
    int cols;

    @Option(names = "--block", defaultValue = "128", description = "block size b (default ${DEFAULT-VALUE})")
    int block;

    @Option(names = "--threads", defaultValue = "2", description = "threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed iterations (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iters", defaultValue = "10", description = "timed iterations (default ${DEFAULT-VALUE})")
    int iters;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (rows < 1 || cols < 4 || cols % 4 != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rows " + rows + " --cols " + cols
                    + ": expected positive sizes with cols divisible by 4");
        }
        if (iters < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--iters " + iters + ", expected at least 1");
        if (threads < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--threads " + threads + ", expected at least 1");
        System.err.printf(Locale.ROOT, "armor: ARMOR iterations on a random %d×%d matrix, b = %d, %d threads%n",
                rows, cols, block, threads);
        ArmorIterationBench.Result r = ArmorIterationBench.run(rows, cols, block, threads, warmup, iters, null);
        double[] s = r.secondsPerIteration().clone();
        java.util.Arrays.sort(s);
        boolean referenceShape = rows == 4096 && cols == 4096 && block == 128;
        System.out.printf(Locale.ROOT, "%d×%d b=%d threads=%d: %.3f it/s (median %.3f s/it, best %.3f, worst %.3f "
                        + "over %d), %.1f GFLOP/s in the block products%s%n",
                rows, cols, r.block(), threads, r.iterationsPerSecond(), r.medianSeconds(), s[0], s[s.length - 1],
                iters, r.gflops(), referenceShape ? String.format(Locale.ROOT, "; PyTorch reference 0.17 it/s → %.1f×",
                        r.iterationsPerSecond() / 0.17) : "");
        System.out.printf(Locale.ROOT, "proxy loss %.6f → %.6f after %d iterations%n", r.initialLoss(),
                r.finalLoss(), warmup + iters);
        return 0;
    }
}
