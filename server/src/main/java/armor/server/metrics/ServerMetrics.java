package armor.server.metrics;

import armor.runtime.generate.SchedulerMetrics;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** Counters, gauges and a histogram, rendered in Prometheus' text exposition format (version 0.0.4). */
public final class ServerMetrics implements SchedulerMetrics {
    private static final double[] TTFT_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** Window over which {@code armor_decode_tokens_per_second} is measured. */
    private static final long RATE_WINDOW_NANOS = 10_000_000_000L;

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder decodeSteps = new LongAdder();
    private final LongAdder decodeTokens = new LongAdder();
    private final LongAdder decodeNanos = new LongAdder();
    private final LongAdder samplingNanos = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final long[] ttftBuckets = new long[TTFT_BUCKETS.length];
    private long ttftCount;
    private double ttftSum;
    private final AtomicLong lastBatchSize = new AtomicLong();
    private final ArrayDeque<long[]> recentSteps = new ArrayDeque<>(); // {endNanos, tokens, durationNanos}
    private volatile IntSupplier queueDepth = () -> 0;
    private volatile IntSupplier activeSequences = () -> 0;
    private volatile IntSupplier pausedSequences = () -> 0;
    private volatile java.util.function.LongSupplier unsentBytes = () -> 0;

    @Override
    public void bindGauges(IntSupplier queueDepth, IntSupplier activeSequences) {
        this.queueDepth = queueDepth;
        this.activeSequences = activeSequences;
    }

    @Override
    public void bindPausedGauge(IntSupplier pausedSequences) {
        this.pausedSequences = pausedSequences;
    }

    /** A live view of the response bytes written to connections that their sockets have not taken yet. */
    public void bindUnsentBytes(java.util.function.LongSupplier unsentBytes) {
        this.unsentBytes = unsentBytes;
    }

    public void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    @Override
    public void promptTokens(int n) {
        promptTokens.add(n);
    }

    @Override
    public void completionTokens(int n) {
        completionTokens.add(n);
    }

    @Override
    public void rejected() {
        rejected.increment();
    }

    @Override
    public void cancelled() {
        cancelled.increment();
    }

    @Override
    public synchronized void timeToFirstToken(double seconds) {
        for (int i = 0; i < TTFT_BUCKETS.length; i++) if (seconds <= TTFT_BUCKETS[i]) ttftBuckets[i]++;
        ttftCount++;
        ttftSum += seconds;
    }

    /** One decode step that produced {@code tokens} tokens (one per sequence in the batch). */
    @Override
    public synchronized void decodeStep(int tokens, long durationNanos) {
        decodeSteps.increment();
        decodeTokens.add(tokens);
        decodeNanos.add(durationNanos);
        lastBatchSize.set(tokens);
        long now = System.nanoTime();
        recentSteps.addLast(new long[] {now, tokens, durationNanos});
        while (!recentSteps.isEmpty() && now - recentSteps.peekFirst()[0] > RATE_WINDOW_NANOS) recentSteps.removeFirst();
    }

    /** A step that also prefilled joining sequences: counts toward the token rate, not the decode-only counters. */
    @Override
    public synchronized void mixedStep(int tokens, long durationNanos) {
        decodeSteps.increment();
        lastBatchSize.set(tokens);
        long now = System.nanoTime();
        recentSteps.addLast(new long[] {now, tokens, durationNanos});
        while (!recentSteps.isEmpty() && now - recentSteps.peekFirst()[0] > RATE_WINDOW_NANOS) recentSteps.removeFirst();
    }

    /** Tokens produced by decode-only steps (steps in which prompts joined are not counted). */
    public long decodeTokens() {
        return decodeTokens.sum();
    }

    /** Time spent inside decode-only steps (the model's batched forward passes). */
    public long decodeNanos() {
        return decodeNanos.sum();
    }

    @Override
    public void sampled(long durationNanos) {
        samplingNanos.add(durationNanos);
    }

