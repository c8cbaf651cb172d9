package armor.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static armor.cli.RuntimeCommandsTest.SHARED;
import static armor.cli.RuntimeCommandsTest.STORIES;
import static armor.cli.RuntimeCommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mistakes a new user makes, each answered with one line on stderr and the right exit code. */
class CommandErrorsTest {
    static final String TEXT = SHARED.resolve("data/tinystories/tinystories.txt").toString();

    static void oneLine(RuntimeCommandsTest.Run r, int exit, String expected) {
        assertEquals(exit, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("java."), r.err()); // no exception class names
    }

    @Test
    void usageErrorsAreOneLinePointingToHelp() {
        oneLine(run("generate", "--model", STORIES), 2, "Missing required option: '--prompt=<prompt>' (see armor generate --help)");
        oneLine(run("eval", "ppl", "--model", STORIES, "--text", TEXT, "--bogus"), 2, "see armor eval ppl --help");
        oneLine(run("generate", "--model", STORIES, "--prompt", "x", "--max-token", "3"), 2, "did you mean --max-tokens");
        oneLine(run("genrate"), 2, "did you mean generate");
        oneLine(run("generate", "--model", STORIES, "--prompt", "x", "--device", "gpu"), 2,
                "'gpu' is not a device: expected auto, cpu or cuda");
    }

    @Test
    void perplexityWindowFlagsAreCheckedAsUsage() {
        oneLine(run("eval", "ppl", "--model", STORIES, "--text", TEXT, "--seq", "0"), 2, "--seq 0, expected at least 2");
        oneLine(run("eval", "compare", "--text", TEXT, "--seq", "1", STORIES), 2, "--seq 1, expected at least 2");
        oneLine(run("eval", "ppl", "--model", STORIES, "--text", TEXT, "--windows", "abc"), 2,
                "--windows abc, expected A:B with integers");
    }

    @Test
    void aFolderForAFileAndAFileForAFolder(@TempDir Path tmp) {
        oneLine(run("eval", "ppl", "--model", STORIES, "--text", tmp.toString()), 1, tmp + ": is a folder, expected a text file");
        oneLine(run("chat-template", "--model", STORIES, "--messages", tmp.toString()), 1,
                tmp + ": is a folder, expected a messages file");
        oneLine(run("chat-template", "--model", STORIES, "--messages", tmp.resolve("none.json").toString()), 1,
                tmp.resolve("none.json") + ": messages file not found");
        String config = SHARED.resolve("models/stories260K-hf/config.json").toString();
        oneLine(run("generate", "--model", config, "--prompt", "x"), 1, config + ": is a file, expected a model folder");
    }

    @Test
    void aBrokenTokenizerIsNamedOnce(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        java.nio.file.Files.createDirectory(model);
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"}) {
            java.nio.file.Files.copy(Path.of(STORIES, f), model.resolve(f));
        }
        java.nio.file.Files.writeString(model.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
        RuntimeCommandsTest.Run r = run("generate", "--model", model.toString(), "--prompt", "x", "--device", "cpu");
        oneLine(r, 1, "cannot load tokenizer: " + model.resolve("tokenizer.json") + ": model.vocab is missing");
        assertEquals(1, r.err().split(java.util.regex.Pattern.quote(model.toString()), -1).length - 1, r.err());
    }

    @Test
    void compareDefaultsToTheModelsContextLikePpl() {
        // stories260K's context is 512: a fixed default of 2048 used to refuse it
        RuntimeCommandsTest.Run r = run("eval", "compare", "--text", TEXT, "--windows", "0:2", STORIES);
        assertEquals(0, r.exit(), r.err());
        RuntimeCommandsTest.Run ppl = run("eval", "ppl", "--model", STORIES, "--text", TEXT, "--windows", "0:2");
        assertTrue(r.out().contains(ppl.out().strip()), r.out() + " / " + ppl.out());
    }

    @Test
    void pruneDefaultsToTheModelsContextAndNamesAFolderGivenAsCalibration(@TempDir Path tmp) {
        // stories260K's context is 512: the fixed default --seq 2048 used to refuse every calibrated method
        RuntimeCommandsTest.Run r = run("prune", "--model", STORIES, "--method", "wanda", "--calib", TEXT,
                "--samples", "2", "--out", tmp.resolve("wanda").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote " + tmp.resolve("wanda")), r.out());
        oneLine(run("prune", "--model", STORIES, "--method", "wanda", "--calib", tmp.toString(), "--samples", "2",
                "--out", tmp.resolve("x").toString()), 1, tmp + ": is a folder, expected a calibration text file");
    }

    @Test
    void badGpuBenchmarkOptionsAreUsageErrorsFoundBeforeTheGpu() {
        oneLine(run("gpu", "--bench", "--preset", "nope"), 2, "--preset nope, expected one of llama-3.2-1b");
        oneLine(run("gpu", "--decode", "--batches", "1,0"), 2, "--batches [1, 0], expected sizes of at least 1");
        oneLine(run("gpu", "--bench", "--block-size", "6"), 2, "--block-size 6, expected a positive multiple of 4");
    }

    @Test
    void gpuHelpShowsTheRepetitionsDefault() {
        RuntimeCommandsTest.Run r = run("gpu", "--help");
        assertTrue(r.out().replaceAll("\\s+", " ").contains("the median is reported (default 20)"), r.out());
    }
}
