package armor.pruner.run;

/**
 * A pruning run asked for something its arguments or its work folder cannot give (a shard out of range, a work
 * folder of another job, assembling with results missing): the command reports it as bad usage (exit code 2),
 * before anything is written.
 */
public final class PruneUsageException extends IllegalArgumentException {
    public PruneUsageException(String message) {
        super(message);
    }
}
