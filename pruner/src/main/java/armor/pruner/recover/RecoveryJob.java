package armor.pruner.recover;

import armor.runtime.quant.Int8Scheme;

import java.nio.file.Path;

/**
 * What {@code armor recover} (or {@code prune --recover}) is asked to do.
 *
 * @param pruned     the 2:4 or ARMOR model folder to train
 * @param teacher    the dense model it was pruned from
 * @param calib      calibration text; windows {@code [windowFrom, windowTo)} of it as one stream are training data
 * @param heldOut    windows {@code [heldOutFrom, heldOutTo)} evaluated before and after (never trained on);
 *                   {@code heldOutTo = 0} evaluates nothing, {@code -1} means up to the last whole window
 * @param generated  sequences the teacher samples itself as further training data
 * @param steps      optimizer steps, each over {@code batch} sequences of {@code seq} tokens
 * @param lr         Adam's learning rate, relative to each tensor's RMS
 * @param objective  what the student is trained to match
 * @param quantize   int8 scheme for the output, or null for the pruned model's own dtype
 */
public record RecoveryJob(Path pruned, Path teacher, Path calib, int windowFrom, int windowTo, int seq,
                          int heldOutFrom, int heldOutTo, int generated, int steps, int batch, double lr, Objective objective, long seed,
                          Path out, Int8Scheme quantize) {
    public static final int DEFAULT_STEPS = 900, DEFAULT_BATCH = 4, DEFAULT_GENERATED = 1024;
    public static final double DEFAULT_LR = 2e-3;

    /**
     * {@code KL}: the teacher's next-token distributions, end to end. {@code LAYER}: each decoder block's output
     * given the teacher's input to that block (block-wise reconstruction: no LM head in the step, blocks independent).
     */
    public enum Objective {
        KL, LAYER;

        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public RecoveryJob {
        if (objective == null) objective = Objective.KL;
        if (seq < 2) throw new IllegalArgumentException("--seq " + seq + ", expected at least 2");
        if (steps < 0) throw new IllegalArgumentException("--recover-steps " + steps + ", expected 0 or more");
        if (batch < 1) throw new IllegalArgumentException("--recover-batch " + batch + ", expected at least 1");
        if (generated < 0) throw new IllegalArgumentException("--generated " + generated + ", expected 0 or more");
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr " + lr + ", expected a positive number");
    }

    /** The settings that decide the trained values: a resumed run must match them all. */
    public String fingerprint() {
        return String.join("|", pruned.toAbsolutePath().normalize().toString(),
                teacher.toAbsolutePath().normalize().toString(), calib.toAbsolutePath().normalize().toString(),
                windowFrom + ":" + windowTo, "seq " + seq, "generated " + generated, "steps " + steps, "batch " + batch,
                "lr " + lr, "objective " + objective.cliName(), "seed " + seed);
    }
}
