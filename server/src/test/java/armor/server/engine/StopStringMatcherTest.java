package armor.server.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StopStringMatcherTest {
    /** Feeds text one character at a time and returns what was released. */
    static String run(String text, List<String> stops) {
        StopStringMatcher m = new StopStringMatcher(stops);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && !m.stopped(); i++) out.append(m.push(text.substring(i, i + 1)));
        out.append(m.flush());
        return out.toString();
    }

    @Test
    void cutsBeforeTheEarliestStopAcrossPieces() {
        assertEquals("Hello ", run("Hello world", List.of("wor")));
        assertEquals("a", run("abcabd", List.of("bd", "bc")));
        assertEquals("ab", run("ababac", List.of("abac"))); // the stop starts at index 2
        assertEquals("no stop here", run("no stop here", List.of("zz")));
        assertEquals("ends with a partial sto", run("ends with a partial sto", List.of("stop")));
    }

    @Test
    void holdsBackOnlyWhatCouldStartAStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("END"));
        assertEquals("abc", m.push("abc"));
        assertEquals("x", m.push("xE"));
        assertEquals("", m.push("N"));
        assertEquals("ENx", m.push("x"));
        assertEquals("", m.push("EN"));
        assertEquals("", m.push("D and more"));
        assertTrue(m.stopped());
    }
}
