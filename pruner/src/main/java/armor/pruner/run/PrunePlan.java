package armor.pruner.run;

import java.util.List;

/**
 * What {@code armor prune --plan} prints: the projections, what one costs on this machine (measured in a short
 * run), and the wall time estimated for 1, 2, 4, ... shards of this machine's size.
 *
 * @param measured    what was measured, e.g. "ARMOR 12 iterations of model.layers.0.mlp.down_proj: 0.081 s/it"
 * @param statsSeconds the calibration pass (estimated from one sample), 0 without calibration
 * @param refitSeconds ARMOR's refit (in the assembling run, on one machine, after every shard), 0 without it
 * @param threads     worker threads per machine (matrices run in parallel, one per thread)
 * @param shardable   false for the sequential methods (Wanda, SparseGPT), which run on one machine only
 */
public record PrunePlan(List<Projection> projections, String measured, double statsSeconds, double refitSeconds,
                        int threads,
                        boolean shardable, List<Estimate> estimates) {
    /** One projection: its shape and estimated seconds on one thread of this machine. */
    public record Projection(String prefix, int rows, int cols, double seconds) {}

    /** Estimated wall time with {@code shards} machines like this one (calibration pass and refit included). */
    public record Estimate(int shards, double seconds, double busiestShardSeconds) {}
}
