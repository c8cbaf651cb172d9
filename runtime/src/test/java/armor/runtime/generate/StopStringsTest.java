package armor.runtime.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {
    @Test
    void stopStringSplitAcrossPiecesIsCutAndNeverEmitted() {
        StopStrings s = new StopStrings(List.of("o W"));
        StringBuilder out = new StringBuilder();
        out.append(s.accept("Hel"));
        out.append(s.accept("lo")); // "o" might start the stop string: held back
        assertEquals("Hell", out.toString());
        out.append(s.accept(" Wor"));
        assertTrue(s.matched());
        assertEquals("Hell", out.toString());
        assertEquals("", s.finish("ld"), "nothing after a match");
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutHarmless() {
        StopStrings s = new StopStrings(List.of("</end>"));
        StringBuilder out = new StringBuilder();
        out.append(s.accept("a </e"));
        assertEquals("a ", out.toString());
        out.append(s.accept("x"));
        assertEquals("a </ex", out.toString());
        out.append(s.finish("<"));
        assertEquals("a </ex<", out.toString());
        assertFalse(s.matched());
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopStrings s = new StopStrings(List.of("END", "\n\n"));
        assertEquals("one", s.accept("one\n\ntwo END"));
        assertTrue(s.matched());
    }

    /** Feeds text one character at a time and returns what was released. */
    static String run(String text, List<String> stops) {
        StopStrings m = new StopStrings(stops);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && !m.matched(); i++) out.append(m.accept(text.substring(i, i + 1)));
        out.append(m.finish(""));
        return out.toString();
    }

    @Test
    void cutsBeforeTheEarliestStopAcrossPieces() {
        for (String[] c : new String[][] {{"Hello world", "wor"}, {"abcabd", "bd", "bc"}, {"ababac", "abac"},
                {"no stop here", "zz"}, {"ends with a partial sto", "stop"}}) {
            List<String> stops = List.of(c).subList(1, c.length);
            String expected = switch (c[0]) {
                case "Hello world" -> "Hello ";
                case "abcabd" -> "a";
                case "ababac" -> "ab"; // the stop starts at index 2
                default -> c[0];
            };
            assertEquals(expected, run(c[0], stops), c[0]);
            assertEquals(expected, StopStrings.cut(c[0], stops), c[0]);
        }
    }

    @Test
    void holdsBackOnlyWhatCouldStartAStop() {
        StopStrings m = new StopStrings(List.of("END"));
        // the pieces returned, joined, are "abcxENx": all text before the stop string, nothing of it
        assertEquals("abc", m.accept("abc"));
        assertEquals("x", m.accept("xE"));
        assertEquals("", m.accept("N"));
        assertEquals("ENx", m.accept("x"));
        assertEquals("", m.accept("EN"));
        assertEquals("", m.accept("D and more"));
        assertTrue(m.matched());
    }
}
