package armor.runtime.quant;

/**
 * A model folder cannot be quantized as asked: a group size that does not fit a tensor's rows, or weights that are
 * int8 already. Nothing has been written when this is thrown; commands report it as bad usage.
 */
public final class Int8SchemeException extends IllegalArgumentException {
    /** What was wrong: the group size option, or the input folder. */
    public enum Cause { GROUP_SIZE, ALREADY_QUANTIZED }

    private final Cause cause;

    public Int8SchemeException(Cause cause, String message) {
        super(message);
        this.cause = cause;
    }

    public Cause reason() {
        return cause;
    }
}
