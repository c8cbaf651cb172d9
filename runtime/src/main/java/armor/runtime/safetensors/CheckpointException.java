package armor.runtime.safetensors;

/**
 * A checkpoint (safetensors, config.json, index) is missing or malformed. The message is one line naming the
 * file / tensor / field, what was found and what was expected.
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
