package armor.server.api;

import armor.tokenizer.ChatMessage;

import java.util.List;

/** What the model is asked to continue: a conversation (rendered with the chat template), raw text, or raw token ids. */
public sealed interface PromptInput {
    record Chat(List<ChatMessage> messages) implements PromptInput {}

    record Text(String text) implements PromptInput {}

    record Tokens(int[] ids) implements PromptInput {}
}
