package armor.cli;

import armor.runtime.eval.TextCorpus;
import armor.tokenizer.ChatMessage;
import armor.tokenizer.ChatTemplate;
import armor.tokenizer.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code armor chat-template}: the prompt a conversation becomes, rendered with the model's chat template. */
@Command(name = "chat-template", mixinStandardHelpOptions = true,
        description = {"Render a conversation with the model's chat template (tokenizer_config.json) and print it.",
                "FILE.json holds [{\"role\": \"user\", \"content\": \"...\"}, ...] or {\"messages\": [...]}.",
                "Models without a template use the plain fallback (the contents joined by newlines)."})
public final class ChatTemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "Hugging Face model folder")
    Path model;

    @Option(names = "--messages", required = true, paramLabel = "FILE.json", description = "the conversation")
    Path messages;

    @Option(names = "--no-generation-prompt", description = "do not open an assistant turn at the end")
    boolean noGenerationPrompt;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = TokenizerCommands.load(model);
        List<ChatMessage> conversation = readMessages(messages);
        ChatTemplate template = tokenizer.chatTemplate().orElse(null);
        if (template == null) {
            System.err.println("armor: " + model + " has no chat_template; using the plain fallback");
            template = tokenizer.chatTemplateOrPlain();
        }
        PrintStream out = TokenizerCommands.utf8Out();
        out.print(template.render(conversation, !noGenerationPrompt));
        out.flush();
        return 0;
    }

    static List<ChatMessage> readMessages(Path file) throws java.io.IOException {
        JsonNode root;
        try {
            root = JSON.readTree(TextCorpus.readFile(file, "messages file"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode list = root != null && root.isObject() ? root.path("messages") : root;
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException(file + ": expected a JSON array of messages or {\"messages\": [...]}");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException(file + ": message " + i
                        + " needs a string \"role\" and a string \"content\", got " + m);
            }
            out.add(new ChatMessage(m.path("role").asText(), m.path("content").asText()));
        }
        return out;
    }
}
