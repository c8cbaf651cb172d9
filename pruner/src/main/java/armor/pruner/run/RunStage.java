package armor.pruner.run;

/**
 * Which part of a pruning run this process does, over the work folder that every worker shares
 * ({@code .OUT.armor-work} beside the output, on a shared filesystem or volume).
 * <ul>
 *   <li>{@link #whole()}: everything still missing, then the checkpoint — unless the work folder was split into
 *       shards, then it only assembles (and lists what is missing and which shard owns it);</li>
 *   <li>{@link #stats()}: the calibration pass only, written once into the work folder; {@link #statsShard} splits
 *       it by samples (chunks of 8 samples, chunk c to shard c mod N), the chunks' sums added in chunk order;</li>
 *   <li>{@link #shard(int, int)}: the projections of shard {@code index} of {@code count} (a fixed, cost-balanced
 *       split, largest first), each saved as it is done.</li>
 * </ul>
 */
public record RunStage(Kind kind, int index, int count) {
    public enum Kind { WHOLE, STATS, SHARD }

    public RunStage {
        if ((kind == Kind.SHARD || (kind == Kind.STATS && count != 0)) && (count < 1 || index < 0 || index >= count)) {
            throw new PruneUsageException("--shard " + index + "/" + count + ", expected i/N with N ≥ 1 and 0 ≤ i < N");
        }
    }

    public static RunStage whole() {
        return new RunStage(Kind.WHOLE, 0, 0);
    }

    public static RunStage stats() {
        return new RunStage(Kind.STATS, 0, 0);
    }

    public static RunStage shard(int index, int count) {
        return new RunStage(Kind.SHARD, index, count);
    }

    /** {@code --stage stats --shard i/N}: the chunks {@code c ≡ i (mod N)} of the calibration pass. */
    public static RunStage statsShard(int index, int count) {
        return new RunStage(Kind.STATS, index, count);
    }

    /** Parses {@code i/N}. */
    public static RunStage parseShard(String text) {
        int slash = text.indexOf('/');
        try {
            if (slash > 0) return shard(Integer.parseInt(text.substring(0, slash).strip()),
                    Integer.parseInt(text.substring(slash + 1).strip()));
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new PruneUsageException("--shard " + text + ", expected i/N (shard i of N, 0 ≤ i < N), e.g. 0/4");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case WHOLE -> "whole run";
            case STATS -> count == 0 ? "--stage stats" : "--stage stats --shard " + index + "/" + count;
            case SHARD -> "--shard " + index + "/" + count;
        };
    }
}
