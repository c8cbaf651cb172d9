package armor.server;

import armor.runtime.generate.Generator;
import armor.runtime.model.Model;
import armor.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A Llama-3 chat model whose generation_config.json names only {@code <|end_of_text|>} (as Llama-3-8B-Instruct first
 * shipped): the server must end a chat reply at the template's {@code <|eot_id|>}, as {@code armor chat} does, with
 * one stop policy for every entry point.
 */
class StopPolicyServingTest {
    static final Path SHARED = Path.of(System.getProperty("armor.shared", "../shared"));

    @TempDir
    Path tmp;

    @Test
    void theServerStopsAtTheTemplatesEndOfTurnLikeTheCommandLine() throws Exception {
        Path llama3 = SHARED.resolve("models/llama3-tokenizer");
        Path weights = SHARED.resolve("models/tiny-llama3-random");
        Path dir = Files.createDirectory(tmp.resolve("llama3-chat"));
        Files.createSymbolicLink(dir.resolve("config.json"), weights.resolve("config.json").toAbsolutePath());
        Files.createSymbolicLink(dir.resolve("model.safetensors"), weights.resolve("model.safetensors").toAbsolutePath());
        Files.createSymbolicLink(dir.resolve("tokenizer.json"), llama3.resolve("tokenizer.json").toAbsolutePath());
        // As first shipped: the tokenizer's EOS is the end of text too, so only the template knows <|eot_id|>.
        var tokConfig = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(llama3.resolve("tokenizer_config.json").toFile());
        tokConfig.put("eos_token", "<|end_of_text|>");
        Files.writeString(dir.resolve("tokenizer_config.json"), tokConfig.toString());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 128001}");

        try (Model m = Model.load(dir)) {
            Tokenizer tok = m.requireTokenizer();
            int eot = tok.tokenToId("<|eot_id|>").orElseThrow();
            int endOfText = tok.tokenToId("<|end_of_text|>").orElseThrow();
            assertFalse(m.config().eosTokenIds().contains(eot), "the config names no end of turn");
            assertEquals(endOfText, tok.eosTokenId().orElseThrow(), "nor does the tokenizer");
            Set<Integer> cli = new Generator(m, tok).eosTokenIds();
            assertTrue(cli.containsAll(Set.of(eot, endOfText)), cli.toString());
            ModelServer server = ModelServer.start(m, tok, "llama3-chat", ServerConfig.loopback(0), 2, 2, 16);
            try {
                assertEquals(cli, server.stopTokenIds(), "the server stops where armor chat and generate stop");
            } finally {
                server.shutdown(Duration.ZERO);
            }
        }
    }
}
