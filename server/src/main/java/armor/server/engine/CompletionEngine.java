package armor.server.engine;

import armor.server.api.ApiException;
import armor.server.api.GenerationParams;
import armor.server.api.PromptInput;
import armor.runtime.generate.BatchScheduler;
import armor.runtime.generate.SamplingParams;
import armor.runtime.generate.SchedulerRefusal;
import armor.runtime.generate.SequenceHandle;
import armor.runtime.generate.SequenceRequest;
import armor.tokenizer.ChatTemplate;
import armor.tokenizer.PlainChatTemplate;
import armor.tokenizer.Tokenizer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link Engine} over a tokenizer and a {@link BatchScheduler}: renders and tokenizes prompts, checks them
 * against the context, queues one sequence per choice and turns their tokens back into text.
 */
public final class CompletionEngine implements Engine {
    private final String modelId;
    private final Tokenizer tokenizer;
    private final PromptRenderer renderer;
    private final BatchScheduler<?> scheduler;
    private final Set<Integer> stopTokens;
    private final int maxTokensLimit;
    private final TokenTexts texts;
    private final RequestMemory memory;

    /**
     * @param stopTokens     ids that end generation (the tokenizer's EOS and generation_config.json's eos_token_id)
     * @param maxTokensLimit the most tokens one choice may generate when the request does not say
     */
    public CompletionEngine(String modelId, Tokenizer tokenizer, BatchScheduler<?> scheduler, Set<Integer> stopTokens,
                            int maxTokensLimit) {
        this(modelId, tokenizer, scheduler, stopTokens, maxTokensLimit, RequestMemory.UNLIMITED);
    }

    /** @param memory the most memory one request may need; larger ones are refused with 400 before any work */
    public CompletionEngine(String modelId, Tokenizer tokenizer, BatchScheduler<?> scheduler, Set<Integer> stopTokens,
                            int maxTokensLimit, RequestMemory memory) {
        this.memory = memory;
        this.modelId = modelId;
        this.tokenizer = tokenizer;
        this.renderer = new PromptRenderer(tokenizer);
        this.scheduler = scheduler;
        this.stopTokens = Set.copyOf(stopTokens);
        this.maxTokensLimit = maxTokensLimit;
        this.texts = new TokenTexts(tokenizer);
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int contextLength() {
        return scheduler.contextLength();
    }

    @Override
    public Generation generate(PromptInput prompt, GenerationParams params, int firstChoice, ChoiceListener listener) {
        int[] ids = renderer.tokens(prompt);
        if (ids.length == 0) throw ApiException.invalid("prompt", "The prompt is empty (0 tokens).");
        int vocab = scheduler.vocabSize();
        for (int id : ids) {
            if (id >= vocab) {
                throw ApiException.invalid("prompt", "Token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ").");
            }
        }
        int ctx = scheduler.contextLength();
        int maxNew = maxNewTokens(ids.length, params, ctx, prompt instanceof PromptInput.Chat ? "messages" : "prompt");
        boolean promptLogprobs = params.echo() && params.wantsLogprobs();
        memory.check(ids.length, maxNew, params.n(), promptLogprobs, params.logprobs(), ctx,
                prompt instanceof PromptInput.Chat ? "messages" : "prompt");
        String echoText = null;
        if (params.echo()) {
            echoText = prompt instanceof PromptInput.Text t ? t.text() : tokenizer.decode(ids, false);
        }
        List<SequenceRequest> seqs = new ArrayList<>(params.n());
        for (int i = 0; i < params.n(); i++) {
            ChoiceTextStream stream = new ChoiceTextStream(firstChoice + i, tokenizer, ids, params.stop(), texts,
                    echoText, listener);
            SamplingParams sampling = params.sampling().withSeed(params.sampling().seed() + i);
            seqs.add(new SequenceRequest(ids, maxNew, sampling, params.logprobs(), promptLogprobs,
                    stopTokens, stream));
        }
        List<SequenceHandle> handles;
        try {
            handles = scheduler.submit(seqs);
        } catch (SchedulerRefusal e) {
            throw ApiException.of(e);
        }
        int promptTokens = ids.length;
        return new Generation() {
            @Override
            public int promptTokens() {
                return promptTokens;
            }

            @Override
            public void cancel() {
                for (SequenceHandle h : handles) h.cancel();
            }

            @Override
            public void pause(boolean pause) {
                for (SequenceHandle h : handles) h.pause(pause);
            }
        };
    }

    /** @param promptParam the request field that holds the prompt, named in the error when it is too long */
    private int maxNewTokens(int promptLength, GenerationParams params, int ctx, String promptParam) {
        Integer asked = params.maxTokens();
        if (promptLength > ctx || (promptLength == ctx && (asked == null || asked > 0))) {
            throw new ApiException(400, "invalid_request_error", promptParam, "context_length_exceeded",
                    "This model's maximum context length is " + ctx + " tokens, but the prompt has " + promptLength
                            + " tokens.");
        }
        if (asked == null) return Math.min(maxTokensLimit, ctx - promptLength);
        if (promptLength + asked > ctx) {
            throw new ApiException(400, "invalid_request_error", "max_tokens", "context_length_exceeded",
                    "This model's maximum context length is " + ctx + " tokens, but " + (promptLength + asked)
                            + " were requested (" + promptLength + " in the prompt, " + asked + " for the completion).");
        }
        return asked;
    }

    @Override
    public boolean healthy() {
        return scheduler.healthy();
    }

    @Override
    public Optional<String> failure() {
        return scheduler.failure().map(Throwable::toString);
    }

    @Override
    public void shutdown(Duration grace) {
        scheduler.shutdown(grace);
    }

    /** Chat messages and text prompts to token ids, the way Hugging Face does it. */
    static final class PromptRenderer {
        private final Tokenizer tokenizer;

        PromptRenderer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        int[] tokens(PromptInput prompt) {
            return switch (prompt) {
                case PromptInput.Tokens t -> t.ids();
                // Like vLLM and Hugging Face pipelines: raw text gets the tokenizer's special tokens (BOS).
                case PromptInput.Text t -> tokenizer.encode(t.text(), true);
                case PromptInput.Chat c -> {
                    Optional<ChatTemplate> template = tokenizer.chatTemplate();
                    String text;
                    try {
                        text = template.orElseGet(PlainChatTemplate::new).render(c.messages(), true);
                    } catch (RuntimeException e) {
                        throw ApiException.invalid("messages", "The chat template refused these messages: "
                                + e.getMessage());
                    }
                    // A real template writes the special tokens itself (apply_chat_template encodes without adding
                    // any); the plain fallback of base models is ordinary text and gets BOS like a raw prompt.
                    yield tokenizer.encode(text, template.isEmpty());
                }
            };
        }
    }
}
