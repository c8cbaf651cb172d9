package armor.cli;

import armor.pruner.recover.RecoveryJob;
import picocli.CommandLine.Option;

/** The recovery-training options shared by {@code armor recover} and {@code armor prune --recover}. */
final class RecoveryOptions {
    @Option(names = "--recover-steps", defaultValue = "" + RecoveryJob.DEFAULT_STEPS,
            description = "Adam steps of recovery training (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--recover-batch", defaultValue = "" + RecoveryJob.DEFAULT_BATCH,
            description = "sequences per step (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--recover-lr", defaultValue = "" + RecoveryJob.DEFAULT_LR,
            description = "learning rate, relative to each tensor's RMS (default ${DEFAULT-VALUE}); warm-up over 5 %% "
                    + "of the steps, cosine decay to a tenth")
    double lr;

    @Option(names = "--teacher-sequences", defaultValue = "" + RecoveryJob.DEFAULT_GENERATED,
            description = "sequences the dense teacher writes itself as extra training text (default ${DEFAULT-VALUE})")
    int generated;

    @Option(names = "--objective", defaultValue = "kl",
            description = "kl: match the teacher's next-token distributions end to end (default); layer: match each "
                    + "decoder block's output on the teacher's input to it (cheaper steps, no LM head)")
    String objective;

    RecoveryJob.Objective objective() {
        return switch (objective) {
            case "kl" -> RecoveryJob.Objective.KL;
            case "layer" -> RecoveryJob.Objective.LAYER;
            default -> throw new IllegalArgumentException("--objective " + objective + ", expected kl or layer");
        };
    }

    @Option(names = "--held-out", defaultValue = "",
            description = "windows A:B of the --calib text evaluated before and after recovery, never trained on "
                    + "(default: from the end of --windows to the end of the text; none to skip)")
    String heldOut;

    /** [from, to) of the held-out windows: {@code to} -1 for the end of the text, 0 to evaluate nothing. */
    int[] heldOutWindows(int trainTo) {
        if (heldOut.equals("none")) return new int[] {0, 0};
        if (heldOut.isEmpty()) return new int[] {trainTo, -1};
        return armor.pruner.calib.CalibrationSet.parseWindows(heldOut);
    }
}
