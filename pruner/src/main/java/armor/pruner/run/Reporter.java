package armor.pruner.run;

/** Where a pruning run reports what it does (the CLI prints it; tests collect or ignore it). */
public interface Reporter {
    /** A plain log line. */
    void info(String line);

    /** A warning worth the user's attention (e.g. A/B overhead above 10 %). */
    void warn(String line);

    /** Progress of long work: {@code done} of {@code total} units, and a short status (current layer and loss). */
    void progress(String task, long done, long total, String status);

    /** Ends the current progress line. */
    void progressDone();

    Reporter SILENT = new Reporter() {
        @Override
        public void info(String line) {}

        @Override
        public void warn(String line) {}

        @Override
        public void progress(String task, long done, long total, String status) {}

        @Override
        public void progressDone() {}
    };
}
