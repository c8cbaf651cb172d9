package armor.runtime.generate;

import armor.runtime.config.ModelConfig;
import armor.tokenizer.ChatMessage;
import armor.tokenizer.ChatTemplate;
import armor.tokenizer.Tokenizer;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The token ids that end generation, the same for {@code armor generate}, {@code armor chat} and both server
 * endpoints: config.json's and generation_config.json's {@code eos_token_id}, the tokenizer's EOS, and the chat
 * template's end-of-turn tokens. The last matter because checkpoints often name only the end of text
 * (Llama-3-8B-Instruct first shipped with {@code <|end_of_text|>} alone, Qwen2.5 base models lack
 * {@code <|im_end|>}) while the model ends a chat reply with {@code <|eot_id|>} or {@code <|im_end|>}. Stop
 * strings are per request ({@link StopStrings}).
 *
 * @param tokenIds ids that end a sequence, in the order found
 */
public record StopPolicy(Set<Integer> tokenIds) {
    public StopPolicy {
        tokenIds = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(tokenIds));
    }

    /** @param tokenizer the model's tokenizer, or null (ids from the config only) */
    public static StopPolicy of(ModelConfig config, Tokenizer tokenizer) {
        Set<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
        if (tokenizer != null) {
            tokenizer.eosTokenId().ifPresent(ids::add);
            tokenizer.chatTemplate().ifPresent(t -> ids.addAll(endOfTurnIds(t, tokenizer)));
        }
        return new StopPolicy(ids);
    }

    /**
     * The special tokens the template writes right after an assistant message (e.g. {@code <|im_end|>},
     * {@code <|eot_id|>}): the model emits them to end its turn. Found by rendering a marker reply, so it works for
     * any template without a list of known markers.
     */
    public static Set<Integer> endOfTurnIds(ChatTemplate template, Tokenizer tokenizer) {
        String marker = "ARMOR-END-OF-TURN-PROBE";
        String rendered;
        try {
            rendered = template.render(List.of(new ChatMessage("user", "hi"), new ChatMessage("assistant", marker)), false);
        } catch (RuntimeException e) {
            return Set.of(); // a template that refuses this shape: EOS alone ends the turn
        }
        int at = rendered.lastIndexOf(marker);
        if (at < 0) return Set.of();
        String after = rendered.substring(at + marker.length()).strip();
        int[] tail = after.isEmpty() ? new int[0] : tokenizer.encode(after, false);
        return tail.length > 0 && tokenizer.isSpecial(tail[0]) ? Set.of(tail[0]) : Set.of();
    }
}
