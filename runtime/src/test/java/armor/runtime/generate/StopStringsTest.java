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
        assertEquals("Hell", s.emitted());
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
}
