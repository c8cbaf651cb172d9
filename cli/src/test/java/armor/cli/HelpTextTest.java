package armor.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every command's {@code --help} prints its options and nothing else: no picocli warning (a bare '%' in a description). */
class HelpTextTest {
    @Test
    void everyCommandsHelpIsFreeOfPicocliWarnings() {
        List<String[]> commands = new ArrayList<>();
        collect(new CommandLine(new Main()), new ArrayList<>(), commands);
        assertTrue(commands.size() > 15, "the commands were found: " + commands.size());
        for (String[] path : commands) {
            List<String> args = new ArrayList<>(List.of(path));
            args.add("--help");
            RuntimeCommandsTest.Run r = RuntimeCommandsTest.run(args.toArray(String[]::new));
            String all = r.out() + r.err();
            assertEquals(0, r.exit(), String.join(" ", args) + ": " + all);
            assertFalse(all.contains("WARN") || all.contains("Could not format"), String.join(" ", args) + ":\n" + all);
            assertTrue(r.out().contains("Usage:"), all);
        }
        String prune = RuntimeCommandsTest.run("prune", "--help").out();
        assertTrue(prune.replaceAll("\\s+", " ").contains("at most 10 % to the pruned"), prune);
    }

    private static void collect(CommandLine cl, List<String> path, List<String[]> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (!e.getKey().equals(e.getValue().getCommandName())) continue; // an alias
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p.toArray(String[]::new));
            collect(e.getValue(), p, out);
        }
    }
}
