package armor.server.engine;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is held back until the next
 * piece shows whether it is, so nothing of a stop string is ever emitted, even split across tokens.
 */
final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStringMatcher(List<String> stops) {
        this.stops = stops;
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds a piece; returns the text that is now safe to emit (everything before a stop string once one is found). */
    String push(String piece) {
        if (stopped) return "";
        pending.append(piece);
        if (stops.isEmpty()) return drain(pending.length());
        int first = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0) {
            stopped = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        return drain(pending.length() - heldBack());
    }

    /** Returns what was held back (the text ended without completing a stop string). */
    String flush() {
        return stopped ? "" : drain(pending.length());
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
    private int heldBack() {
        String text = pending.toString();
        int best = 0;
        for (String s : stops) {
            int max = Math.min(s.length() - 1, text.length());
            for (int k = max; k > best; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private String drain(int n) {
        String out = pending.substring(0, n);
        pending.delete(0, n);
        return out;
    }
}
