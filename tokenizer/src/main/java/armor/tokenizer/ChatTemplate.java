package armor.tokenizer;

import java.util.List;

/** Renders a conversation into the prompt text the model was trained on. */
public interface ChatTemplate {
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);
}
