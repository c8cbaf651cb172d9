package armor.cli;

/**
 * Windows {@code [from, to)} of a text cut into {@code --seq}-token windows as one stream (the perplexity protocol).
 * {@link #toString()} is the {@code A:B} form that {@code --windows} takes, which is how {@code PruneJob} and the
 * checkpoint identity record it.
 */
record Windows(int from, int to) {
    Windows {
        if (from < 0 || to <= from) throw new IllegalArgumentException("windows " + from + ":" + to + ", expected 0 ≤ A < B");
    }

    int count() {
        return to - from;
    }

    @Override
    public String toString() {
        return from + ":" + to;
    }
}
