package armor.runtime.generate;

/**
 * A sequence failed because of an error in the model or the generation loop (an {@link OutOfMemoryError} in the
 * forward pass, a bug): what its client is told, in one line, without a stack trace. The scheduler goes on serving
 * the other sequences.
 */
public final class GenerationFailure extends RuntimeException {
    private GenerationFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** Wraps any throwable of a step; a {@link RuntimeException} that already says what went wrong stays as it is. */
    public static RuntimeException of(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof OutOfMemoryError) {
            return new GenerationFailure("Generation failed: the server ran out of memory (" + t.getMessage()
                    + ") while running this request's step; retry with a shorter prompt, fewer tokens or fewer choices",
                    t);
        }
        return new GenerationFailure("Generation failed: " + t, t);
    }

    /**
     * Whether the loop can go on after {@code t}: memory exhaustion and stack overflow end with the allocation or
     * the call that failed, but other virtual-machine errors (InternalError, UnknownError) leave the process in a
     * state nothing should be generated in.
     */
    static boolean survivable(Throwable t) {
        return !(t instanceof VirtualMachineError) || t instanceof OutOfMemoryError || t instanceof StackOverflowError;
    }
}
