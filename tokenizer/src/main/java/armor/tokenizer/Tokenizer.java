package armor.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/** A Hugging Face tokenizer: text to token ids and back, plus the model's chat template. */
public interface Tokenizer {

    /**
     * Loads {@code tokenizer.json} and {@code tokenizer_config.json} from a Hugging Face model folder (or GPT-2's
     * {@code vocab.json} + {@code merges.txt} when there is no tokenizer.json). Throws IOException naming the file
     * and field for anything unsupported or malformed.
     */
    static Tokenizer load(Path modelDir) throws IOException {
        return TokenizerLoader.load(modelDir);
    }

    /** A GPT-2 style byte-level BPE tokenizer from a vocab.json and a merges.txt (files of any name). */
    static Tokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) throws IOException {
        return TokenizerLoader.fromVocabAndMerges(vocabJson, mergesTxt,
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode(), null);
    }

    /**
     * Encodes text; with {@code addSpecialTokens} the post-processor's BOS/EOS are added as Hugging Face does.
     * Throws IllegalArgumentException for text that is not valid Unicode (an unpaired surrogate).
     */
    int[] encode(String text, boolean addSpecialTokens);

    /**
     * Decodes ids to text; throws IllegalArgumentException for an id outside the vocabulary. This is the
     * {@code tokenizers} library's decode: transformers' {@code clean_up_tokenization_spaces} is not applied.
     */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** A decoder for streaming: feed ids one at a time, get only complete UTF-8 text back. */
    default StreamDecoder streamDecoder(boolean skipSpecialTokens) {
        return streamDecoder(skipSpecialTokens, new int[0]);
    }

    /**
     * A stream decoder for text that continues {@code context} (the prompt's ids, which it does not emit): the
     * first pieces are decoded in context, so prompt text + streamed text equals the decode of prompt + continuation
     * (a sentencepiece continuation such as "▁time" after "Once upon a" keeps its leading space).
     */
    StreamDecoder streamDecoder(boolean skipSpecialTokens, int[] context);

    /** Number of ids (model vocabulary and added tokens): every valid id is below this. */
    int vocabSize();

    OptionalInt bosTokenId();

    OptionalInt eosTokenId();

    /** The chat template of tokenizer_config.json (or chat_template.jinja), if the model has one. */
    Optional<ChatTemplate> chatTemplate();

    /** The model's chat template, or the documented {@link PlainChatTemplate} fallback for base models. */
    default ChatTemplate chatTemplateOrPlain() {
        return chatTemplate().orElseGet(PlainChatTemplate::new);
    }

    /** The vocabulary string of an id (byte-level form, e.g. "Ġthe"); IllegalArgumentException if out of range. */
    String idToToken(int id);

    /** The id of a vocabulary string or added token, if there is one. */
    OptionalInt tokenToId(String token);

    /** Whether the id is a special added token (skipped by {@code decode(ids, true)}). */
    boolean isSpecial(int id);
}
