package armor.runtime.generate;

/** Why a sequence ended; the first two are OpenAI's {@code finish_reason} values. */
public enum FinishReason {
    STOP("stop"), LENGTH("length"), CANCELLED("cancelled");

    private final String apiName;

    FinishReason(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