    /** Time the scheduler thread spent choosing tokens from logits (penalties, filters and draws). */
    public long samplingNanos() {
        return samplingNanos.sum();
    }

    /** Tokens per second of wall time over the recent window (0 when idle). */
    public synchronized double decodeTokensPerSecond() {
        long now = System.nanoTime();
        while (!recentSteps.isEmpty() && now - recentSteps.peekFirst()[0] > RATE_WINDOW_NANOS) recentSteps.removeFirst();
        if (recentSteps.isEmpty()) return 0;
        long tokens = 0;
        for (long[] s : recentSteps) tokens += s[1];
        long span = now - (recentSteps.peekFirst()[0] - recentSteps.peekFirst()[2]);
        return span <= 0 ? 0 : tokens * 1e9 / span;
    }

    public synchronized String render() {
        StringBuilder sb = new StringBuilder(2048);
        sb.append("# HELP armor_requests_total HTTP requests answered, by endpoint and status.\n");
        sb.append("# TYPE armor_requests_total counter\n");
        Map<String, LongAdder> sorted = new TreeMap<>(requests);
        for (Map.Entry<String, LongAdder> e : sorted.entrySet()) {
            String[] k = e.getKey().split("\u0000", 2);
            sb.append("armor_requests_total{endpoint=\"").append(escape(k[0])).append("\",status=\"").append(k[1])
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        }
        counter(sb, "armor_prompt_tokens_total", "Prompt tokens processed.", promptTokens.sum());
        counter(sb, "armor_completion_tokens_total", "Tokens generated.", completionTokens.sum());
        counter(sb, "armor_decode_steps_total", "Batched steps run (decode, with or without joining prompts).", decodeSteps.sum());
        sb.append("# HELP armor_decode_seconds_total Time spent in decode-only steps (no prompt joined).\n");
        sb.append("# TYPE armor_decode_seconds_total counter\narmor_decode_seconds_total ").append(decodeNanos.sum() / 1e9)
                .append('\n');
        sb.append("# HELP armor_sampling_seconds_total Time spent choosing tokens from logits on the scheduler thread.\n");
        sb.append("# TYPE armor_sampling_seconds_total counter\narmor_sampling_seconds_total ")
                .append(samplingNanos.sum() / 1e9).append('\n');
        counter(sb, "armor_rejected_total", "Requests refused because the queue was full or the server stopping.", rejected.sum());
        counter(sb, "armor_cancelled_total", "Sequences cancelled (client disconnected or shutdown).", cancelled.sum());
        gauge(sb, "armor_queue_depth", "Sequences waiting to start.", queueDepth.getAsInt());
        gauge(sb, "armor_active_sequences", "Sequences being decoded.", activeSequences.getAsInt());
        gauge(sb, "armor_paused_sequences", "Sequences paused because their client is not reading their output.",
                pausedSequences.getAsInt());
        gauge(sb, "armor_unsent_bytes", "Response bytes waiting for clients to read them.", unsentBytes.getAsLong());
        gauge(sb, "armor_batch_size", "Sequences in the last decode step.", lastBatchSize.get());
        gauge(sb, "armor_decode_tokens_per_second", "Aggregate generated tokens per second over the last 10 s.",
                decodeTokensPerSecond());
        sb.append("# HELP armor_time_to_first_token_seconds Time from submission to the first generated token.\n");
        sb.append("# TYPE armor_time_to_first_token_seconds histogram\n");
        for (int i = 0; i < TTFT_BUCKETS.length; i++) {
            sb.append("armor_time_to_first_token_seconds_bucket{le=\"").append(TTFT_BUCKETS[i]).append("\"} ")
                    .append(ttftBuckets[i]).append('\n');
        }
        sb.append("armor_time_to_first_token_seconds_bucket{le=\"+Inf\"} ").append(ttftCount).append('\n');
        sb.append("armor_time_to_first_token_seconds_sum ").append(ttftSum).append('\n');
        sb.append("armor_time_to_first_token_seconds_count ").append(ttftCount).append('\n');
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, double v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
