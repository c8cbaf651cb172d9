package armor.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The fallback for models whose tokenizer_config.json has no {@code chat_template} (base models such as
 * stories260K): the message contents joined with newlines, without role markers, so that a conversation with
 * one user message is exactly that message, a plain prompt for the base model to continue. The generation
 * prompt adds nothing (a base model has no assistant turn to open).
 */
public final class PlainChatTemplate implements ChatTemplate {
    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<String> parts = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) parts.add(m.content());
        return String.join("\n", parts);
    }
}
