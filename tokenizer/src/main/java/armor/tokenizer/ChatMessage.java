package armor.tokenizer;

/** One chat turn, as in the OpenAI and Hugging Face message lists. */
public record ChatMessage(String role, String content) {}
