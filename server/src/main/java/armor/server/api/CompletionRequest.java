package armor.server.api;

import java.util.List;

/** A validated {@code POST /v1/completions} body; {@code prompt} may be a batch, each answered by {@code n} choices. */
public record CompletionRequest(String model, List<PromptInput> prompts, GenerationParams params,
                                boolean stream, boolean includeUsage, String user) {}
