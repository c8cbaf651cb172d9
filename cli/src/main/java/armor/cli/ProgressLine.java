package armor.cli;

import java.util.Locale;

/**
 * Progress of long work on stderr: a self-rewriting line with rate and ETA on a terminal, a plain log line every
 * few seconds otherwise (so that logs stay readable).
 */
final class ProgressLine {
    private final String task;
    private final String unit;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private long lastPrint;
    private boolean printed;

    ProgressLine(String task, String unit) {
        this.task = task;
        this.unit = unit;
    }

    void update(long done, long total) {
        long now = System.nanoTime();
        boolean last = done == total;
        if (!last && now - lastPrint < (terminal ? 200_000_000L : 5_000_000_000L)) return;
        lastPrint = now;
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : 0;
        String line = String.format(Locale.ROOT, "%s: %d/%d %s, %.2f %s/s, ETA %s", task, done, total, unit, rate, unit,
                eta < 60 ? String.format(Locale.ROOT, "%.0fs", eta) : String.format(Locale.ROOT, "%dm%02ds", (long) eta / 60, (long) eta % 60));
        if (terminal) {
            System.err.print("\r" + line + "   ");
        } else {
            System.err.println("armor: " + line);
        }
        printed = true;
    }

    void done() {
        if (terminal && printed) System.err.println();
    }
}
