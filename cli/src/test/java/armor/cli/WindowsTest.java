package armor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WindowsTest {
    @Test
    void writesTheWindowsFormAndCounts() {
        Windows w = new Windows(3, 8);
        assertEquals("3:8", w.toString());
        assertEquals(5, w.count());
    }

    @Test
    void refusesAnEmptyOrNegativeRange() {
        assertEquals("windows 4:4, expected 0 ≤ A < B",
                assertThrows(IllegalArgumentException.class, () -> new Windows(4, 4)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Windows(-1, 2));
    }
}
