package armor.server.api;

import armor.tokenizer.ChatMessage;

import java.util.List;

/** A validated {@code POST /v1/chat/completions} body. */
public record ChatCompletionRequest(String model, List<ChatMessage> messages, GenerationParams params,
                                    boolean stream, boolean includeUsage, String user) {}
