package armor.cli;

/** Range checks shared by {@code serve} and {@code prune-serve}; each failure names the option and what is accepted. */
final class ServeOptions {
    private ServeOptions() {}

    static void check(int maxBatch, int maxQueue, int maxTokens, int maxN, int maxBodyBytes, int port) {
        if (maxBatch < 1 || maxBatch > 1024) throw new IllegalArgumentException("--max-batch " + maxBatch + ", expected 1..1024");
        if (maxQueue < 0) throw new IllegalArgumentException("--max-queue " + maxQueue + ", expected >= 0");
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens " + maxTokens + ", expected >= 1");
        if (maxN < 1 || maxN > 128) throw new IllegalArgumentException("--max-n " + maxN + ", expected 1..128");
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("--max-body-bytes " + maxBodyBytes + ", expected >= 1024");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port " + port + ", expected 0..65535");
    }
}
