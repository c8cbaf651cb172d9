package armor.runtime.generate;

import java.util.List;

/**
 * Streams generated text while watching for stop strings: text that might be the start of a stop string is held
 * back until it is known not to be; on a match, only the text before the stop string is released, so nothing of a
 * stop string is ever emitted, even split across tokens. One per sequence, used by {@link Generator} and the server.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder all = new StringBuilder();
    private int released;
    private boolean matched;

    public StopStrings(List<String> stops) {
        for (String stop : stops) if (stop.isEmpty()) throw new IllegalArgumentException("empty stop string");
        this.stops = List.copyOf(stops);
    }

    /** {@code text} up to the first occurrence of any of {@code stops} (all of it when none occurs). */
    public static String cut(String text, List<String> stops) {
        int end = text.length();
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && at < end) end = at;
        }
        return text.substring(0, end);
    }

    /** Adds decoded text; returns the text that is now safe to emit. */
    public String accept(String piece) {
        if (matched) return "";
        all.append(piece);
        int cut = firstMatch();
        if (cut >= 0) {
            matched = true;
            all.setLength(cut);
            return release(cut);
        }
        return release(all.length() - heldBack());
    }

    /** At the end of generation: adds the last text and releases everything left (up to a stop string). */
    public String finish(String piece) {
        String head = accept(piece);
        return matched ? head : head + release(all.length());
    }

    public boolean matched() {
        return matched;
    }

    private String release(int upTo) {
        if (upTo <= released) return "";
        String s = all.substring(released, upTo);
        released = upTo;
        return s;
    }

    private int firstMatch() {
        int best = -1;
        for (String s : stops) {
            int from = Math.max(0, released - s.length() + 1);
            int i = all.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of the text that is a proper prefix of a stop string. */
    private int heldBack() {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, all.length() - released); k > hold; k--) {
                if (all.substring(all.length() - k).equals(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}
