package armor.server.api;

/** Per-request limits, each answered with a 400 naming the field when exceeded. */
public record RequestLimits(int maxN, int maxTokens) {
    public static RequestLimits defaults() {
        return new RequestLimits(16, 4096);
    }
}
