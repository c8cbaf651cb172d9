package armor.cli;

import armor.pruner.run.Reporter;
import java.util.Locale;

/**
 * Progress of {@code armor prune} on stderr: a self-rewriting line with rate and ETA on a terminal, a log line
 * every few seconds otherwise.
 */
final class PruneReporter implements Reporter {
    private final boolean terminal = System.console() != null;
    private String task;
    private long start;
    private long lastPrint;
    private boolean open;

    @Override
    public synchronized void info(String line) {
        endLine();
        System.err.println("armor: " + line);
    }

    @Override
    public synchronized void warn(String line) {
        endLine();
        System.err.println("armor: warning: " + line);
    }

    @Override
    public synchronized void progress(String task, long done, long total, String status) {
        long now = System.nanoTime();
        if (!task.equals(this.task)) {
            this.task = task;
            start = now;
            lastPrint = 0;
        }
        boolean last = done == total;
        if (!last && now - lastPrint < (terminal ? 250_000_000L : 5_000_000_000L)) return;
        lastPrint = now;
        double secs = (now - start) / 1e9;
        double eta = done > 0 ? secs / done * (total - done) : 0;
        String line = String.format(Locale.ROOT, "%s: %d/%d (%.0f %%), ETA %s%s", task, done, total,
                100.0 * done / Math.max(1, total), duration(eta), status.isEmpty() ? "" : " | " + status);
        if (terminal) {
            System.err.print("\r" + line + "\u001b[K");
            open = true;
        } else {
            System.err.println("armor: " + line);
        }
    }

    @Override
    public synchronized void progressDone() {
        endLine();
    }

    private void endLine() {
        if (open) {
            System.err.println();
            open = false;
        }
    }

    static String duration(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.0fs", s);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", (long) s / 3600, (long) s / 60 % 60);
    }
}
