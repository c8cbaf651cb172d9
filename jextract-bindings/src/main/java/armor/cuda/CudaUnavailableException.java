package armor.cuda;

/**
 * The GPU path cannot be used here: no driver, no device, no (or a wrong) cuSPARSELt library. The message is one
 * line that says what is missing and, where there is one, what to do about it; commands print it as it is.
 */
public class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
