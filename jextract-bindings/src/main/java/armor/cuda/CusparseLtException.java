package armor.cuda;

/** A cuSPARSELt call returned an error status; the message names the call, the status and its description. */
public class CusparseLtException extends RuntimeException {
    private final int status;

    public CusparseLtException(String call, int status) {
        super(call + " failed: " + describe(status));
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** Throws unless {@code status} is {@code CUSPARSE_STATUS_SUCCESS}. */
    public static void check(String call, int status) {
        if (status != cusparseLt_h.CUSPARSE_STATUS_SUCCESS()) throw new CusparseLtException(call, status);
    }

    /** "CUSPARSE_STATUS_NAME (description)" as the library words it, e.g. for status 3 "... (invalid value)". */
    public static String describe(int status) {
        String name = cusparseLt_h.cusparseLtGetErrorName(status).reinterpret(256).getString(0);
        String text = cusparseLt_h.cusparseLtGetErrorString(status).reinterpret(256).getString(0);
        return name + " (" + text + ")";
    }
}
